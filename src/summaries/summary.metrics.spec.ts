import * as prom from 'prom-client';

describe('summary metrics', () => {
  it('register once on the default registry, however often the module is loaded', async () => {
    const first = await import('./summary.metrics');
    jest.resetModules();
    jest.doMock('prom-client', () => prom); // same registry, fresh copy of our module: a second registration would throw
    const second = await import('./summary.metrics');
    expect(second.llmCalls).toBe(first.llmCalls);
    first.summaryFallbacks.inc({ reason: 'deadline' });
    const text = await prom.register.metrics();
    for (const name of ['llm_calls_total', 'llm_call_duration_seconds', 'llm_tokens_total', 'summary_cache_hits_total', 'summary_fallbacks_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toContain('summary_fallbacks_total{reason="deadline"} 1');
  });
});
