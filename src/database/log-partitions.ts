import { idAtOrAfter, IdPrefix } from '../common/ids';

/**
 * What retention deletes (SPEC §8) lives apart from the log rows, in tables partitioned by day
 * on the time-ordered id: event payloads and attempt response bodies. Retention detaches and
 * drops whole days (no row is updated or deleted, so nothing bloats and nothing is scanned);
 * the log rows (events, deliveries, attempts) stay, and an event or attempt whose day is gone
 * reads as expired.
 *
 * A day's partition must exist before a row of that day is written: every process makes the
 * coming days' partitions at start and hourly (LogPartitionsService), AHEAD_DAYS in advance.
 */
export const LOG_PARTITIONED = {
  event_payloads: { prefix: 'evt', key: 'event_id', columns: 'event_id text not null, data json not null' },
  attempt_bodies: { prefix: 'att', key: 'attempt_id', columns: 'attempt_id text not null, body text not null' },
} as const satisfies Record<string, { prefix: IdPrefix; key: string; columns: string }>;
export type LogPartitioned = keyof typeof LOG_PARTITIONED;
export const LOG_PARTITIONED_TABLES = Object.keys(LOG_PARTITIONED) as LogPartitioned[];

/**
 * SQL: the payload text of the event whose id is `eventIdExpr` (null once its day was dropped),
 * and the stored body of an attempt. A scalar subquery, so each is one primary key lookup in
 * the day the id falls in, whatever the statistics say: as a join the planner may merge the
 * whole partitioned table in id order to find a page of rows.
 */
export const PAYLOAD_OF = (eventIdExpr: string) => `(select p.data::text from event_payloads p where p.event_id = ${eventIdExpr})`;
export const BODY_OF = (attemptIdExpr: string) => `(select b.body from attempt_bodies b where b.attempt_id = ${attemptIdExpr})`;

/** Days made ahead of the database's clock; a process that starts or ticks at least once a week keeps writes possible. */
export const AHEAD_DAYS = 7;
const DAY_MS = 86_400_000;

/** The statements run by these helpers: a pg client's or pool's query, or a migration's QueryRunner, adapted. */
export type RunSql = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

export function utcDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

export function partitionName(table: LogPartitioned, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** The UTC day a partition of `table` holds, from its name; null for a table that is not one of ours. */
export function partitionDay(table: LogPartitioned, name: string): Date | null {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}

/** The id bounds of a day's partition: [first id of the day, first id of the next). */
export function partitionBounds(table: LogPartitioned, day: Date): { from: string; to: string } {
  const { prefix } = LOG_PARTITIONED[table];
  return { from: idAtOrAfter(prefix, day), to: idAtOrAfter(prefix, new Date(day.getTime() + DAY_MS)) };
}

/**
 * Makes the missing day partitions of every table from `from`'s day through `through`'s day.
 * A partition is built as a table of its own, with a check constraint matching its bounds, and
 * then attached: ATTACH takes a SHARE UPDATE EXCLUSIVE lock on the parent, which inserts and
 * reads do not wait for (CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE). Run it in
 * a transaction holding LOG_PARTITIONS_LOCK so two processes do not make the same day.
 */
export async function createLogPartitions(run: RunSql, from: Date, through: Date): Promise<string[]> {
  const made: string[] = [];
  for (let day = utcDay(from); day.getTime() <= utcDay(through).getTime(); day = new Date(day.getTime() + DAY_MS)) {
    for (const table of LOG_PARTITIONED_TABLES) {
      const name = partitionName(table, day);
      const [exists] = await run(`select to_regclass($1) is not null as exists`, [name]);
      if (exists?.exists) continue;
      const { key, columns } = LOG_PARTITIONED[table];
      const { from: low, to: high } = partitionBounds(table, day);
      await run(`create table ${name} (${columns}, primary key (${key}))`);
      await run(`alter table ${name} add constraint ${name}_bounds check (${key} >= '${low}' and ${key} < '${high}')`);
      await run(`alter table ${table} attach partition ${name} for values from ('${low}') to ('${high}')`);
      // the partition bound now says the same; a check left behind would be evaluated on every insert
      await run(`alter table ${name} drop constraint ${name}_bounds`);
      made.push(name);
    }
  }
  return made;
}

/** Serialises partition changes between processes (an advisory lock key, fixed). */
export const LOG_PARTITIONS_LOCK = 764_800_001;

/**
 * The day tables of `table` whose whole day is before `horizon`, oldest first: attached ones,
 * ones whose detach was cut short (`detach`: 'finalize'), and ones left detached but not
 * dropped (`detach`: null).
 */
export async function partitionsBefore(run: RunSql, table: LogPartitioned, horizon: Date): Promise<Array<{ name: string; day: Date; detach: 'concurrently' | 'finalize' | null }>> {
  const rows = await run(
    `select c.relname as name, i.inhdetachpending as detach_pending, i.inhrelid is not null as attached
       from pg_class c left join pg_inherits i on i.inhrelid = c.oid and i.inhparent = $1::regclass
      where c.relkind = 'r' and c.relnamespace = current_schema()::regnamespace and c.relname like $2`,
    [table, `${table}\\_p%`]);
  return rows
    .map((r) => ({
      name: String(r.name),
      day: partitionDay(table, String(r.name)),
      detach: r.attached !== true ? null : r.detach_pending === true ? 'finalize' as const : 'concurrently' as const,
    }))
    .filter((p): p is { name: string; day: Date; detach: 'concurrently' | 'finalize' | null } => p.day !== null && p.day.getTime() + DAY_MS <= horizon.getTime())
    .sort((a, b) => a.day.getTime() - b.day.getTime());
}
