import { createEndpoint, getDelivery, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, waitForDelivery, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** SPEC §3: manual retry, recover, and deleting an endpoint with deliveries still pending. */
describe('manual retry, recover and delete', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  const healthy = new Set<string>();

  useAppWithReceiver({ RETRY_SCHEDULE: '200ms', RETRY_JITTER: '0', LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));
  beforeAll(() => {
    receiver.respondWith((req, res) => {
      res.writeHead(healthy.has(req.path) ? 200 : 500).end(healthy.has(req.path) ? 'fine' : 'broken');
    });
  });

  const retry = (id: string) => app.request('POST', `/v1/tenants/${tenantId}/deliveries/${id}/retry`);

  it('a manual retry of a failed delivery that now succeeds: 202, trigger "manual", status succeeded', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/manual`, eventTypes: ['manual.one'] });
    const event = await publish(app, tenantId, 'manual.one', { a: 1 });
    const d = await onlyDelivery(app, tenantId, event.id);
    const failed = await waitForStatus(app, tenantId, d.id, 'failed');
    expect(failed.attempts).toHaveLength(2);

    // While the receiver still fails, a manual attempt is logged and the delivery stays failed.
    const res1 = await retry(d.id);
    expect(res1.status).toBe(202);
    expect(res1.body).toMatchObject({ id: d.id });
    const stillFailed = await waitForDelivery(app, tenantId, d.id, (x) => x.attempts.length === 3);
    expect(stillFailed.status).toBe('failed');
    expect(stillFailed.attempts[2]).toMatchObject({ number: 3, trigger: 'manual', responseStatus: 500 });

    healthy.add('/manual');
    const res2 = await retry(d.id);
    expect(res2.status).toBe(202);
    const done = await waitForStatus(app, tenantId, d.id, 'succeeded');
    expect(done.attempts).toHaveLength(4);
    expect(done.attempts[3]).toMatchObject({ number: 4, trigger: 'manual', responseStatus: 200, error: null });
    expect(done.attemptCount).toBe(4);
    expect(receiver.forPath('/manual')).toHaveLength(4);
    for (const r of receiver.forPath('/manual')) expect(r.headers['webhook-id']).toBe(event.id);

    // A manual retry of a succeeded delivery is one more attempt; nothing else changes.
    expect((await retry(d.id)).status).toBe(202);
    const extra = await waitForDelivery(app, tenantId, d.id, (x) => x.attempts.length === 5);
    expect(extra.status).toBe('succeeded');
    expect(extra.attempts[4].trigger).toBe('manual');
    expect((await app.request('POST', `/v1/tenants/${tenantId}/deliveries/dlv_nope/retry`)).status).toBe(404);
  });

  it('recover: every failed delivery since the given time is attempted again', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/recover`, eventTypes: ['recover.*'] });
    const old = await publish(app, tenantId, 'recover.old', { n: 0 });
    const oldD = await onlyDelivery(app, tenantId, old.id);
    await waitForStatus(app, tenantId, oldD.id, 'failed');
    const since = new Date().toISOString();
    await waitFor(() => Date.now() > Date.parse(since) + 5);
    const events = [await publish(app, tenantId, 'recover.a', { n: 1 }), await publish(app, tenantId, 'recover.b', { n: 2 })];
    const ids: string[] = [];
    for (const e of events) ids.push((await onlyDelivery(app, tenantId, e.id)).id);
    for (const id of ids) await waitForStatus(app, tenantId, id, 'failed');

    healthy.add('/recover');
    const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { body: { since } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: 2 });
    for (const id of ids) {
      const done = await waitForStatus(app, tenantId, id, 'succeeded');
      expect(done.attempts.at(-1)).toMatchObject({ responseStatus: 200 });
    }
    const okIds = receiver.forPath('/recover').filter((r) => r.headers['webhook-id'] !== old.id).map((r) => r.headers['webhook-id']);
    expect(new Set(okIds)).toEqual(new Set(events.map((e) => e.id)));
    // The delivery from before `since` stays failed and was not sent again.
    expect((await getDelivery(app, tenantId, oldD.id)).status).toBe('failed');
    expect(receiver.forPath('/recover').filter((r) => r.headers['webhook-id'] === old.id)).toHaveLength(2);

    // Nothing failed any more: recovering again queues nothing.
    const again = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { body: { since } });
    expect(again.body).toEqual({ deliveries: 0 });
  });

  it('deleting an endpoint cancels its pending deliveries and the receiver gets nothing more', async () => {
    healthy.add('/deleted');
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/deleted`, eventTypes: ['delete.me'], rateLimitPerSecond: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await onlyDelivery(app, tenantId, (await publish(app, tenantId, 'delete.me', { i })).id)).id);
    await waitFor(() => receiver.forPath('/deleted').length >= 1);
    const res = await app.request('DELETE', `/v1/tenants/${tenantId}/endpoints/${ep.id}`);
    expect(res.status).toBe(204);
    // With one request a second, at most one more can have been in flight when the DELETE answered.
    const seenAtDelete = receiver.forPath('/deleted').length;
    expect(seenAtDelete).toBeLessThan(4);

    const all = await waitFor(async () => {
      const list = await Promise.all(ids.map((id) => getDelivery(app, tenantId, id)));
      return list.every((d) => d.status !== 'pending') && list;
    });
    const cancelled = all.filter((d) => d.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThanOrEqual(5 - seenAtDelete - 1);
    for (const d of cancelled) expect(d.attempts).toHaveLength(0);
    // Wait until no job of these deliveries is left, then check nothing more arrived.
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs where payload->>'d' = any($1)`, [ids]);
      return rows[0].n === 0;
    }, 10_000, 'the deferred jobs to finish');
    const cancelledEvents = new Set(cancelled.map((d) => d.eventId));
    expect(receiver.forPath('/deleted').filter((r) => cancelledEvents.has(r.headers['webhook-id']))).toHaveLength(0);
    expect(receiver.forPath('/deleted')).toHaveLength(5 - cancelled.length);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/endpoints/${ep.id}`)).status).toBe(404);
    const after = await publish(app, tenantId, 'delete.me', { i: 99 });
    expect(after.deliveries).toBe(0);
  });
});
