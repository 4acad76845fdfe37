import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { PayloadPartitions1764800000000 } from '../../migrations/1764800000000-payload-partitions';
import { HistoryPartitions1765000000000 } from '../../migrations/1765000000000-history-partitions';
import { migrateWithLock } from '../../src/bootstrap';
import { idAtOrAfter, newId } from '../../src/common/ids';
import { Db } from '../../src/database/db';
import { listPartitions, partitionName, RunSql, utcDay } from '../../src/database/log-partitions';
import { LogPartitionsService } from '../../src/database/log-partitions.service';
import type { AppConfig } from '../../src/config/config';
import { RetentionRepository } from '../../src/worker/retention.repository';
import { RetentionService } from '../../src/worker/retention.service';
import { DeliveriesRepository } from '../../src/deliveries/deliveries.repository';
import { EventsRepository } from '../../src/events/events.repository';
import { adminQuery } from '../support/database';
import { withDatabase } from '../support/global-setup';

const DAY = 86_400_000;

/** Applies the first `count` migrations only: a database as an older version left it. */
async function migrateFirst(url: string, count: number): Promise<void> {
  const source = new DataSource({ type: 'postgres', url, migrations: ALL_MIGRATIONS.slice(0, count), migrationsTableName: 'typeorm_migrations', logging: false });
  await source.initialize();
  try {
    await source.runMigrations({ transaction: 'each' });
  } finally {
    await source.destroy();
  }
}


/** Processes starting together (an API and a worker, or replicas) migrate an empty database once, and none waits for ever. */
describe('migrations under the lock', () => {
  const name = `whk_mig_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(process.env.TEST_PG_BASE_URL!, name);
  beforeAll(() => adminQuery(`create database ${name}`));
  afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));

  it('three processes at once: one migrates (indexes built concurrently), the others wait their turn and find nothing to do', async () => {
    await Promise.all([migrateWithLock(url), migrateWithLock(url), migrateWithLock(url)]);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query(`select name from typeorm_migrations order by id`);
      expect(rows.map((r) => r.name)).toEqual(ALL_MIGRATIONS.map((m) => new m().name));
      const idx = await c.query(`select indexdef from pg_indexes where indexname = 'deliveries_tenant_idx'`);
      expect(idx.rows[0].indexdef).toMatch(/\(tenant_id, id\)$/);
      const invalid = await c.query(`select count(*)::int as n from pg_index where not indisvalid`);
      expect(invalid.rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  }, 60_000);
});

/**
 * Issue 9 point 3 on a database that already holds a log: payloads and response bodies move
 * to their day partitions, what retention had expired stays expired, and the log reads the same.
 */
describe('payload partitions on an existing database', () => {
  const name = `whk_mig_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(process.env.TEST_PG_BASE_URL!, name);
  beforeAll(() => adminQuery(`create database ${name}`));
  afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));

  it('copies what is kept into day partitions and keeps what was expired expired', async () => {
    await migrateFirst(url, ALL_MIGRATIONS.indexOf(PayloadPartitions1764800000000));

    const pool = new Pool({ connectionString: url, max: 2 });
    try {
      const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY);
      const id = (prefix: 'evt' | 'dlv' | 'att', daysAgo: number) => idAtOrAfter(prefix, at(daysAgo)) + newId(prefix).slice(-16);
      const [expiredEvent, keptEvent] = [id('evt', 40), id('evt', 3)];
      const [expiredDelivery, keptDelivery] = [id('dlv', 40), id('dlv', 3)];
      const [expiredAttempt, keptAttempt, bodyless] = [id('att', 40), id('att', 3), id('att', 3)];
      await pool.query(`insert into tenants (id, name) values ('ten_1', 't')`);
      await pool.query(`insert into endpoints (id, tenant_id, url, secret) values ('ep_1', 'ten_1', 'http://127.0.0.1:9/', 'whsec_x')`);
      await pool.query(`insert into events (id, tenant_id, type, data, created_at, expired_at) values
                          ($1, 'ten_1', 'a.b', null, $3, now()), ($2, 'ten_1', 'a.b', '{"kept":1}', $4, null)`, [expiredEvent, keptEvent, at(40), at(3)]);
      await pool.query(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, created_at) values
                          ($1, 'ten_1', $3, 'ep_1', 'a.b', 'succeeded', $5), ($2, 'ten_1', $4, 'ep_1', 'a.b', 'failed', $6)`,
      [expiredDelivery, keptDelivery, expiredEvent, keptEvent, at(40), at(3)]);
      await pool.query(`insert into attempts (id, delivery_id, number, trigger, started_at, duration_ms, request_url, response_status, response_body, expired_at) values
                          ($1, $4, 1, 'scheduled', $5, 1, 'http://127.0.0.1:9/', 200, null, now()),
                          ($2, $6, 1, 'scheduled', $7, 1, 'http://127.0.0.1:9/', 500, 'kept body', null),
                          ($3, $6, 2, 'scheduled', $7, 1, 'http://127.0.0.1:9/', null, null, null)`,
      [expiredAttempt, keptAttempt, bodyless, expiredDelivery, at(40), keptDelivery, at(3)]);
      await pool.query(`insert into retention_marks (name, expired_before) values ('events', $1), ('attempts', $2)`, [id('evt', 35), id('att', 35)]);
      // an id the service would not make holds no time: the migration goes on without it
      await pool.query(`insert into events (id, tenant_id, type, data) values ('evt_odd', 'ten_1', 'a.b', '{"odd":1}')`);

      await migrateFirst(url, ALL_MIGRATIONS.indexOf(PayloadPartitions1764800000000) + 1);

      const db = new Db(pool);
      const events = new EventsRepository(db);
      expect(await events.find('ten_1', keptEvent)).toMatchObject({ data_json: '{"kept":1}' });
      expect(await events.find('ten_1', expiredEvent)).toMatchObject({ data_json: null });
      expect(await events.find('ten_1', 'evt_odd')).toMatchObject({ data_json: null });
      const deliveries = new DeliveriesRepository(db);
      expect((await deliveries.attempts(expiredDelivery)).map((a) => [a.response_body, a.expired])).toEqual([[null, true]]);
      expect((await deliveries.attempts(keptDelivery)).map((a) => [a.response_body, a.expired])).toEqual([['kept body', false], [null, false]]);
      // a partition for every day from the oldest kept row on, and none of the dropped columns
      const days = (await pool.query(`select relname from pg_class where relname like 'event_payloads_p%'`)).rows.map((r) => r.relname);
      expect(days).toContain(partitionName('event_payloads', utcDay(at(3))));
      const columns = (await pool.query(`select table_name || '.' || column_name as c from information_schema.columns
                                           where table_name in ('events', 'attempts') and column_name in ('data', 'response_body', 'expired_at')`)).rows;
      expect(columns).toEqual([]);
    } finally {
      await pool.end();
    }
  }, 60_000);
});

/**
 * Issue 9 point 3: events, deliveries and attempts partitioned by time on a database that
 * already holds a log. The rows stay where they are, as the partition from MINVALUE; a row no
 * partition could hold stops the migration with nothing changed; LOG_RETENTION_DAYS then drops
 * the old rows a partition at a time.
 */
describe('history partitions on an existing database', () => {
  const name = `whk_mig_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(process.env.TEST_PG_BASE_URL!, name);
  beforeAll(() => adminQuery(`create database ${name}`));
  afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));

  it('keeps the old rows as one partition, refuses ids no partition holds, and drops the old log whole', async () => {
    await migrateFirst(url, ALL_MIGRATIONS.indexOf(HistoryPartitions1765000000000));
    const pool = new Pool({ connectionString: url, max: 3 });
    const run: RunSql = async (sql, params) => (await pool.query(sql, params)).rows;
    try {
      const at = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY);
      const eventId = idAtOrAfter('evt', at(40)) + newId('evt').slice(-16);
      const deliveryId = `dlv_${eventId.slice(4, -3)}000`;
      const attemptId = idAtOrAfter('att', at(40)) + newId('att').slice(-16);
      await run(`insert into tenants (id, name) values ('ten_1', 't')`);
      await run(`insert into endpoints (id, tenant_id, url, secret) values ('ep_1', 'ten_1', 'http://127.0.0.1:9/', 'whsec_x')`);
      await run(`insert into events (id, tenant_id, type, created_at) values ($1, 'ten_1', 'a.b', $2)`, [eventId, at(40)]);
      await run(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, created_at) values ($1, 'ten_1', $2, 'ep_1', 'a.b', 'failed', $3)`,
        [deliveryId, eventId, at(40)]);
      await run(`insert into attempts (id, delivery_id, endpoint_id, number, trigger, started_at, duration_ms, request_url, response_status)
                 values ($1, $2, 'ep_1', 1, 'scheduled', $3, 1, 'http://127.0.0.1:9/', 500)`, [attemptId, deliveryId, at(40)]);
      await run(`insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) values ($1, 0, 'ep_1', 'ten_1', now())`, [deliveryId]);

      // a row whose id sorts after every time the service makes: no partition could hold it
      await run(`insert into events (id, tenant_id, type) values ('evt_odd', 'ten_1', 'a.b')`);
      await expect(migrateWithLock(url)).rejects.toThrow(/1 rows of events have ids at or after evt_\w+, which the service does not make \(one is "evt_odd"\)/);
      const kinds = async () => (await run(`select relname, relkind from pg_class where relname in ('events', 'deliveries', 'attempts') order by relname`))
        .map((r) => `${r.relname}:${r.relkind}`);
      expect(await kinds()).toEqual(['attempts:r', 'deliveries:r', 'events:r']);
      await run(`delete from events where id = 'evt_odd'`);

      await migrateWithLock(url);
      expect(await kinds()).toEqual(['attempts:p', 'deliveries:p', 'events:p']);
      const legacy = (await listPartitions(run, 'deliveries'))[0];
      expect(legacy).toMatchObject({ name: 'deliveries_p19700101', low: null, from: new Date(0), to: new Date(utcDay(new Date()).getTime() + DAY) });
      // its indexes were attached as they were, not built again beside them
      const indexes = (await run(`select count(*)::int as n from pg_index where indrelid = 'deliveries_p19700101'::regclass`))[0].n;
      expect(indexes).toBe(5);
      expect((await run(`select reloptions from pg_class where relname = 'deliveries_p19700101'`))[0].reloptions).toEqual(['fillfactor=70']);

      const db = new Db(pool);
      const deliveries = new DeliveriesRepository(db);
      expect(await deliveries.find('ten_1', deliveryId)).toMatchObject({ id: deliveryId, status: 'failed' });
      expect((await deliveries.list('ten_1', { status: 'failed' }, 10, null)).rows.map((r) => r.id)).toEqual([deliveryId]);
      expect((await deliveries.attempts(deliveryId)).map((a) => a.id)).toEqual([attemptId]);
      // the failure trigger follows the table into its partitions, old and new (this one, of two days ahead)
      const fresh = idAtOrAfter('evt', new Date(Date.now() + 2 * DAY)) + newId('evt').slice(-16);
      await run(`insert into events (id, tenant_id, type) values ($1, 'ten_1', 'a.b')`, [fresh]);
      await run(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status) values ($1, 'ten_1', $2, 'ep_1', 'a.b', 'cancelled')`,
        [`dlv_${fresh.slice(4, -3)}000`, fresh]);
      await run(`update deliveries set status = 'pending' where id = $1`, [deliveryId]);
      expect((await run(`select delivery_id, status from delivery_failures order by delivery_id`))).toEqual([{ delivery_id: `dlv_${fresh.slice(4, -3)}000`, status: 'cancelled' }]);
      await run(`update deliveries set status = 'failed' where id = $1`, [deliveryId]);

      // packed once no row enters it (its indexes kept the names they had), and read as before
      const config = { retentionDays: 30, logRetentionDays: 30 } as AppConfig;
      const packed = await new LogPartitionsService(db, config).compactBefore(legacy.to, ['attempts', 'deliveries', 'events'], { deadline: Date.now() + 60_000 });
      expect([...new Set(packed!.map((r) => r.partition))]).toEqual(['attempts_p19700101', 'deliveries_p19700101', 'events_p19700101']);
      expect(packed!.filter((r) => r.partition === 'deliveries_p19700101')).toHaveLength(5);
      expect((await deliveries.list('ten_1', { status: 'failed' }, 10, null)).rows.map((r) => r.id)).toEqual([deliveryId]);
      expect((await deliveries.list('ten_1', { endpointId: 'ep_1' }, 10, null)).rows.map((r) => r.id)).toContain(deliveryId);
      expect((await deliveries.attempts(deliveryId)).map((a) => a.id)).toEqual([attemptId]);

      // LOG_RETENTION_DAYS: the partition from MINVALUE goes once all of it is that old, with
      // the failure and queue rows of its deliveries; the newer partitions stay
      const retention = new RetentionService(new RetentionRepository(db), new LogPartitionsService(db, config), config);
      const dropped = await retention.dropLogBefore(legacy.to);
      expect(dropped).toEqual(['attempts_p19700101', 'deliveries_p19700101', 'events_p19700101']);
      expect(await deliveries.find('ten_1', deliveryId)).toBeNull();
      expect((await run(`select count(*)::int as n from delivery_queue`))[0].n).toBe(0);
      expect((await run(`select delivery_id from delivery_failures`)).map((r) => r.delivery_id)).toEqual([`dlv_${fresh.slice(4, -3)}000`]);
      expect((await run(`select count(*)::int as n from events`))[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  }, 60_000);
});
