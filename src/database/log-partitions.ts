import { idAtOrAfter, IdPrefix, idTime } from '../common/ids';

/**
 * The delivery log is partitioned by time on its time-ordered ids (declarative range
 * partitioning), so what retention removes goes a partition at a time: no row is updated or
 * deleted, so nothing bloats and nothing is scanned, whatever the size.
 *
 * - What RETENTION_DAYS deletes (SPEC §8) lives apart from the log rows: event payloads
 *   (event_payloads) and attempt response bodies (attempt_bodies). An event or attempt whose
 *   payload partition is gone reads as expired.
 * - The log rows themselves (events, deliveries, attempts) are kept for ever by default, as
 *   SPEC §8 says; LOG_RETENTION_DAYS, when set, drops their partitions too.
 *
 * A partition spans whole UTC days. A payload partition spans partitionDays(RETENTION_DAYS):
 * one day for a retention of 30, more for a longer one, so the table holds about 30-40 and a
 * payload goes within a day of its time. A partition of log rows spans a sixth of
 * LOG_RETENTION_DAYS (HISTORY_PARTITIONS_PER_RETENTION), so they go up to that much late but the
 * tables hold about 10 (every read of the log that does not name a time is planned over all of
 * them: measured on PostgreSQL 15, 2-5 ms of planning a statement with 38 partitions, 0.3-0.8
 * with 8); log rows kept for ever go in partitions of KEPT_PARTITION_DAYS. A partition must exist before a row of
 * its time is written: every process makes the coming AHEAD_DAYS' partitions at start and hourly
 * (LogPartitionsService). A database that held a log before its tables were partitioned keeps
 * those rows in one partition from MINVALUE, named for 1970-01-01, which goes once all of it is
 * past LOG_RETENTION_DAYS.
 */
export const LOG_PARTITIONED = {
  event_payloads: { prefix: 'evt', key: 'event_id', storage: null },
  attempt_bodies: { prefix: 'att', key: 'attempt_id', storage: null },
  events: { prefix: 'evt', key: 'id', storage: null },
  // no index holds the attempt columns and pages keep free room: recording an attempt is a HOT update
  deliveries: { prefix: 'dlv', key: 'id', storage: 'fillfactor = 70' },
  attempts: { prefix: 'att', key: 'id', storage: null },
} as const satisfies Record<string, { prefix: IdPrefix; key: string; storage: string | null }>;
export type LogPartitioned = keyof typeof LOG_PARTITIONED;
/** What RETENTION_DAYS drops. */
export const PAYLOAD_TABLES: LogPartitioned[] = ['event_payloads', 'attempt_bodies'];
/**
 * What LOG_RETENTION_DAYS drops, when set; rows that point into another table's go first, so a
 * read never finds a delivery whose event is gone. (A delivery's id holds its event's time, so
 * both fall in the same day.)
 */
export const HISTORY_TABLES: LogPartitioned[] = ['attempts', 'deliveries', 'events'];
export const LOG_PARTITIONED_TABLES = Object.keys(LOG_PARTITIONED) as LogPartitioned[];

/** How many days each table's new partitions span; a table not named gets none. */
export type PartitionSpans = Partial<Record<LogPartitioned, number>>;

/** Days a partition of log rows kept for ever spans: about four a year. */
export const KEPT_PARTITION_DAYS = 90;
/** About this many partitions hold the log rows LOG_RETENTION_DAYS keeps. */
export const HISTORY_PARTITIONS_PER_RETENTION = 6;

/** Days a partition of log rows spans for LOG_RETENTION_DAYS (null: kept for ever). */
export function historyPartitionDays(logRetentionDays: number | null): number {
  return logRetentionDays === null ? KEPT_PARTITION_DAYS : partitionDays(logRetentionDays, HISTORY_PARTITIONS_PER_RETENTION);
}

/** The spans of every table for RETENTION_DAYS and LOG_RETENTION_DAYS (null: kept for ever). */
export function partitionSpans(retentionDays: number, logRetentionDays: number | null): Record<LogPartitioned, number> {
  const payload = partitionDays(retentionDays);
  const history = historyPartitionDays(logRetentionDays);
  return { event_payloads: payload, attempt_bodies: payload, events: history, deliveries: history, attempts: history };
}

/** The same span for each of `tables`. */
export function spansOf(tables: readonly LogPartitioned[], days: number): PartitionSpans {
  return Object.fromEntries(tables.map((t) => [t, days]));
}

/**
 * SQL: the payload text of the event whose id is `eventIdExpr` (null once its partition was
 * dropped), and the stored body of an attempt. A scalar subquery, so each is one primary key
 * lookup in the partition the id falls in, whatever the statistics say: as a join the planner
 * may merge the whole partitioned table in id order to find a page of rows.
 */
export const PAYLOAD_OF = (eventIdExpr: string) => `(select p.data::text from event_payloads p where p.event_id = ${eventIdExpr})`;
export const BODY_OF = (attemptIdExpr: string) => `(select b.body from attempt_bodies b where b.attempt_id = ${attemptIdExpr})`;

/** Days made ahead of the database's clock; a process that starts or ticks at least once a week keeps writes possible. */
export const AHEAD_DAYS = 7;
const DAY_MS = 86_400_000;
/** About this many partitions hold the payloads RETENTION_DAYS keeps, whatever it is. */
const PARTITIONS_PER_RETENTION = 30;

/** Days one partition spans for a retention of `retentionDays` held in about `perRetention` partitions: rows go at most this long after their time. */
export function partitionDays(retentionDays: number, perRetention = PARTITIONS_PER_RETENTION): number {
  return Math.max(1, Math.ceil(retentionDays / perRetention));
}

/**
 * How many partitions a table should hold for `retentionDays`: the retained days, yesterday and
 * AHEAD_DAYS ahead, in partitions of partitionDays(retentionDays, perRetention), and one cut
 * short at each end.
 */
export function expectedPartitions(retentionDays: number, perRetention = PARTITIONS_PER_RETENTION): number {
  return Math.ceil((retentionDays + 1 + AHEAD_DAYS) / partitionDays(retentionDays, perRetention)) + 2;
}

/**
 * A warning when `table` holds more than twice the partitions `retentionDays` (its table's:
 * LOG_RETENTION_DAYS for the log rows, RETENTION_DAYS for payloads) should give:
 * processes with different RETENTION_DAYS make partitions of different spans (each makes the
 * coming days' with its own), and one left at the default beside RETENTION_DAYS=365 makes one
 * a day, ten times what every lookup by another row's column plans over and locks.
 */
export function partitionCountWarning(table: LogPartitioned, count: number, retentionDays: number): string | null {
  const history = HISTORY_TABLES.includes(table);
  const variable = history ? 'LOG_RETENTION_DAYS' : 'RETENTION_DAYS';
  const expected = expectedPartitions(retentionDays, history ? HISTORY_PARTITIONS_PER_RETENTION : PARTITIONS_PER_RETENTION);
  if (count <= 2 * expected) return null;
  return `${table} has ${count} partitions where ${variable}=${retentionDays} gives about ${expected}: set the same ${variable} on every process (API and worker)`;
}

/** The statements run by these helpers: a pg client's or pool's query, or a migration's QueryRunner, adapted. */
export type RunSql = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

export function utcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/** A partition is named after its first day: `event_payloads_p20261203`. */
export function partitionName(table: LogPartitioned, firstDay: Date): string {
  return `${table}_p${firstDay.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

function nameDay(table: LogPartitioned, name: string): Date | null {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}

/** The id bounds of a partition of `table` over [from, to): the first id of `from`, the first id of `to`. */
export function partitionBounds(table: LogPartitioned, from: Date, to: Date): { low: string; high: string } {
  const { prefix } = LOG_PARTITIONED[table];
  return { low: idAtOrAfter(prefix, from), high: idAtOrAfter(prefix, to) };
}

export interface LogPartition {
  name: string;
  /** its id bounds: null low for the partition from MINVALUE, both null for a table left detached */
  low: string | null;
  high: string | null;
  /** the time range it holds, from its bound (for a table detached and left behind: its name's day, taken as one day) */
  from: Date;
  to: Date;
  /** how a drop must detach it first: a detach cut short is finished, a table left detached needs none */
  detach: 'concurrently' | 'finalize' | null;
}

/** The partitions of `table` (and tables of our naming left detached by a drop cut short), oldest first. */
export async function listPartitions(run: RunSql, table: LogPartitioned): Promise<LogPartition[]> {
  const rows = await run(
    `select c.relname as name, i.inhrelid is not null as attached, i.inhdetachpending as detach_pending,
            pg_get_expr(c.relpartbound, c.oid) as bound
       from pg_class c left join pg_inherits i on i.inhrelid = c.oid and i.inhparent = $1::regclass
      where c.relkind = 'r' and c.relnamespace = current_schema()::regnamespace and c.relname like $2`,
    [table, `${table}\\_p%`]);
  const out: LogPartition[] = [];
  for (const r of rows) {
    const name = String(r.name);
    const day = nameDay(table, name);
    if (day === null) continue;
    if (r.attached !== true) {
      out.push({ name, low: null, high: null, from: day, to: new Date(day.getTime() + DAY_MS), detach: null });
      continue;
    }
    const m = /FROM \((MINVALUE|'([^']*)')\) TO \('([^']*)'\)/.exec(String(r.bound));
    if (!m) continue;
    const low = m[2] ?? null;
    const from = low === null ? new Date(0) : idTime(low);
    const to = idTime(m[3]);
    if (from && to) out.push({ name, low, high: m[3], from, to, detach: r.detach_pending === true ? 'finalize' : 'concurrently' });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Makes partitions of each table of `spans` so that each UTC day from `from`'s through
 * `through`'s is held by one: new ones span the table's days, or less where the next existing partition begins
 * (a day dropped by hand is made again alone). A partition is built as a table of its own,
 * with a check constraint matching its bounds, and then attached: ATTACH takes a SHARE UPDATE
 * EXCLUSIVE lock on the parent, which inserts and reads do not wait for (CREATE TABLE ...
 * PARTITION OF would take ACCESS EXCLUSIVE). Run it in a transaction holding
 * LOG_PARTITIONS_LOCK, so two processes do not make the same one.
 */
export async function createLogPartitions(run: RunSql, from: Date, through: Date, spans: PartitionSpans): Promise<string[]> {
  const made: string[] = [];
  const last = utcDay(through).getTime();
  for (const table of LOG_PARTITIONED_TABLES) {
    const days = spans[table];
    if (days === undefined) continue;
    // attached ones only (a table left detached holds no rows of the parent)
    const existing = (await listPartitions(run, table)).filter((p) => p.detach !== null);
    let day = utcDay(from).getTime();
    while (day <= last) {
      const holding = existing.find((p) => p.from.getTime() <= day && day < p.to.getTime());
      if (holding) {
        day = holding.to.getTime();
        continue;
      }
      const next = Math.min(...existing.map((p) => p.from.getTime()).filter((t) => t > day), Infinity);
      const end = Math.min(day + days * DAY_MS, next);
      const name = partitionName(table, new Date(day));
      await createPartition(run, table, name, new Date(day), new Date(end));
      existing.push({ name, low: null, high: null, from: new Date(day), to: new Date(end), detach: 'concurrently' });
      made.push(name);
      day = end;
    }
  }
  return made;
}

async function createPartition(run: RunSql, table: LogPartitioned, name: string, from: Date, to: Date): Promise<void> {
  const { key, storage } = LOG_PARTITIONED[table];
  const { low, high } = partitionBounds(table, from, to);
  // the parent's columns; ATTACH then gives it the parent's triggers
  await run(`create table ${name} (like ${table} including defaults)${storage ? ` with (${storage})` : ''}`);
  // and the parent's indexes, each named after its parent's with the partition's suffix
  // (deliveries_tenant_idx_p20261204), so a plan says which index it reads; ATTACH attaches
  // them (and builds the primary key's, ${name}_pkey). On an empty table, at once.
  const indexes = await run(
    `select i.relname as index, x.indisunique as uniq, pg_get_indexdef(i.oid) as def
       from pg_index x join pg_class i on i.oid = x.indexrelid
      where x.indrelid = $1::regclass and not x.indisprimary`, [table]);
  for (const { index, uniq, def } of indexes) {
    const using = String(def).slice(String(def).indexOf(' USING '));
    await run(`create ${uniq ? 'unique ' : ''}index ${String(index)}${name.slice(table.length)} on ${name}${using}`);
  }
  await run(`alter table ${name} add constraint ${name}_bounds check (${key} >= '${low}' and ${key} < '${high}')`);
  await run(`alter table ${table} attach partition ${name} for values from ('${low}') to ('${high}')`);
  // the partition bound now says the same; a check left behind would be evaluated on every insert
  await run(`alter table ${name} drop constraint ${name}_bounds`);
}

/** Serialise partition changes between processes (advisory lock keys, fixed): making, dropping, and packing. */
export const LOG_PARTITIONS_LOCK = 764_800_001;
export const LOG_PARTITIONS_DROP_LOCK = 764_800_002;
export const LOG_PARTITIONS_COMPACT_LOCK = 764_800_003;

/** The partitions of `table` wholly before `horizon` (and tables left detached from before it), oldest first. */
export async function partitionsBefore(run: RunSql, table: LogPartitioned, horizon: Date): Promise<LogPartition[]> {
  return (await listPartitions(run, table)).filter((p) => p.to.getTime() <= horizon.getTime());
}
