import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** Largest number of requests whose arrival times fall within any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < sorted.length; j += 1) {
    while (sorted[j] - sorted[i] >= windowMs) i += 1;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** SPEC §3 endpoint `rateLimitPerSecond`. */
describe('endpoint rate limit', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver({ LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));

  it('never sends more than rateLimitPerSecond requests in any one-second window, and sends them all', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/limited`, eventTypes: ['rate.*'], rateLimitPerSecond: 2 });
    await createEndpoint(app, tenantId, { url: `${receiver.url}/unlimited`, eventTypes: ['rate.*'] });
    const events = [];
    for (let i = 0; i < 6; i += 1) events.push(await publish(app, tenantId, 'rate.tick', { i }));

    // The unlimited endpoint of the same tenant is not held back.
    await waitFor(() => receiver.forPath('/unlimited').length === 6, 5_000, 'the unlimited endpoint');
    const reqs = await waitFor(() => receiver.forPath('/limited').length >= 6 && receiver.forPath('/limited'), 20_000, 'all six');
    const times = reqs.map((r) => r.receivedAt);
    // 2 per second, with 200 ms of slack for when the receiver reads its clock: 6 requests take over 2 seconds.
    expect(maxInWindow(times, 800)).toBeLessThanOrEqual(2);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1800);
    expect(new Set(reqs.map((r) => r.headers['webhook-id']))).toEqual(new Set(events.map((e) => e.id)));
    for (const e of events) {
      const [d] = (await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${e.id}&status=succeeded`)).body.data;
      expect(d).toBeDefined();
    }
    expect(receiver.forPath('/limited')).toHaveLength(6);
  });

  it('a deferred delivery is not an attempt: each delivery has exactly one', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/one`, eventTypes: ['single.*'], rateLimitPerSecond: 1 });
    const events = [await publish(app, tenantId, 'single.a', { i: 1 }), await publish(app, tenantId, 'single.b', { i: 2 })];
    for (const e of events) {
      const d = await onlyDelivery(app, tenantId, e.id);
      const done = await waitForStatus(app, tenantId, d.id, 'succeeded');
      expect(done.attempts).toHaveLength(1);
    }
    const [a, b] = receiver.forPath('/one').map((r) => r.receivedAt).sort((x, y) => x - y);
    expect(b - a).toBeGreaterThanOrEqual(900);
  });
});
