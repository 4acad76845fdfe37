import type { LlmConfig } from '../../src/config/config';
import { SummaryEngine, type StreamRequest } from '../../src/summaries/summary.engine';
import type { PgSummaryStore } from '../../src/summaries/summary-store';
import type { FakeLlmServer } from '../fakes/fake-llm-server';
import { useEngineFixture } from './engine-fixture';
import { waitFor } from '../support/wait';

/** SummaryEngine.stream, the explanation's model path: first-token deadline, mid-stream failures, the cascade before the first word. */
let store: PgSummaryStore;
let openai: FakeLlmServer;
let anthropic: FakeLlmServer;
let engines: SummaryEngine[];
let tenant = 0;

useEngineFixture((f) => ({ store, openai, anthropic, engines } = f));

function engine(more: Partial<LlmConfig> = {}): SummaryEngine {
  const made = new SummaryEngine({
    providers: [{ kind: 'openai', model: 'gpt-4o-mini' }],
    openai: { apiKey: 'sk-test-key-0000', baseUrl: openai.openaiBaseUrl },
    anthropic: { apiKey: 'ant-test-key-0000', baseUrl: anthropic.url },
    summaryDeadlineMs: 3000,
    tenantDailyTokenBudget: 200_000,
    maxConcurrency: 16,
    requestsPerMinute: null,
    ...more,
  }, store, { cascade: { baseBackoffMs: 10, maxBackoffMs: 50 } });
  engines.push(made);
  return made;
}

function request(more: Partial<StreamRequest> = {}): StreamRequest & { deltas: string[] } {
  const deltas: string[] = [];
  return {
    tenantId: `ten_stream_${++tenant}`, logId: 'dlv_test', system: 'system', user: 'user', signal: new AbortController().signal,
    firstTokenMs: 2000, callTimeoutMs: 10_000, idleTimeoutMs: 300, maxChars: 200,
    onDelta: (text) => deltas.push(text), ...more, deltas,
  };
}

describe('SummaryEngine.stream', () => {
  it('forwards each delta and completes with the model', async () => {
    openai.script({ kind: 'success', text: 'One two three four five.', chunkChars: 4, chunkDelayMs: 20 });
    const req = request();
    await expect(engine().stream(req)).resolves.toEqual({ kind: 'complete', model: 'gpt-4o-mini' });
    expect(req.deltas.length).toBeGreaterThan(3);
    expect(req.deltas.join('')).toBe('One two three four five.');
  });

  it('falls back once no text came by the first-token deadline, and aborts the hanging call', async () => {
    openai.setDefault({ kind: 'hang' });
    const req = request({ firstTokenMs: 400, idleTimeoutMs: 5000 });
    const started = Date.now();
    await expect(engine().stream(req)).resolves.toEqual({ kind: 'fallback', reason: 'deadline' });
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => openai.requests[0]?.clientClosedAt !== null, 2000, 'hanging call aborted');
  });

  it('moves to the next provider before the first word', async () => {
    openai.setDefault({ kind: 'status', status: 401 });
    anthropic.script({ kind: 'success', text: 'From Anthropic.' });
    const req = request();
    const outcome = await engine({ providers: [{ kind: 'openai', model: 'gpt-4o-mini' }, { kind: 'anthropic', model: 'claude-3-5-haiku-latest' }] }).stream(req);
    expect(outcome).toEqual({ kind: 'complete', model: 'claude-3-5-haiku-latest' });
    expect(req.deltas.join('')).toBe('From Anthropic.');
  });

  it('reports a stall after the first word as interrupted, without a retry', async () => {
    openai.setDefault({ kind: 'stall', text: 'Partial ' });
    const req = request();
    await expect(engine().stream(req)).resolves.toEqual({ kind: 'interrupted', model: 'gpt-4o-mini', reason: 'failed' });
    expect(req.deltas).toEqual(['Partial ']);
    expect(openai.requests).toHaveLength(1);
  });

  it('cuts a runaway answer off at maxChars', async () => {
    openai.setDefault({ kind: 'runaway', intervalMs: 2 });
    const req = request({ maxChars: 100 });
    await expect(engine().stream(req)).resolves.toEqual({ kind: 'interrupted', model: 'gpt-4o-mini', reason: 'too-long' });
    expect(req.deltas.join('').length).toBeLessThanOrEqual(100);
    await waitFor(() => openai.requests[0]?.clientClosedAt !== null, 2000, 'runaway call aborted');
  });

  it('reports the caller\'s abort and closes the provider connection', async () => {
    openai.setDefault({ kind: 'runaway', intervalMs: 50 });
    const controller = new AbortController();
    const req = request({ signal: controller.signal, maxChars: 100_000, onDelta: () => controller.abort(new Error('client left')) });
    await expect(engine().stream(req)).resolves.toEqual({ kind: 'interrupted', model: 'gpt-4o-mini', reason: 'aborted' });
    await waitFor(() => openai.requests[0]?.clientClosedAt !== null, 2000, 'call aborted');
  });

  it('falls back without a call when the budget cannot cover the reservation', async () => {
    const req = request();
    await expect(engine({ tenantDailyTokenBudget: 10 }).stream(req)).resolves.toEqual({ kind: 'fallback', reason: 'budget' });
    expect(openai.requests).toHaveLength(0);
  });

  it('falls back with no providers configured', async () => {
    await expect(engine({ providers: [] }).stream(request())).resolves.toEqual({ kind: 'fallback', reason: 'no-providers' });
  });
});
