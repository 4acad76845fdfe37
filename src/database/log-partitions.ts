import { idAtOrAfter, IdPrefix, idTime } from '../common/ids';

/**
 * What retention deletes (SPEC §8) lives apart from the log rows, in tables partitioned by
 * time on the time-ordered id: event payloads and attempt response bodies. Retention detaches
 * and drops whole partitions (no row is updated or deleted, so nothing bloats and nothing is
 * scanned); the log rows (events, deliveries, attempts) stay, and an event or attempt whose
 * partition is gone reads as expired.
 *
 * A partition spans whole UTC days, partitionDays(RETENTION_DAYS) of them: one day for the
 * default 30, more for a longer retention, so a table never has more than about 40
 * partitions (a statement that looks a payload up by a column of another row is planned over
 * every partition, and locks each). A partition must exist before a row of its time is
 * written: every process makes the coming AHEAD_DAYS' partitions at start and hourly
 * (LogPartitionsService).
 */
export const LOG_PARTITIONED = {
  event_payloads: { prefix: 'evt', key: 'event_id', columns: 'event_id text not null, data json not null' },
  attempt_bodies: { prefix: 'att', key: 'attempt_id', columns: 'attempt_id text not null, body text not null' },
} as const satisfies Record<string, { prefix: IdPrefix; key: string; columns: string }>;
export type LogPartitioned = keyof typeof LOG_PARTITIONED;
export const LOG_PARTITIONED_TABLES = Object.keys(LOG_PARTITIONED) as LogPartitioned[];

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
/** About this many partitions hold a table's retained history, whatever RETENTION_DAYS is. */
const PARTITIONS_PER_RETENTION = 30;

/** Days one partition spans for a retention of `retentionDays`: payloads go at most this long after their time. */
export function partitionDays(retentionDays: number): number {
  return Math.max(1, Math.ceil(retentionDays / PARTITIONS_PER_RETENTION));
}

/**
 * How many partitions a table should hold for `retentionDays`: the retained days, yesterday and
 * AHEAD_DAYS ahead, in partitions of partitionDays(retentionDays), and one cut short at each end.
 */
export function expectedPartitions(retentionDays: number): number {
  return Math.ceil((retentionDays + 1 + AHEAD_DAYS) / partitionDays(retentionDays)) + 2;
}

/**
 * A warning when `table` holds more than twice the partitions `retentionDays` should give:
 * processes with different RETENTION_DAYS make partitions of different spans (each makes the
 * coming days' with its own), and one left at the default beside RETENTION_DAYS=365 makes one
 * a day, ten times what every lookup by another row's column plans over and locks.
 */
export function partitionCountWarning(table: LogPartitioned, count: number, retentionDays: number): string | null {
  const expected = expectedPartitions(retentionDays);
  if (count <= 2 * expected) return null;
  return `${table} has ${count} partitions where RETENTION_DAYS=${retentionDays} gives about ${expected}: set the same RETENTION_DAYS on every process (API and worker)`;
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
      out.push({ name, from: day, to: new Date(day.getTime() + DAY_MS), detach: null });
      continue;
    }
    const m = /FROM \('([^']*)'\) TO \('([^']*)'\)/.exec(String(r.bound));
    const from = m ? idTime(m[1]) : null;
    const to = m ? idTime(m[2]) : null;
    if (from && to) out.push({ name, from, to, detach: r.detach_pending === true ? 'finalize' : 'concurrently' });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

/**
 * Makes partitions of every table so that each UTC day from `from`'s through `through`'s is
 * held by one: new ones span `days` days, or less where the next existing partition begins
 * (a day dropped by hand is made again alone). A partition is built as a table of its own,
 * with a check constraint matching its bounds, and then attached: ATTACH takes a SHARE UPDATE
 * EXCLUSIVE lock on the parent, which inserts and reads do not wait for (CREATE TABLE ...
 * PARTITION OF would take ACCESS EXCLUSIVE). Run it in a transaction holding
 * LOG_PARTITIONS_LOCK, so two processes do not make the same one.
 */
export async function createLogPartitions(run: RunSql, from: Date, through: Date, days: number): Promise<string[]> {
  const made: string[] = [];
  const last = utcDay(through).getTime();
  for (const table of LOG_PARTITIONED_TABLES) {
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
      existing.push({ name, from: new Date(day), to: new Date(end), detach: 'concurrently' });
      made.push(name);
      day = end;
    }
  }
  return made;
}

async function createPartition(run: RunSql, table: LogPartitioned, name: string, from: Date, to: Date): Promise<void> {
  const { key, columns } = LOG_PARTITIONED[table];
  const { low, high } = partitionBounds(table, from, to);
  await run(`create table ${name} (${columns}, primary key (${key}))`);
  await run(`alter table ${name} add constraint ${name}_bounds check (${key} >= '${low}' and ${key} < '${high}')`);
  await run(`alter table ${table} attach partition ${name} for values from ('${low}') to ('${high}')`);
  // the partition bound now says the same; a check left behind would be evaluated on every insert
  await run(`alter table ${name} drop constraint ${name}_bounds`);
}

/** Serialise partition changes between processes (advisory lock keys, fixed): making, and dropping. */
export const LOG_PARTITIONS_LOCK = 764_800_001;
export const LOG_PARTITIONS_DROP_LOCK = 764_800_002;

/** The partitions of `table` wholly before `horizon` (and tables left detached from before it), oldest first. */
export async function partitionsBefore(run: RunSql, table: LogPartitioned, horizon: Date): Promise<LogPartition[]> {
  return (await listPartitions(run, table)).filter((p) => p.to.getTime() <= horizon.getTime());
}
