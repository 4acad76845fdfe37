import { Counter, Histogram } from 'prom-client';
import { once } from '../metrics/metrics';

export const llmCalls = once('llm_calls_total', () => new Counter({
  name: 'llm_calls_total',
  help: 'Model calls by provider and outcome (success, invalid, transient, permanent, too-long, incomplete, aborted)',
  labelNames: ['provider', 'outcome'] as const,
}));

export const llmCallDuration = once('llm_call_duration_seconds', () => new Histogram({
  name: 'llm_call_duration_seconds',
  help: 'Duration of one model call, request to terminal event or failure',
  labelNames: ['provider'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
}));

export const llmTokens = once('llm_tokens_total', () => new Counter({
  name: 'llm_tokens_total',
  help: 'Model tokens by provider and kind (input, output), estimated where the provider did not report them',
  labelNames: ['provider', 'kind'] as const,
}));

export const summaryCacheHits = once('summary_cache_hits_total', () => new Counter({
  name: 'summary_cache_hits_total',
  help: 'Summaries served from the cache',
}));

export const summaryFallbacks = once('summary_fallbacks_total', () => new Counter({
  name: 'summary_fallbacks_total',
  help: 'Offline summaries given instead of a model summary, by reason',
  labelNames: ['reason'] as const,
}));

export const explainOutcomes = once('llm_explain_total', () => new Counter({
  name: 'llm_explain_total',
  help: 'Streamed delivery explanations by outcome (complete, interrupted-<reason>, fallback-<reason> for the offline explanation)',
  labelNames: ['outcome'] as const,
}));
