import { AnthropicProvider } from '../../src/summaries/providers/anthropic.provider';
import { OpenAiProvider } from '../../src/summaries/providers/openai.provider';
import { type LlmProvider, ProviderError } from '../../src/summaries/providers/provider';
import { providerRetryAfter } from '../../src/summaries/providers/sse-request';
import { type FakeLlmServer, type Protocol, startFakeLlmServer } from '../fakes/fake-llm-server';
import { waitFor } from '../support/wait';

let fake: FakeLlmServer;

beforeAll(async () => {
  fake = await startFakeLlmServer();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function provider(protocol: Protocol, idleTimeoutMs = 1000): LlmProvider {
  return protocol === 'openai'
    ? new OpenAiProvider({ baseUrl: fake.openaiBaseUrl, apiKey: 'sk-test-key', model: 'gpt-4o-mini', idleTimeoutMs })
    : new AnthropicProvider({ baseUrl: fake.url, apiKey: 'ant-test-key', model: 'claude-3-5-haiku-latest', idleTimeoutMs });
}

async function call(p: LlmProvider, maxChars = 300, signal = AbortSignal.timeout(10_000)) {
  return p.complete({ system: 'SYSTEM', user: 'USER', maxChars, signal });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe.each(['openai', 'anthropic'] as const)('%s provider', (protocol) => {
  it('streams a reply and reports usage', async () => {
    fake.script({ kind: 'success', text: 'Invoice in_1 was paid by customer cus_9.', usage: { input: 321, output: 12 }, chunkChars: 3 });
    const result = await call(provider(protocol));
    expect(result.text).toBe('Invoice in_1 was paid by customer cus_9.');
    expect(result.inputTokens).toBe(321);
    expect(result.outputTokens).toBe(12);
    expect(result.model).toBe(protocol === 'openai' ? 'gpt-4o-mini' : 'claude-3-5-haiku-latest');
  });

  it('sends the wire format of its API', async () => {
    await call(provider(protocol));
    const [request] = fake.requests;
    const body = request.body as Record<string, unknown>;
    expect(body.stream).toBe(true);
    if (protocol === 'openai') {
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe('Bearer sk-test-key');
      expect(body.stream_options).toEqual({ include_usage: true });
      expect(body.messages).toEqual([{ role: 'system', content: 'SYSTEM' }, { role: 'user', content: 'USER' }]);
      expect(body.tools).toBeUndefined();
    } else {
      expect(request.path).toBe('/v1/messages');
      expect(request.headers['x-api-key']).toBe('ant-test-key');
      expect(request.headers['anthropic-version']).toBe('2023-06-01');
      expect(body.system).toBe('SYSTEM');
      expect(body.messages).toEqual([{ role: 'user', content: 'USER' }]);
    }
  });

  it('429 is transient and carries Retry-After', async () => {
    fake.script({ kind: 'status', status: 429, retryAfter: '2' });
    const error = await failure(call(provider(protocol)));
    expect(error).toMatchObject({ kind: 'transient', status: 429, retryAfterMs: 2000 });
  });

  it.each([500, 503, 529])('%d is transient', async (status) => {
    fake.script({ kind: 'status', status });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'transient', status });
  });

  it.each([400, 401, 404])('%d is permanent', async (status) => {
    fake.script({ kind: 'status', status });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'permanent', status });
  });

  it('a hang before headers is cut by the idle watchdog', async () => {
    fake.script({ kind: 'hang' });
    const started = Date.now();
    const error = await failure(call(provider(protocol, 200)));
    expect(error.kind).toBe('transient');
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => fake.requests[0]?.clientClosedAt !== null);
  });

  it('a stall mid-body is cut by the idle watchdog and the connection closed', async () => {
    fake.script({ kind: 'stall' });
    const started = Date.now();
    const error = await failure(call(provider(protocol, 200)));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('no data');
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => fake.requests[0]?.clientClosedAt !== null);
  });

  it('the caller signal aborts at once', async () => {
    fake.script({ kind: 'hang' });
    const started = Date.now();
    const error = await failure(call(provider(protocol, 10_000), 300, AbortSignal.timeout(150)));
    expect(error.kind).toBe('transient');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a stream cut without its terminal event is rejected, not taken as complete', async () => {
    fake.script({ kind: 'cut', text: 'Invoice in_1 was paid.' });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'incomplete' });
  });

  it('an in-band error is a failure', async () => {
    fake.script({ kind: 'in-band-error', text: 'Invoice' });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'transient' });
  });

  it('a non-streaming body is rejected', async () => {
    fake.script({ kind: 'garbage' });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'incomplete' });
    fake.script({ kind: 'garbage', body: 'x'.repeat(200_000) });
    expect(await failure(call(provider(protocol)))).toMatchObject({ kind: 'incomplete' });
  });

  it('a runaway stream is cut as soon as it passes maxChars and the connection is closed', async () => {
    fake.script({ kind: 'runaway', intervalMs: 2, maxMs: 10_000 });
    const started = Date.now();
    const error = await failure(call(provider(protocol), 300));
    expect(error.kind).toBe('too-long');
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => fake.requests[0]?.clientClosedAt !== null);
    const request = fake.requests[0];
    expect(request.serverFinishedAt).toBeNull();
    expect(request.clientClosedAt! - request.receivedAt).toBeLessThan(2000);
    expect(request.bytesSent).toBeLessThan(20_000);
  });

  it('a connection refused is transient', async () => {
    const p = protocol === 'openai'
      ? new OpenAiProvider({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: null, model: 'm' })
      : new AnthropicProvider({ baseUrl: 'http://127.0.0.1:9', apiKey: null, model: 'm' });
    expect(await failure(call(p))).toMatchObject({ kind: 'transient' });
  });
});

describe('openai specifics', () => {
  it('tolerates a missing usage chunk', async () => {
    fake.script({ kind: 'success', text: 'Order shipped.', usage: null });
    const result = await call(provider('openai'));
    expect(result).toMatchObject({ text: 'Order shipped.', inputTokens: null, outputTokens: null });
  });
});

describe('providerRetryAfter', () => {
  const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });
  it('reads seconds, dates and retry-after-ms', () => {
    expect(providerRetryAfter(headers({ 'retry-after': '3' }))).toBe(3000);
    expect(providerRetryAfter(headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(providerRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
    expect(providerRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(providerRetryAfter(headers({}))).toBeUndefined();
  });
});
