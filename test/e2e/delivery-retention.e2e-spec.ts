import { idAtOrAfter } from '../../src/common/ids';
import { RetentionService } from '../../src/worker/retention.service';
import { createEndpoint, getDelivery, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, queueAttempt, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';

const MINUTE = 60_000;
const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SPEC §8: old payloads and response bodies go; the delivery log stays, marked expired. */
describe('retention', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver({ RETENTION_DAYS: '30', LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));
  beforeAll(() => {
    receiver.respondWith((_req, res) => void res.writeHead(200).end('receiver said hello'));
  });

  it("goes by the database's clock: a worker whose clock runs 40 days fast expires nothing early", async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/clock`, eventTypes: ['clock.*'] });
    const event = await publish(app, tenantId, 'clock.x', { a: 1 });
    await waitForStatus(app, tenantId, (await onlyDelivery(app, tenantId, event.id)).id, 'succeeded');
    jest.useFakeTimers({ now: Date.now() + 40 * DAY, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      expect(await app.app.get(RetentionService).run()).toEqual({ events: 0, attempts: 0 });
    } finally {
      jest.useRealTimers();
    }
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${event.id}`)).body).toMatchObject({ data: { a: 1 }, expired: false });
  });

  it('expires old event data and response bodies, keeps the log rows, and refuses to retry an expired event', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/keep`, eventTypes: ['ret.*'] });
    const old = await publish(app, tenantId, 'ret.old', { email: 'someone@example.com', amount: 5 });
    const oldD = await onlyDelivery(app, tenantId, old.id);
    await waitForStatus(app, tenantId, oldD.id, 'succeeded');
    // Retention goes by the time in the ids: everything made before `between` is 30 days old
    // when the run's clock says `between` + 30 days.
    const between = Date.now();
    await sleep(5);
    const fresh = await publish(app, tenantId, 'ret.fresh', { amount: 6 });
    const freshD = await onlyDelivery(app, tenantId, fresh.id);
    await waitForStatus(app, tenantId, freshD.id, 'succeeded');
    const runAt = new Date(between + 30 * DAY + MINUTE);

    const result = await app.app.get(RetentionService).run(runAt);
    expect(result).toEqual({ events: 2, attempts: 2 }); // this one, and the previous test's

    const oldEvent = (await app.request('GET', `/v1/tenants/${tenantId}/events/${old.id}`)).body;
    expect(oldEvent).toMatchObject({ id: old.id, type: 'ret.old', data: null, expired: true });
    expect(JSON.stringify(oldEvent)).not.toContain('someone@example.com');
    expect(oldEvent.deliveries).toHaveLength(1);
    expect(oldEvent.deliveries[0]).toMatchObject({ id: oldD.id, status: 'succeeded' });
    const oldDetail = await getDelivery(app, tenantId, oldD.id);
    expect(oldDetail.status).toBe('succeeded');
    expect(oldDetail.attempts).toHaveLength(1);
    expect(oldDetail.attempts[0]).toMatchObject({ responseStatus: 200, responseBody: null, expired: true });
    const { rows } = await app.db.pool.query(`select data, summary from events where id = $1`, [old.id]);
    expect(rows[0].data).toBeNull();

    // Newer rows are untouched.
    const freshEvent = (await app.request('GET', `/v1/tenants/${tenantId}/events/${fresh.id}`)).body;
    expect(freshEvent).toMatchObject({ data: { amount: 6 }, expired: false });
    expect((await getDelivery(app, tenantId, freshD.id)).attempts[0]).toMatchObject({ responseBody: 'receiver said hello', expired: false });

    // A manual retry of an expired event cannot send its payload.
    const retry = await app.request('POST', `/v1/tenants/${tenantId}/deliveries/${oldD.id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.message).toMatch(/expired/);
    const freshRetry = await app.request('POST', `/v1/tenants/${tenantId}/deliveries/${freshD.id}/retry`);
    expect(freshRetry.status).toBe(202);

    // Running again finds nothing more to do.
    expect(await app.app.get(RetentionService).run(runAt)).toEqual({ events: 0, attempts: 0 });
    // It resumes from its marks: nothing below them is read again.
    const marks = await app.db.pool.query(`select name, expired_before from retention_marks order by name`);
    expect(marks.rows).toEqual([
      { name: 'attempts', expired_before: idAtOrAfter('att', new Date(between)) },
      { name: 'events', expired_before: idAtOrAfter('evt', new Date(between)) },
    ]);
  });

  it('a pending delivery of an expired event ends failed without a request', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/late`, eventTypes: ['late.*'], enabled: false });
    const event = await publish(app, tenantId, 'late.one', { a: 1 });
    expect(event.deliveries).toBe(0);
    // Simulate a delivery still queued when its event expired: enable, expire, then queue it.
    await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/enable`);
    expect((await app.app.get(RetentionService).run(new Date(Date.now() + 31 * DAY))).events).toBeGreaterThanOrEqual(1);
    const { rows } = await app.db.pool.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at)
       values ('dlv_' || substr($1, 5), $2, $1, $3, 'late.one', now()) returning id`, [event.id, tenantId, ep.id]);
    await queueAttempt(app.db.pool, rows[0].id);
    const done = await waitForStatus(app, tenantId, rows[0].id, 'failed');
    expect(done.attempts).toHaveLength(0);
    expect(receiver.forPath('/late')).toHaveLength(0);
  });
});
