import { newId } from '../../src/common/ids';
import { listPartitions, partitionName, RunSql, utcDay } from '../../src/database/log-partitions';
import { LogPartitionsService } from '../../src/database/log-partitions.service';
import { RetentionService } from '../../src/worker/retention.service';
import { WorkerRepository } from '../../src/worker/worker.repository';
import { createEndpoint, getDelivery, publish, TestApp, useAppWithReceiver } from '../support/app';
import { onlyDelivery, queueAttempt, seedOldEvent, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';

const DAY = 86_400_000;

/**
 * LOG_RETENTION_DAYS (issue 9 point 3): the delivery log's own rows, partitioned by time like
 * the payloads, go a partition at a time once they are that old, with the failure and queue
 * rows that point into them; what is younger stays as SPEC §8 says.
 */
describe('LOG_RETENTION_DAYS', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  const run: RunSql = async (sql, params) => (await app.db.pool.query(sql, params)).rows;

  useAppWithReceiver({ RETENTION_DAYS: '30', LOG_RETENTION_DAYS: '60', LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));
  beforeAll(() => {
    receiver.respondWith((_req, res) => void res.writeHead(200).end('ok'));
  });

  it('drops the events, deliveries and attempts past it whole, with their failure and queue rows, and keeps the rest', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/log`, eventTypes: ['ret.*'] });
    const gone = await seedOldEvent(run, tenantId, ep.id, 70, 'failed');
    const pendingGone = await seedOldEvent(run, tenantId, ep.id, 70, 'pending');
    await queueAttempt(app.db.pool, pendingGone.deliveryId, 2);
    const kept = await seedOldEvent(run, tenantId, ep.id, 45);
    const justInside = await seedOldEvent(run, tenantId, ep.id, 59.9);
    const fresh = await publish(app, tenantId, 'ret.fresh', { n: 1 });
    const freshDelivery = await onlyDelivery(app, tenantId, fresh.id);
    await waitForStatus(app, tenantId, freshDelivery.id, 'succeeded');
    const oldDay = utcDay(new Date(Date.now() - 70 * DAY));

    const ends = new Map<string, number>();
    for (const table of ['events', 'deliveries', 'attempts'] as const) {
      for (const p of await listPartitions(run, table)) ends.set(p.name, p.to.getTime());
    }
    const { dropped, compacted } = await app.app.get(RetentionService).run();
    expect(dropped).toEqual(expect.arrayContaining(['attempts', 'deliveries', 'events'].map((t) => partitionName(t as 'events', oldDay))));
    // what stays of the closed partitions is packed (LogPartitionsService.compactBefore), what is written to is not
    const partitionOf = async (table: string, id: string) => String((await run(`select tableoid::regclass::text as p from ${table} where id = $1`, [id]))[0].p);
    const keptSuffix = (await partitionOf('deliveries', kept.deliveryId)).slice('deliveries'.length);
    expect(compacted).toEqual(expect.arrayContaining([`deliveries_endpoint_idx${keptSuffix}`, `attempts_delivery_idx${(await partitionOf('attempts', kept.attemptId)).slice('attempts'.length)}`]));
    const open = [await partitionOf('events', fresh.id), await partitionOf('deliveries', freshDelivery.id)];
    expect(compacted.filter((name) => open.some((p) => name.includes(p.slice(p.indexOf('_p')))))).toEqual([]);
    // every log partition that went ended 60 days (and a minute) ago or earlier (payloads go at 30)
    const logDropped = dropped.filter((name) => /^(events|deliveries|attempts)_p/.test(name));
    expect(logDropped.length).toBeGreaterThanOrEqual(3);
    expect(logDropped.filter((name) => ends.get(name)! > Date.now() - 60 * DAY - 60_000)).toEqual([]);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/deliveries/${justInside.deliveryId}`)).status).toBe(200);

    for (const path of [`events/${gone.eventId}`, `deliveries/${gone.deliveryId}`, `deliveries/${pendingGone.deliveryId}`]) {
      expect([path, (await app.request('GET', `/v1/tenants/${tenantId}/${path}`)).status]).toEqual([path, 404]);
    }
    expect((await app.request('GET', `/v1/tenants/${tenantId}/deliveries?status=failed`)).body.data.map((d: any) => d.id)).not.toContain(gone.deliveryId);
    const left = await run(`select (select count(*) from delivery_failures where delivery_id = any($1))::int as failures,
                                   (select count(*) from delivery_queue where delivery_id = any($1))::int as queued`, [[gone.deliveryId, pendingGone.deliveryId]]);
    expect(left).toEqual([{ failures: 0, queued: 0 }]);

    // past RETENTION_DAYS but within LOG_RETENTION_DAYS: the rows stay, expired
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${kept.eventId}`)).body).toMatchObject({ data: null, expired: true });
    expect((await getDelivery(app, tenantId, kept.deliveryId)).attempts).toEqual([expect.objectContaining({ id: kept.attemptId, expired: true })]);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/events/${fresh.id}`)).body).toMatchObject({ data: { n: 1 }, expired: false });
    expect(await app.app.get(RetentionService).run()).toEqual({ dropped: [], compacted: [] });
  });

  it('a queue row whose delivery is gone (written while its partition was dropped) is removed by the next fetch, and the endpoint goes on', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/orphan`, eventTypes: ['orphan.*'] });
    const orphan = newId('dlv');
    await run(`insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) values ($1, 0, $2, $3, now() - interval '1 minute')`, [orphan, ep.id, tenantId]);
    const { due } = await app.app.get(WorkerRepository).fetchDue(ep.id, [], { manual: 4, scheduled: 16 });
    expect(due).toEqual([]);
    expect((await run(`select count(*)::int as n from delivery_queue where delivery_id = $1`, [orphan]))[0].n).toBe(0);
    const event = await publish(app, tenantId, 'orphan.x', { n: 2 });
    await waitForStatus(app, tenantId, (await onlyDelivery(app, tenantId, event.id)).id, 'succeeded');
  });

  it('finishes a drop cut short: a partition of deliveries left detached goes, and the failure rows of its deliveries with it', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/cut`, eventTypes: ['ret.*'] });
    const cut = await seedOldEvent(run, tenantId, ep.id, 80, 'failed');
    const name = partitionName('deliveries', utcDay(new Date(Date.now() - 80 * DAY)));
    await run(`alter table deliveries detach partition ${name}`);
    expect((await app.app.get(RetentionService).run()).dropped).toContain(name);
    expect((await run(`select count(*)::int as n from pg_class where relname = $1`, [name]))[0].n).toBe(0);
    expect((await run(`select count(*)::int as n from delivery_failures where delivery_id = $1`, [cut.deliveryId]))[0].n).toBe(0);
  });

  // last: it drops the partition holding today's log rows
  it("heals a missing partition of the log rows: a publish answers 503 and writes nothing, and once it is made it is taken", async () => {
    const now = Date.now();
    const holding = (await listPartitions(run, 'deliveries')).find((p) => p.from.getTime() <= now && now < p.to.getTime())!;
    await run(`alter table deliveries detach partition ${holding.name}`);
    await run(`drop table ${holding.name}`);
    await createEndpoint(app, tenantId, { url: `${receiver.url}/heal`, eventTypes: ['heal.*'] });
    const events = async () => Number((await run(`select count(*)::int as n from events`))[0].n);
    const before = await events();
    const refused = await app.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type: 'heal.x', data: { a: 1 } } });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'the log cannot take this event yet, try again' });
    expect(await events()).toBe(before);
    expect(await app.app.get(LogPartitionsService).ensure()).toContain(holding.name);
    const taken = await publish(app, tenantId, 'heal.x', { a: 2 });
    await waitForStatus(app, tenantId, (await onlyDelivery(app, tenantId, taken.id)).id, 'succeeded');
  });
});
