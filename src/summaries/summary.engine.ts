import type { LlmConfig } from '../config/config';
import { CascadeError, type CascadeOptions, estimateTokens, SummaryCascade } from './cascade';
import { humaniseType, MAX_SUMMARY_CHARS, offlineSummary } from './offline-summariser';
import { buildUserMessage, newNonce, SYSTEM_PROMPT, validateOutput } from './prompt';
import { AnthropicProvider } from './providers/anthropic.provider';
import { OpenAiProvider } from './providers/openai.provider';
import type { FetchLike, LlmProvider } from './providers/provider';
import type { CallRate } from './call-rate';
import { FairLimiter } from './fair-limiter';
import { redact } from './redaction';
import { explainOutcomes, llmCallDuration, llmCalls, llmTokens, summaryCacheHits, summaryFallbacks } from './summary.metrics';
import { summaryCacheKey, type SummaryStore } from './summary-store';

export interface SummaryInput {
  tenantId: string;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
}

export interface Summary {
  text: string;
  source: 'llm' | 'offline';
  model: string | null;
}

export type FallbackReason = 'no-providers' | 'budget' | 'deadline' | 'shutdown' | 'aborted' | 'failed' | 'circuit-open' | 'error';

export interface SummaryEngineOptions {
  /** Clock for the circuit breaker and deadline arithmetic. */
  now?: () => number;
  fetch?: FetchLike;
  /** Overrides of the cascade policy; by default derived from `summaryDeadlineMs`. */
  cascade?: Partial<CascadeOptions>;
  /** No bytes from a provider for this long aborts the call. */
  idleTimeoutMs?: number;
  /** Failures worth a log line (store errors, background writes); never carries event data. */
  onError?(error: unknown, context: { eventId: string; stage: string }): void;
  /** LLM_REQUESTS_PER_MINUTE across processes; absent = no limit. */
  callRate?: CallRate;
}

/** One streamed model answer (the delivery explanation): the prompt is the caller's, the limits are the summaries'. */
export interface StreamRequest {
  tenantId: string;
  /** Names the request in error logs (a delivery id); never data. */
  logId: string;
  /** Fixed instructions; never carries untrusted data. */
  system: string;
  /** The untrusted data, redacted and fenced by the caller. */
  user: string;
  /** The caller's end (the client closed the connection): aborts the provider request. */
  signal: AbortSignal;
  /** No text by then (budget, limiter, retries and the first byte included): offline instead. */
  firstTokenMs: number;
  /** Longest single provider call, request to terminal event. */
  callTimeoutMs: number;
  /** No bytes from the provider for this long aborts the call. */
  idleTimeoutMs: number;
  /** The reply is cut off past this many characters. */
  maxChars: number;
  /** Each piece of reply text, as it arrives. */
  onDelta(text: string): void;
}

export type StreamFallbackReason = FallbackReason | 'limited';

export type StreamOutcome =
  /** The model's answer went out whole. */
  | { kind: 'complete'; model: string }
  /** Part of the answer went out, then the call broke off (`failed`), ran past `maxChars` (`too-long`), or was stopped. */
  | { kind: 'interrupted'; model: string; reason: 'failed' | 'too-long' | 'aborted' | 'shutdown' }
  /** No text went out: the caller gives its offline answer. */
  | { kind: 'fallback'; reason: StreamFallbackReason };

class Fallback extends Error {
  constructor(readonly reason: FallbackReason) {
    super(reason);
  }
}

/**
 * One summary per event: from the model cascade when it answers well within the deadline and
 * the tenant's budget, otherwise the offline summary. `summarise` never throws and never
 * takes longer than `summaryDeadlineMs` (plus timer slack).
 */
export class SummaryEngine {
  private readonly cascade: SummaryCascade;
  private readonly models: string;
  private readonly now: () => number;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Map<string, Promise<Summary>>();
  /** One per summary being made: aborted by close(). */
  private readonly running = new Set<AbortController>();
  private readonly background = new Set<Promise<void>>();
  private readonly maxOutputChars: number;
  /** LLM_MAX_CONCURRENCY model calls in this process, shared round robin between tenants. */
  private readonly slots: FairLimiter;

  constructor(
    private readonly config: LlmConfig,
    private readonly store: SummaryStore,
    private readonly options: SummaryEngineOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.slots = new FairLimiter(config.maxConcurrency);
    const deadline = config.summaryDeadlineMs;
    const idleTimeoutMs = options.idleTimeoutMs ?? Math.max(100, Math.min(5_000, Math.floor(deadline / 3)));
    const providers = buildProviders(config, options.fetch, idleTimeoutMs);
    this.models = providers.map((p) => p.name).join(',');
    // One stalled provider must leave time for the next one.
    const callTimeoutMs = Math.max(100, Math.floor(deadline * 0.6));
    this.maxOutputChars = options.cascade?.maxChars ?? MAX_SUMMARY_CHARS + 20;
    this.cascade = new SummaryCascade(providers, { callTimeoutMs, maxChars: this.maxOutputChars, now: this.now, ...options.cascade }, {
      onCall: (provider, outcome, seconds, completion) => {
        llmCalls.inc({ provider: provider.name, outcome });
        llmCallDuration.observe({ provider: provider.name }, seconds);
        if (completion) {
          llmTokens.inc({ provider: provider.name, kind: 'input' }, completion.inputTokens ?? 0);
          llmTokens.inc({ provider: provider.name, kind: 'output' }, completion.outputTokens ?? estimateTokens(completion.text.length));
        }
      },
    });
  }

  /** Concurrent calls for one event share one summary (and one model call). */
  summarise(input: SummaryInput, signal?: AbortSignal): Promise<Summary> {
    const existing = this.inFlight.get(input.eventId);
    if (existing) return existing;
    const promise = this.bounded(input, signal).finally(() => this.inFlight.delete(input.eventId));
    this.inFlight.set(input.eventId, promise);
    return promise;
  }

  /** Aborts calls in flight (they resolve offline at once) and waits for pending budget and cache writes. */
  async close(): Promise<void> {
    this.shutdown.abort(new Error('shutting down'));
    for (const controller of this.running) controller.abort(this.shutdown.signal.reason);
    await Promise.allSettled([...this.inFlight.values()]);
    await Promise.allSettled([...this.background]);
  }

  private async bounded(input: SummaryInput, callerSignal: AbortSignal | undefined): Promise<Summary> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('summary deadline passed')), this.config.summaryDeadlineMs);
    // Not AbortSignal.any: with the long-lived shutdown signal among its sources it leaks in Node 20.
    // Nor a listener on the shutdown signal per summary (hundreds wait at once under a flood):
    // close() aborts the summaries in flight through `running`.
    const stopped = new AbortController();
    this.running.add(stopped);
    if (this.shutdown.signal.aborted) stopped.abort(this.shutdown.signal.reason);
    const linked = linkSignals([deadline.signal, stopped.signal, ...(callerSignal ? [callerSignal] : [])]);
    const signal = linked.signal;
    const stop = whenAborted(signal);
    try {
      if (this.cascade.size === 0) throw new Fallback('no-providers');
      const work = this.viaModel(input, signal, this.now() + this.config.summaryDeadlineMs);
      // Past the deadline `work` may still be finishing store writes; it must not surface as unhandled.
      work.catch(() => undefined);
      return await Promise.race([work, stop.promise]);
    } catch (error) {
      const reason: FallbackReason = deadline.signal.aborted ? 'deadline'
        : this.shutdown.signal.aborted ? 'shutdown'
        : callerSignal?.aborted ? 'aborted'
        : error instanceof Fallback ? error.reason
        : error instanceof CascadeError ? cascadeReason(error)
        : 'error';
      if (reason === 'error') this.options.onError?.(error, { eventId: input.eventId, stage: 'summarise' });
      summaryFallbacks.inc({ reason });
      return { text: safeOfflineSummary(input.type, input.data), source: 'offline', model: null };
    } finally {
      clearTimeout(timer);
      stop.dispose();
      deadline.abort(new Error('summary finished')); // ends any call still running after a fallback
      linked.dispose();
      this.running.delete(stopped);
    }
  }

  private async viaModel(input: SummaryInput, signal: AbortSignal, deadlineAt: number): Promise<Summary> {
    // Redacted before anything else: neither the cache key nor a provider sees the raw data.
    const redacted = redact(input.data);
    const key = summaryCacheKey(this.models, input.type, redacted);
    const cached = await this.store.getCached(key);
    if (cached) {
      summaryCacheHits.inc();
      return { text: cached.text, source: 'llm', model: cached.model };
    }
    if (signal.aborted) throw new Fallback('deadline');

    const user = buildUserMessage(input.type, redacted, newNonce());
    const reserved = estimateTokens(SYSTEM_PROMPT.length + user.length) + estimateTokens(this.maxOutputChars);
    if (!(await this.store.reserve(input.tenantId, reserved, this.config.tenantDailyTokenBudget))) throw new Fallback('budget');

    let spent = 0;
    let release: (() => void) | null = null;
    try {
      // Waiting for a slot counts against the deadline: `signal` is the deadline.
      release = await this.slots.acquire(input.tenantId, signal).catch(() => {
        throw new Fallback('deadline');
      });
      const callRate = this.options.callRate;
      const beforeCall = callRate ? (provider: LlmProvider) => waitForCall(callRate, provider.name, input.tenantId, signal) : undefined;
      const result = await this.cascade.run({ system: SYSTEM_PROMPT, user, validate: (text) => validateOutput(text, user), signal, deadlineAt, beforeCall });
      spent = result.spent.input + result.spent.output;
      this.inBackground(input.eventId, 'cache-write', this.store.putCached(key, { text: result.text, model: result.model }));
      return { text: result.text, source: 'llm', model: result.model };
    } catch (error) {
      if (error instanceof CascadeError) spent = error.spent.input + error.spent.output;
      throw error;
    } finally {
      release?.();
      this.inBackground(input.eventId, 'budget-settle', this.store.settle(input.tenantId, reserved, spent));
    }
  }

  /**
   * A streamed answer under the same rules as summaries: the tenant's daily token budget is
   * reserved first and settled with what was used, the call waits for one of the
   * LLM_MAX_CONCURRENCY slots (fair between tenants) and for LLM_REQUESTS_PER_MINUTE, and goes
   * through the same cascade (retries, circuits). Until the first piece of text the cascade may
   * retry and move on; after it, a failure ends the answer. Never throws.
   */
  async stream(req: StreamRequest): Promise<StreamOutcome> {
    const outcome = await this.streamOnce(req);
    explainOutcomes.inc({ outcome: outcome.kind === 'fallback' ? `fallback-${outcome.reason}` : outcome.kind === 'interrupted' ? `interrupted-${outcome.reason}` : 'complete' });
    return outcome;
  }

  private async streamOnce(req: StreamRequest): Promise<StreamOutcome> {
    if (this.cascade.size === 0) return { kind: 'fallback', reason: 'no-providers' };
    const firstTokenBy = this.now() + req.firstTokenMs;
    const firstToken = new AbortController();
    const timer = setTimeout(() => firstToken.abort(new Error('no text from a model in time')), req.firstTokenMs);
    const stopped = new AbortController();
    this.running.add(stopped);
    if (this.shutdown.signal.aborted) stopped.abort(this.shutdown.signal.reason);
    const linked = linkSignals([firstToken.signal, stopped.signal, req.signal]);
    const signal = linked.signal;
    const reserved = estimateTokens(req.system.length + req.user.length) + estimateTokens(req.maxChars);
    let reservedOk = false;
    let model: string | null = null;
    let limited = false;
    let spent = 0;
    let release: (() => void) | null = null;
    try {
      if (!(await this.store.reserve(req.tenantId, reserved, this.config.tenantDailyTokenBudget))) throw new Fallback('budget');
      reservedOk = true;
      release = await this.slots.acquire(req.tenantId, signal).catch(() => {
        limited = true;
        throw new Fallback('deadline'); // reported as 'limited' by the flag
      });
      const callRate = this.options.callRate;
      const beforeCall = callRate
        ? (provider: LlmProvider) => waitForCall(callRate, provider.name, req.tenantId, signal, () => firstTokenBy - this.now()).catch((error: unknown) => {
          limited = true;
          throw error;
        })
        : undefined;
      const result = await this.cascade.run({
        system: req.system,
        user: req.user,
        validate: (text) => (text.trim() === '' ? null : text),
        signal,
        deadlineAt: firstTokenBy,
        beforeCall,
        callTimeoutMs: req.callTimeoutMs,
        idleTimeoutMs: req.idleTimeoutMs,
        maxChars: req.maxChars,
        onDelta: (text, provider) => {
          if (model === null) {
            if (firstToken.signal.aborted) return; // too late: the caller is already falling back
            model = provider.model;
            clearTimeout(timer);
          }
          req.onDelta(text);
        },
      });
      spent = result.spent.input + result.spent.output;
      return { kind: 'complete', model: result.model };
    } catch (error) {
      if (error instanceof CascadeError) spent = error.spent.input + error.spent.output;
      const streamedModel: string | null = model;
      if (streamedModel !== null) {
        const reason = req.signal.aborted ? 'aborted'
          : stopped.signal.aborted ? 'shutdown'
          : error instanceof CascadeError && error.kind === 'too-long' ? 'too-long'
          : 'failed';
        return { kind: 'interrupted', model: streamedModel, reason };
      }
      const reason: StreamFallbackReason = req.signal.aborted ? 'aborted'
        : stopped.signal.aborted ? 'shutdown'
        : limited ? 'limited'
        : firstToken.signal.aborted ? 'deadline'
        : error instanceof Fallback ? error.reason
        : error instanceof CascadeError ? (error.reason === 'aborted' ? 'deadline' : cascadeReason(error))
        : 'error';
      if (reason === 'error') this.options.onError?.(error, { eventId: req.logId, stage: 'stream' });
      return { kind: 'fallback', reason };
    } finally {
      clearTimeout(timer);
      release?.();
      if (reservedOk) this.inBackground(req.logId, 'budget-settle', this.store.settle(req.tenantId, reserved, spent));
      firstToken.abort(new Error('stream finished')); // ends any call still running
      linked.dispose();
      this.running.delete(stopped);
    }
  }

  /** Store writes that must not hold the summary back; close() waits for them. */
  private inBackground(eventId: string, stage: string, task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.options.onError?.(error, { eventId, stage }));
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked)).catch(() => undefined);
  }
}

/** Resolves once `provider` may be called under LLM_REQUESTS_PER_MINUTE; rejects when `signal` aborts first. */
async function waitForCall(rate: CallRate, provider: string, tenantId: string, signal: AbortSignal, remainingMs?: () => number): Promise<void> {
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const wait = await rate.take(provider, tenantId);
    if (wait === 0) return;
    // A caller that cannot wait that long is refused at once rather than after the wait.
    if (remainingMs !== undefined && wait >= remainingMs()) throw new Error(`${provider} is over LLM_REQUESTS_PER_MINUTE`);
    // The deadline may have passed while we asked: an aborted signal fires no more events.
    if (signal.aborted) throw signal.reason;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function buildProviders(config: LlmConfig, fetch: FetchLike | undefined, idleTimeoutMs: number): LlmProvider[] {
  const providers: LlmProvider[] = [];
  for (const spec of config.providers) {
    if (spec.kind === 'openai') {
      // No key is fine: OpenAI-compatible local servers (Ollama, llama.cpp) take none.
      providers.push(new OpenAiProvider({ ...config.openai, model: spec.model, fetch, idleTimeoutMs }));
    } else if (config.anthropic.apiKey !== null) {
      providers.push(new AnthropicProvider({ ...config.anthropic, model: spec.model, fetch, idleTimeoutMs }));
    }
  }
  return providers;
}

function cascadeReason(error: CascadeError): FallbackReason {
  switch (error.reason) {
    case 'aborted': return 'deadline';
    case 'circuit-open': return 'circuit-open';
    case 'no-providers': return 'no-providers';
    default: return 'failed';
  }
}

/** The last line of defence: whatever the data, some summary comes back. */
function safeOfflineSummary(type: string, data: Record<string, unknown>): string {
  try {
    return offlineSummary(type, data);
  } catch {
    try {
      return `${humaniseType(type)}.`;
    } catch {
      return 'Event received.';
    }
  }
}

/** A signal aborted by the first of `sources`; dispose() unhooks it from them all. */
function linkSignals(sources: AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const hooks = sources.map((source) => {
    const onAbort = () => controller.abort(source.reason);
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener('abort', onAbort, { once: true });
    return () => source.removeEventListener('abort', onAbort);
  });
  return { signal: controller.signal, dispose: () => hooks.forEach((unhook) => unhook()) };
}

function whenAborted(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
