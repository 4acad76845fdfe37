import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { idAtOrAfter, newId } from '../../src/common/ids';
import { createLogPartitions, listPartitions, LOG_PARTITIONS_COMPACT_LOCK, LOG_PARTITIONS_DROP_LOCK, PAYLOAD_TABLES, partitionName, RunSql, spansOf, utcDay } from '../../src/database/log-partitions';
import { Db } from '../../src/database/db';
import { LogPartitionsService } from '../../src/database/log-partitions.service';
import type { AppConfig } from '../../src/config/config';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DAY = 86_400_000;

/** The partitions of payloads and bodies (src/database/log-partitions.ts) on a real database. */
describe('log partitions', () => {
  let db: TestDatabase;
  let run: RunSql;
  beforeAll(async () => {
    db = await createTestDatabase();
    run = async (sql, params) => (await db.pool.query(sql, params)).rows;
  });
  afterAll(() => db?.drop());

  const base = utcDay(new Date(Date.now() - 200 * DAY));
  const day = (n: number) => new Date(base.getTime() + n * DAY);

  it('makes partitions of the given span that hold every day, fills a hole with what fits, and makes nothing twice', async () => {
    expect(await createLogPartitions(run, day(0), day(9), spansOf(PAYLOAD_TABLES, 3))).toEqual([0, 3, 6, 9].flatMap((n) => [partitionName('event_payloads', day(n))]).concat(
      [0, 3, 6, 9].map((n) => partitionName('attempt_bodies', day(n)))));
    const spans = (await listPartitions(run, 'event_payloads')).filter((p) => p.from < day(12)).map((p) => [p.from.toISOString(), p.to?.toISOString()]);
    expect(spans).toEqual([[day(0), day(3)], [day(3), day(6)], [day(6), day(9)], [day(9), day(12)]].map(([a, b]) => [a.toISOString(), b.toISOString()]));
    expect(await createLogPartitions(run, day(0), day(11), spansOf(PAYLOAD_TABLES, 3))).toEqual([]);

    // a partition dropped by hand: its days are made again, in spans that end where the next begins
    await run(`alter table event_payloads detach partition ${partitionName('event_payloads', day(3))}`);
    await run(`drop table ${partitionName('event_payloads', day(3))}`);
    expect(await createLogPartitions(run, day(0), day(11), spansOf(PAYLOAD_TABLES, 2))).toEqual([partitionName('event_payloads', day(3)), partitionName('event_payloads', day(5))]);
    const hole = (await listPartitions(run, 'event_payloads')).filter((p) => p.from >= day(3) && p.from < day(6)).map((p) => (p.to.getTime() - p.from.getTime()) / DAY);
    expect(hole).toEqual([2, 1]);
  });

  it('routes a row to the partition of its id\'s time, and refuses one outside every partition', async () => {
    const inside = idAtOrAfter('evt', new Date(day(4).getTime() + 5_000)) + newId('evt').slice(-16);
    await run(`insert into event_payloads (event_id, data) values ($1, '{}')`, [inside]);
    expect((await run(`select tableoid::regclass::text as part from event_payloads where event_id = $1`, [inside]))[0].part)
      .toBe(partitionName('event_payloads', day(3)));
    const outside = idAtOrAfter('evt', new Date(day(-50).getTime())) + newId('evt').slice(-16);
    await expect(run(`insert into event_payloads (event_id, data) values ($1, '{}')`, [outside])).rejects.toThrow(/no partition of relation "event_payloads"/);
  });

  it('drops what is wholly before the horizon, oldest first, one at a time, and only one process at once', async () => {
    const service = new LogPartitionsService(new Db(db.pool), { retentionDays: 30 } as AppConfig);
    const seen: string[] = [];
    const dropped = await service.dropBefore(day(5), PAYLOAD_TABLES, { dropped: async (p) => void seen.push(`${p.name}<${p.to.toISOString().slice(0, 10)}`) });
    // [3, 5) ends at the horizon and goes; [5, 6) does not
    expect(dropped!.map((d) => d.name)).toEqual([partitionName('event_payloads', day(0)), partitionName('event_payloads', day(3)), partitionName('attempt_bodies', day(0))]);
    expect(seen[0]).toBe(`${partitionName('event_payloads', day(0))}<${day(3).toISOString().slice(0, 10)}`);
    expect((await listPartitions(run, 'event_payloads'))[0].name).toBe(partitionName('event_payloads', day(5)));

    // while another session holds the drop lock, a second drop does nothing
    const other = await db.pool.connect();
    try {
      await other.query(`select pg_advisory_lock($1)`, [LOG_PARTITIONS_DROP_LOCK]);
      expect(await service.dropBefore(day(100), PAYLOAD_TABLES)).toBeNull();
      await other.query(`select pg_advisory_unlock($1)`, [LOG_PARTITIONS_DROP_LOCK]);
    } finally {
      other.release();
    }
    expect((await listPartitions(run, 'event_payloads'))[0].name).toBe(partitionName('event_payloads', day(5)));
  });

  it('ensure keeps yesterday through a week ahead held, and a second call makes nothing', async () => {
    const service = new LogPartitionsService(new Db(db.pool), { retentionDays: 90 } as AppConfig);
    await service.ensure();
    const today = utcDay(new Date());
    const held = await listPartitions(run, 'attempt_bodies');
    for (let d = -1; d <= 7; d++) {
      const t = today.getTime() + d * DAY;
      expect(held.some((p) => p.from.getTime() <= t && t < p.to.getTime())).toBe(true);
    }
    expect(await service.ensure()).toEqual([]);
  });

  it('ensure warns when a table holds far more partitions than its RETENTION_DAYS gives (a process set differently)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const service = new LogPartitionsService(new Db(db.pool), { retentionDays: 365 } as AppConfig);
      await service.ensure();
      expect(warn).not.toHaveBeenCalled();
      // a process at the default made a partition a day, as for RETENTION_DAYS=30
      await createLogPartitions(run, day(20), day(99), spansOf(PAYLOAD_TABLES, 1));
      await service.ensure();
      const tables = warn.mock.calls.map(([meta]) => (meta as { table: string }).table);
      expect(tables).toEqual(['event_payloads', 'attempt_bodies']);
      expect(String(warn.mock.calls[0][1])).toMatch(/^event_payloads has \d+ partitions where RETENTION_DAYS=365 gives about 31: set the same RETENTION_DAYS on every process/);
    } finally {
      warn.mockRestore();
    }
  });

  it('packs the indexes of partitions whose time has passed, once, drops a copy a rebuild left, and leaves the open ones alone', async () => {
    const service = new LogPartitionsService(new Db(db.pool), { retentionDays: 30 } as AppConfig);
    await createLogPartitions(run, day(150), day(154), spansOf(['deliveries'], 5));
    const closed = partitionName('deliveries', day(150));
    // 20,000 deliveries to 40 endpoints in id order, as a live log writes them: the endpoint
    // index takes them in 40 places, and each of its pages that splits keeps half its room free
    // (autovacuum would take the partition's lock while the test makes a rebuild wait for one)
    await run(`alter table ${closed} set (autovacuum_enabled = off)`);
    const prefix = idAtOrAfter('dlv', new Date(day(150).getTime() + 60_000));
    await run(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type)
               select $1 || lpad(g::text, 16, '0'), 'ten_x', 'evt_' || g, 'ep_' || (g % 40), 'type.' || (g % 7)
                 from generate_series(1, 20000) g`, [prefix]);
    const index = `deliveries_endpoint_idx${closed.slice('deliveries'.length)}`;
    const size = async (name: string) => Number((await run(`select pg_relation_size($1::regclass)::float8 as b`, [name]))[0].b);
    const loose = await size(index);
    // a rebuild cut short (here: it waited too long for a writer's transaction) leaves the index
    // as it was and an invalid copy, `_ccnew`, with the fillfactor already set
    const writer = await db.pool.connect();
    const rebuilder = await db.pool.connect();
    try {
      await writer.query(`begin`);
      await writer.query(`update ${closed} set status = 'succeeded' where id = $1`, [`${prefix}${'1'.padStart(16, '0')}`]);
      await rebuilder.query(`alter index ${index} set (fillfactor = 100)`);
      await rebuilder.query(`set lock_timeout = '300ms'`);
      await expect(rebuilder.query(`reindex index concurrently ${index}`)).rejects.toThrow(/lock timeout/);
      await writer.query(`rollback`);
    } finally {
      writer.release();
      rebuilder.release(true);
    }
    expect(await run(`select x.indisvalid as valid from pg_index x where x.indexrelid = $1::regclass`, [`${index}_ccnew`])).toEqual([{ valid: false }]);
    expect(await size(index)).toBe(loose);
    const open = (await listPartitions(run, 'deliveries')).filter((p) => p.to.getTime() > Date.now() - DAY);
    const openIndexes = async () => run(`select indexrelid::regclass::text as name, pg_relation_filenode(indexrelid) as file from pg_index
                                           where indrelid = any($1::regclass[]) order by 1`, [open.map((p) => p.name)]);
    const openBefore = await openIndexes();
    expect(openBefore.length).toBeGreaterThan(0);

    const rebuilt = await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() + 60_000 });
    // every index of the closed partition, and none of a partition still written to
    expect(rebuilt!.filter((r) => r.partition === closed).map((r) => r.index).sort()).toEqual(
      ['endpoint', 'event', 'tenant', 'tenant_type'].map((k) => `deliveries_${k}_idx${closed.slice('deliveries'.length)}`).concat(`${closed}_pkey`).sort());
    expect(rebuilt!.every((r) => !open.some((p) => p.name === r.partition))).toBe(true);
    expect(await openIndexes()).toEqual(openBefore);
    const packed = await size(index);
    expect(packed).toBeLessThan(loose * 0.75);
    expect(rebuilt!.find((r) => r.index === index)).toEqual({ partition: closed, index, bytesBefore: loose, bytesAfter: packed });
    expect(await run(`select 1 from pg_class where relname = $1`, [`${index}_ccnew`])).toEqual([]);
    expect((await run(`select obj_description($1::regclass, 'pg_class') as mark`, [index]))[0].mark).toMatch(/^packed: /);
    // still the parent's, valid, and what a read of an endpoint uses
    expect(await run(`select x.indisvalid as valid, i.inhparent::regclass::text as parent from pg_index x join pg_inherits i on i.inhrelid = x.indexrelid
                       where x.indexrelid = $1::regclass`, [index])).toEqual([{ valid: true, parent: 'deliveries_endpoint_idx' }]);
    await run(`analyze ${closed}`);
    const plan = (await run(`explain select id from deliveries where endpoint_id = 'ep_3' and id >= $1 and id < $2 order by id desc limit 20`,
      [prefix, idAtOrAfter('dlv', day(151))])).map((r) => String(r['QUERY PLAN'])).join('\n');
    expect(plan).toContain(index);
    expect((await run(`select count(*)::int as n from deliveries where endpoint_id = 'ep_3' and id >= $1`, [prefix]))[0].n).toBe(500);

    // done once: a second run finds nothing to do, and a run past its deadline starts nothing
    expect(await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() + 60_000 })).toEqual([]);
    await run(`comment on index ${index} is null`);
    expect(await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() - 1 })).toEqual([]);
    // a rebuild that failed or was cut short less than a day ago is not tried again yet; then it is
    await run(`comment on index ${index} is 'packing since ${new Date(Date.now() - 3_600_000).toISOString()}'`);
    expect(await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() + 60_000 })).toEqual([]);
    await run(`comment on index ${index} is 'packing since ${new Date(Date.now() - 25 * 3_600_000).toISOString()}'`);
    // and not while another process packs; a drop meanwhile goes on
    const other = await db.pool.connect();
    try {
      await other.query(`select pg_advisory_lock($1)`, [LOG_PARTITIONS_COMPACT_LOCK]);
      expect(await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() + 60_000 })).toBeNull();
      expect(await service.dropBefore(day(0), PAYLOAD_TABLES)).toEqual([]);
      await other.query(`select pg_advisory_unlock($1)`, [LOG_PARTITIONS_COMPACT_LOCK]);
    } finally {
      other.release();
    }
    expect((await service.compactBefore(new Date(Date.now() - DAY), ['deliveries'], { deadline: Date.now() + 60_000 }))!.map((r) => r.index)).toEqual([index]);
  });

  it('packing leaves alone what the drop takes soon, resets its session, and a shutdown stops the rebuild under way for the next run to make again', async () => {
    // one connection: the session packing used is the one the next query gets
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const service = new LogPartitionsService(new Db(pool), { retentionDays: 30 } as AppConfig);
    try {
      await createLogPartitions(run, day(160), day(169), spansOf(['events'], 5));
      const [older, newer] = [partitionName('events', day(160)), partitionName('events', day(165))];
      for (const name of [older, newer]) await run(`alter table ${name} set (autovacuum_enabled = off)`);
      await run(`insert into events (id, tenant_id, type) select $1 || lpad(g::text, 16, '0'), 'ten_x', 't' || (g % 5) from generate_series(1, 500) g`,
        [idAtOrAfter('evt', new Date(day(166).getTime() + 60_000))]);
      const settings = async () => (await pool.query(`select current_setting('statement_timeout') as st, current_setting('lock_timeout') as lt,
                                                             current_setting('max_parallel_maintenance_workers') as mp,
                                                             current_setting('client_connection_check_interval') as cc`)).rows[0];
      const defaults = await settings();

      // a shutdown while a rebuild waits (for a writer's transaction): it is cancelled at once, unmarked
      const writer = await db.pool.connect();
      const abort = new AbortController();
      try {
        await writer.query(`begin`);
        await writer.query(`insert into events (id, tenant_id, type) values ($1, 'ten_x', 't0')`, [idAtOrAfter('evt', new Date(day(167).getTime())) + 'x'.repeat(16)]);
        const packing = service.compactBefore(day(200), ['events'], { deadline: Date.now() + 60_000, after: day(165), signal: abort.signal });
        const waiting = async () => (await run(`select count(*)::int as n from pg_stat_activity where query like 'reindex index concurrently%' and wait_event_type = 'Lock'`))[0].n;
        for (let i = 0; i < 200 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
        expect(await waiting()).toBe(1);
        const started = Date.now();
        abort.abort();
        await expect(Promise.race([packing, new Promise((_, reject) => setTimeout(() => reject(new Error('not stopped')), 10_000))])).rejects.toThrow(/cancel/i);
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await writer.query(`rollback`).catch(() => undefined);
        writer.release();
      }
      const marks = async (partition: string) => (await run(`select coalesce(obj_description(indexrelid, 'pg_class'), '') as mark from pg_index where indrelid = $1::regclass`, [partition])).map((r) => String(r.mark));
      expect((await marks(newer)).filter((m) => m.startsWith('packing since'))).toEqual([]);

      // the next run drops the copy left, packs the newer partition and leaves the older alone
      const rebuilt = await service.compactBefore(day(200), ['events'], { deadline: Date.now() + 60_000, after: day(165) });
      expect(new Set(rebuilt!.map((r) => r.partition))).toEqual(new Set([newer]));
      expect((await marks(newer)).every((m) => m.startsWith('packed: '))).toBe(true);
      expect((await marks(older)).some((m) => m.startsWith('packed: '))).toBe(false);
      expect(await run(`select relname from pg_class where relname like '%_ccnew%'`)).toEqual([]);
      expect(await settings()).toEqual(defaults);
    } finally {
      await pool.end();
    }
  });
});
