import { partitionBounds, partitionName, RunSql, utcDay } from '../../src/database/log-partitions';
import { LogPartitionsService } from '../../src/database/log-partitions.service';
import { RetentionService } from '../../src/worker/retention.service';
import { createEndpoint, getDelivery, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, queueAttempt, seedOldEvent, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';

const DAY = 86_400_000;

/**
 * SPEC §8: old payloads and response bodies go; the delivery log stays, marked expired. They
 * live in day partitions (src/database/log-partitions.ts) that retention detaches and drops.
 */
describe('retention', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  const run: RunSql = async (sql, params) => (await app.db.pool.query(sql, params)).rows;

  useAppWithReceiver({ RETENTION_DAYS: '30', LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));
  beforeAll(() => {
    receiver.respondWith((_req, res) => void res.writeHead(200).end('receiver said hello'));
  });

  const oldEvent = (endpointId: string, daysAgo: number, status = 'succeeded') => seedOldEvent(run, tenantId, endpointId, daysAgo, status);

  const partitions = async () => (await run(`select relname from pg_class where relname ~ '^(event_payloads|attempt_bodies)_p' order by relname`)).map((r) => r.relname);

  it('keeps the coming days\' partitions made', async () => {
    const names = await partitions();
    for (let d = -1; d <= 7; d++) {
      const day = utcDay(new Date(Date.now() + d * DAY));
      expect(names).toEqual(expect.arrayContaining([partitionName('event_payloads', day), partitionName('attempt_bodies', day)]));
    }
  });

  it("goes by the database's clock: a worker whose clock runs 40 days fast expires nothing early", async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/clock`, eventTypes: ['clock.*'] });
    const event = await publish(app, tenantId, 'clock.x', { a: 1 });
    await waitForStatus(app, tenantId, (await onlyDelivery(app, tenantId, event.id)).id, 'succeeded');
    jest.useFakeTimers({ now: Date.now() + 40 * DAY, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      expect(await app.app.get(RetentionService).run()).toEqual({ dropped: [], compacted: [] });
    } finally {
      jest.useRealTimers();
    }
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${event.id}`)).body).toMatchObject({ data: { a: 1 }, expired: false });
  });

  it('drops the days past RETENTION_DAYS whole, keeps the log rows marked expired, and refuses to retry an expired event', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/keep`, eventTypes: ['ret.*'] });
    const old = await oldEvent(ep.id, 40);
    const recent = await oldEvent(ep.id, 29);
    const fresh = await publish(app, tenantId, 'ret.fresh', { amount: 6 });
    const freshD = await onlyDelivery(app, tenantId, fresh.id);
    await waitForStatus(app, tenantId, freshD.id, 'succeeded');
    const oldDay = utcDay(new Date(Date.now() - 40 * DAY));

    const result = await app.app.get(RetentionService).run();
    // every day wholly past the horizon (30 days and a minute ago), and no other
    expect(result.dropped).toEqual(expect.arrayContaining([partitionName('event_payloads', oldDay), partitionName('attempt_bodies', oldDay)]));
    expect(result.dropped.every((name) => Number(name.slice(-8)) < Number(partitionName('event_payloads', utcDay(new Date(Date.now() - 30 * DAY))).slice(-8)))).toBe(true);
    expect(await partitions()).not.toContain(partitionName('event_payloads', oldDay));

    const oldEventRead = (await app.request('GET', `/v1/tenants/${tenantId}/events/${old.eventId}`)).body;
    expect(oldEventRead).toMatchObject({ id: old.eventId, type: 'ret.old', data: null, expired: true });
    expect(JSON.stringify(oldEventRead)).not.toContain('someone@example.com');
    expect(oldEventRead.deliveries).toEqual([expect.objectContaining({ id: old.deliveryId, status: 'succeeded' })]);
    const oldDetail = await getDelivery(app, tenantId, old.deliveryId);
    expect(oldDetail.attempts).toEqual([expect.objectContaining({ id: old.attemptId, responseStatus: 200, responseBody: null, expired: true })]);
    const listed = (await app.request('GET', `/v1/tenants/${tenantId}/events?type=ret.old`)).body.data;
    expect(listed.map((e: any) => [e.id, e.expired])).toEqual([[recent.eventId, false], [old.eventId, true]]);

    // A day inside the window, and today, are untouched.
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${recent.eventId}`)).body).toMatchObject({ data: { amount: 5 }, expired: false });
    expect((await getDelivery(app, tenantId, recent.deliveryId)).attempts[0]).toMatchObject({ responseBody: 'an old response', expired: false });
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${fresh.id}`)).body).toMatchObject({ data: { amount: 6 }, expired: false });
    expect((await getDelivery(app, tenantId, freshD.id)).attempts[0]).toMatchObject({ responseBody: 'receiver said hello', expired: false });

    // A manual retry of an expired event cannot send its payload.
    const retry = await app.request('POST', `/v1/tenants/${tenantId}/deliveries/${old.deliveryId}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.message).toMatch(/expired/);
    expect((await app.request('POST', `/v1/tenants/${tenantId}/deliveries/${freshD.id}/retry`)).status).toBe(202);

    // Attempts below the mark read as expired: it is the end of the last dropped partition.
    const marks = await run(`select name, expired_before from retention_marks order by name`);
    expect(marks).toEqual([{ name: 'attempts', expired_before: partitionBounds('attempt_bodies', oldDay, new Date(oldDay.getTime() + DAY)).high }]);
    // Running again finds nothing more to do.
    expect(await app.app.get(RetentionService).run()).toEqual({ dropped: [], compacted: [] });
  });

  it('finishes a drop cut short: a day detached but not dropped goes on the next run', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/cut`, eventTypes: ['ret.*'] });
    await oldEvent(ep.id, 50);
    const day = utcDay(new Date(Date.now() - 50 * DAY));
    await run(`alter table event_payloads detach partition ${partitionName('event_payloads', day)}`);
    expect(await partitions()).toContain(partitionName('event_payloads', day));
    expect((await app.app.get(RetentionService).run()).dropped).toEqual([partitionName('event_payloads', day), partitionName('attempt_bodies', day)]);
    expect(await partitions()).not.toContain(partitionName('event_payloads', day));
  });

  it('a pending delivery of an expired event ends failed without a request', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/late`, eventTypes: ['late.*'] });
    const { deliveryId } = await oldEvent(ep.id, 45, 'pending');
    await app.app.get(RetentionService).run();
    await queueAttempt(app.db.pool, deliveryId, 2);
    const done = await waitForStatus(app, tenantId, deliveryId, 'failed');
    expect(done.attempts).toHaveLength(1); // the seeded one; none more
    expect(receiver.forPath('/late')).toHaveLength(0);
  });

  // last: it empties today's partition
  it("heals a missing day: a publish answers 503 and writes nothing, and once the day is made it is taken", async () => {
    const today = utcDay(new Date());
    await run(`alter table event_payloads detach partition ${partitionName('event_payloads', today)}`);
    await run(`drop table ${partitionName('event_payloads', today)}`);
    const events = async () => Number((await run(`select count(*)::int as n from events`))[0].n);
    const before = await events();
    const refused = await app.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type: 'heal.x', data: { a: 1 } } });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the log cannot take this event yet, try again' });
    expect(await events()).toBe(before);
    expect(await app.app.get(LogPartitionsService).ensure()).toEqual([partitionName('event_payloads', today)]);
    const taken = await publish(app, tenantId, 'heal.x', { a: 2 });
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${taken.id}`)).body).toMatchObject({ data: { a: 2 }, expired: false });
  });
});
