import { MigrationInterface, QueryRunner } from 'typeorm';
import { idAtOrAfter, IdPrefix } from '../src/common/ids';
import { AHEAD_DAYS, createLogPartitions, HISTORY_TABLES, LOG_PARTITIONS_LOCK, RunSql, spansOf, utcDay } from '../src/database/log-partitions';

const DAY_MS = 86_400_000;
const TABLES: Array<{ table: string; prefix: IdPrefix }> = [
  { table: 'events', prefix: 'evt' },
  { table: 'deliveries', prefix: 'dlv' },
  { table: 'attempts', prefix: 'att' },
];
/** The rows a database held before this migration: one partition from MINVALUE, named for the epoch's day. */
const LEGACY_SUFFIX = '_p19700101';
/**
 * The log's foreign keys go. A partition is dropped whole, which no cascade follows; a check
 * into a partitioned table is planned over every partition; and a partition holding a foreign
 * key to tenants or endpoints takes a lock on them when it is attached or dropped (ACCESS
 * EXCLUSIVE for the drop, which every publish and fetch would wait behind). The service writes
 * the rows together from rows it has just read, and reads them so that a missing parent reads
 * as expired. (Their cascades only ever ran on a tenant's delete, which the API has not.)
 */
const DROPPED_FOREIGN_KEYS = [
  { table: 'events', name: 'events_tenant_id_fkey', def: 'foreign key (tenant_id) references tenants(id) on delete cascade' },
  { table: 'deliveries', name: 'deliveries_tenant_id_fkey', def: 'foreign key (tenant_id) references tenants(id) on delete cascade' },
  { table: 'deliveries', name: 'deliveries_endpoint_id_fkey', def: 'foreign key (endpoint_id) references endpoints(id) on delete cascade' },
  { table: 'deliveries', name: 'deliveries_event_id_fkey', def: 'foreign key (event_id) references events(id) on delete cascade' },
  { table: 'attempts', name: 'attempts_delivery_id_fkey', def: 'foreign key (delivery_id) references deliveries(id) on delete cascade' },
  { table: 'delivery_failures', name: 'delivery_failures_delivery_id_fkey', def: 'foreign key (delivery_id) references deliveries(id) on delete cascade' },
];
const TRIGGERS = [
  `create trigger deliveries_failures_on_update after update of status on deliveries for each row
     when (old.status is distinct from new.status and (old.status in ('failed', 'cancelled') or new.status in ('failed', 'cancelled')))
     execute function delivery_failures_track()`,
  `create trigger deliveries_failures_on_insert after insert on deliveries for each row
     when (new.status in ('failed', 'cancelled'))
     execute function delivery_failures_track()`,
];

/**
 * Events, deliveries and attempts become tables partitioned by time on their ids, like the
 * payloads before them (src/database/log-partitions.ts), so LOG_RETENTION_DAYS can drop the
 * log a partition at a time.
 *
 * On an existing database the rows stay where they are: each table becomes the partition
 * from MINVALUE to the start of tomorrow (UTC), and new partitions follow it. Its indexes and
 * storage go with it unchanged; nothing is copied. What it costs is one pass over each table to
 * check that every id falls before that bound (a check constraint validated, so that ATTACH
 * needs no scan of its own), while the log's tables are locked (reads wait too): measured 0.8 s
 * for three tables of a million rows each. Processes of the older version go on working beside
 * it but do not make the new tables' partitions. A row whose id the service would not make and
 * that sorts after the bound stops the migration with its count (nothing changes): such a row
 * has no partition to go to.
 */
export class HistoryPartitions1765000000000 implements MigrationInterface {
  name = 'HistoryPartitions1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const run: RunSql = (sql, params) => q.query(sql, params);
    await q.query(`lock table events, deliveries, attempts, delivery_failures in access exclusive mode`);
    for (const { table, name } of DROPPED_FOREIGN_KEYS) await q.query(`alter table ${table} drop constraint if exists ${name}`);
    await q.query(`drop trigger if exists deliveries_failures_on_update on deliveries`);
    await q.query(`drop trigger if exists deliveries_failures_on_insert on deliveries`);
    const [{ now }] = await q.query(`select now() as now`);
    const tomorrow = new Date(utcDay(now).getTime() + DAY_MS);
    for (const { table, prefix } of TABLES) {
      const legacy = `${table}${LEGACY_SUFFIX}`;
      const indexes: Array<{ indexname: string; indexdef: string }> = await q.query(
        `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = $1 and indexname <> $2`, [table, `${table}_pkey`]);
      const [{ empty }] = await q.query(`select not exists (select 1 from ${table}) as empty`);

      // the old table and its names step aside for the parent's
      await q.query(`alter table ${table} rename to ${legacy}`);
      await q.query(`alter table ${legacy} rename constraint ${table}_pkey to ${legacy}_pkey`);
      for (const { indexname } of indexes) await q.query(`alter index ${indexname} rename to ${indexname}${LEGACY_SUFFIX}`);

      await q.query(`create table ${table} (like ${legacy} including defaults) partition by range (id)`);
      await q.query(`alter table ${table} add constraint ${table}_pkey primary key (id)`);
      for (const { indexdef } of indexes) await q.query(indexdef);

      if (empty) {
        await q.query(`drop table ${legacy}`);
        continue;
      }
      const bound = idAtOrAfter(prefix, tomorrow);
      const [{ n, example }] = await q.query(`select count(*)::int as n, min(id) as example from ${legacy} where id >= $1`, [bound]);
      if (n > 0) {
        throw new Error(`${n} rows of ${table} have ids at or after ${bound}, which the service does not make (one is ${JSON.stringify(example)}): they have no partition to go to; move or delete them and migrate again`);
      }
      // validated here, the check lets ATTACH trust every row without a scan of its own
      await q.query(`alter table ${legacy} add constraint ${legacy}_bound check (id < '${bound}') not valid`);
      await q.query(`alter table ${legacy} validate constraint ${legacy}_bound`);
      // its indexes match the parent's and are attached as they are
      await q.query(`alter table ${table} attach partition ${legacy} for values from (minvalue) to ('${bound}')`);
      await q.query(`alter table ${legacy} drop constraint ${legacy}_bound`);
    }
    for (const trigger of TRIGGERS) await q.query(trigger);

    await q.query(`select pg_advisory_xact_lock($1)`, [LOG_PARTITIONS_LOCK]);
    // from yesterday through a week ahead, as every process makes them (the days a MINVALUE
    // partition holds are skipped), a day each: the processes then make the next ones of the
    // span their LOG_RETENTION_DAYS asks for, so none of its rows is kept longer for this
    await createLogPartitions(run, new Date(now.getTime() - DAY_MS), new Date(now.getTime() + AHEAD_DAYS * DAY_MS), spansOf(HISTORY_TABLES, 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`lock table events, deliveries, attempts, delivery_failures in access exclusive mode`);
    for (const { table } of TABLES) {
      const indexes: Array<{ indexdef: string }> = await q.query(
        `select indexdef from pg_indexes where schemaname = current_schema() and tablename = $1 and indexname <> $2`, [table, `${table}_pkey`]);
      const whole = `${table}_whole`;
      await q.query(`create table ${whole} (like ${table} including defaults)`);
      await q.query(`insert into ${whole} select * from ${table}`);
      await q.query(`drop table ${table} cascade`);
      await q.query(`alter table ${whole} rename to ${table}`);
      await q.query(`alter table ${table} add constraint ${table}_pkey primary key (id)`);
      for (const { indexdef } of indexes) await q.query(indexdef);
    }
    await q.query(`alter table deliveries set (fillfactor = 70)`);
    // not valid: LOG_RETENTION_DAYS may have left attempts of dropped deliveries (and a retry by
    // hand an attempt newer than its delivery); new rows are checked
    for (const { table, name, def } of DROPPED_FOREIGN_KEYS) await q.query(`alter table ${table} add constraint ${name} ${def} not valid`);
    for (const trigger of TRIGGERS) await q.query(trigger);
  }
}
