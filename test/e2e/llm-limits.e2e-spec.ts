import { createEndpoint, createTenant, publish, startTestApp, startTestAppOn, TestApp } from '../support/app';
import { FakeLlmServer, startFakeLlmServer } from '../fakes/fake-llm-server';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * SPEC §5: model calls are a shared resource. LLM_MAX_CONCURRENCY per process, shared round
 * robin between tenants; LLM_REQUESTS_PER_MINUTE per provider across every process, never
 * exceeded, one tenant at most half of it. Past the deadline, the offline summary.
 */
describe('model calls under a flood', () => {
  let llm: FakeLlmServer;
  let receiver: TestReceiver;
  const apps: TestApp[] = [];
  const base = (llmUrl: string) => ({
    LLM_PROVIDERS: 'openai:gpt-4o-mini',
    OPENAI_API_KEY: 'sk-test-never-logged',
    OPENAI_BASE_URL: llmUrl,
    LOG_LEVEL: 'error',
    WORKER_CONCURRENCY: '32',
  });

  beforeAll(async () => {
    llm = await startFakeLlmServer();
    receiver = await new TestReceiver().start();
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await (app === apps[apps.length - 1] ? app.close() : app.app.close());
    await receiver?.stop();
    await llm?.close();
  });
  beforeEach(() => llm.reset());

  function summariesOf(path: string): Array<{ source: string; eventId: string }> {
    return receiver.forPath(path).map((r) => {
      const body = JSON.parse(r.body);
      return { source: body.summary.source, eventId: body.id };
    });
  }

  it('shares LLM_MAX_CONCURRENCY slots round robin: a quiet tenant still gets model summaries under a flood', async () => {
    const app = await startTestApp({ ...base(llm.openaiBaseUrl), LLM_MAX_CONCURRENCY: '1', LLM_SUMMARY_DEADLINE_MS: '3000' });
    apps.push(app);
    // each call takes ~200 ms: one slot serves about fifteen per deadline, the flood needs 40
    llm.setDefault({ kind: 'success', text: 'Something happened to an order.', chunkChars: 100, chunkDelayMs: 100 });
    const flood = await createTenant(app, 'flood');
    const quiet = await createTenant(app, 'quiet');
    await createEndpoint(app, flood, { url: `${receiver.url}/llm-flood`, maxInFlight: 64 });
    await createEndpoint(app, quiet, { url: `${receiver.url}/llm-quiet` });
    const events = Array.from({ length: 40 }, (_, i) => ({ type: 'order.created', data: { orderId: `o_${i}` } }));
    expect((await app.request('POST', `/v1/tenants/${flood}/events/batch`, { body: { events } })).status).toBe(202);
    await llm.waitForRequests(1);
    for (let i = 0; i < 3; i++) await publish(app, quiet, 'order.created', { orderId: `q_${i}` });

    await waitFor(() => receiver.forPath('/llm-flood').length === 40 && receiver.forPath('/llm-quiet').length === 3, 20_000, 'every delivery');
    // round robin: the quiet tenant's three waited for about three of the flood's calls, not for forty
    expect(summariesOf('/llm-quiet').map((s) => s.source)).toEqual(['llm', 'llm', 'llm']);
    // the flood waited its turns: part of it fell back to offline at the deadline
    const floodSources = summariesOf('/llm-flood').map((s) => s.source);
    expect(floodSources.filter((s) => s === 'offline').length).toBeGreaterThan(0);
    // never more than one call at a time
    const spans = llm.requests.map((r) => [r.receivedAt, r.serverFinishedAt ?? r.clientClosedAt ?? Date.now()]);
    const overlapping = spans.filter(([start], i) => spans.some(([s, end], j) => j !== i && s < start && start < end - 5));
    expect(overlapping).toEqual([]);
  }, 40_000);

  it('never passes LLM_REQUESTS_PER_MINUTE across processes, and leaves half of it to other tenants', async () => {
    const first = await startTestApp({ ...base(llm.openaiBaseUrl), LLM_REQUESTS_PER_MINUTE: '8', LLM_SUMMARY_DEADLINE_MS: '2000' });
    const second = await startTestAppOn(first.db, { ...base(llm.openaiBaseUrl), LLM_REQUESTS_PER_MINUTE: '8', LLM_SUMMARY_DEADLINE_MS: '2000' });
    apps.push(second, first);
    llm.setDefault({ kind: 'success', text: 'Something happened to an order.' });
    const flood = await createTenant(first, 'flood-rpm');
    const quiet = await createTenant(first, 'quiet-rpm');
    await createEndpoint(first, flood, { url: `${receiver.url}/rpm-flood` });
    await createEndpoint(first, quiet, { url: `${receiver.url}/rpm-quiet` });
    for (const app of [first, second]) {
      const events = Array.from({ length: 30 }, (_, i) => ({ type: 'order.created', data: { orderId: `${app.baseUrl}-${i}` } }));
      expect((await app.request('POST', `/v1/tenants/${flood}/events/batch`, { body: { events } })).status).toBe(202);
    }
    await waitFor(() => receiver.forPath('/rpm-flood').length === 60, 20_000, 'the flood delivered');
    for (let i = 0; i < 3; i++) await publish(second, quiet, 'order.created', { orderId: `quiet_${i}` });
    await waitFor(() => receiver.forPath('/rpm-quiet').length === 3, 10_000, 'the quiet deliveries');

    // 8 per minute in all, the flooding tenant at most half of them
    expect(llm.requests.length).toBeLessThanOrEqual(8);
    expect(summariesOf('/rpm-flood').filter((s) => s.source === 'llm').length).toBeLessThanOrEqual(4);
    expect(summariesOf('/rpm-quiet').map((s) => s.source)).toEqual(['llm', 'llm', 'llm']);
  }, 40_000);
});
