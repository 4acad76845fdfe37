import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Client, PoolConfig } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db } from './db';
import {
  AHEAD_DAYS, createLogPartitions, HISTORY_TABLES, listPartitions, LOG_PARTITIONED_TABLES, LOG_PARTITIONS_COMPACT_LOCK, LOG_PARTITIONS_DROP_LOCK, LOG_PARTITIONS_LOCK, LogPartition,
  LogPartitioned, partitionCountWarning, partitionsBefore, partitionSpans, RunSql,
} from './log-partitions';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A drop waits this long at most (DETACH CONCURRENTLY waits for older transactions); the next run finishes it. */
const DROP_STATEMENT_TIMEOUT = '10min';
/**
 * A rebuild of one index is given this long, and waits at most LOCK_TIMEOUT for the
 * transactions older than it (REINDEX CONCURRENTLY waits for them twice): one left idle in a
 * transaction fails it instead of holding the lock that drops take. A rebuild cut short leaves
 * an invalid copy, which the next run drops before it starts again.
 */
const COMPACT_STATEMENT_TIMEOUT = '2h';
const COMPACT_LOCK_TIMEOUT = '10min';
/**
 * The comment on an index compactBefore rebuilt, and on one it is rebuilding (an operator sees
 * them in psql's `\di+`). One left "packing since" by a rebuild that failed or was cut short
 * is tried again RETRY_PACKING_AFTER_MS later, not every hour: a rebuild that cannot finish
 * does not run again and again.
 */
const PACKED = 'packed: rebuilt at fillfactor 100 once no row could enter its partition';
const PACKING = 'packing since ';
const RETRY_PACKING_AFTER_MS = DAY_MS;
/** What REINDEX CONCURRENTLY names the copy it builds, and the index it replaced, until it is done. */
const REBUILD_LEFTOVER = /_cc(new|old)\d*$/;

export interface DroppedPartition {
  table: LogPartitioned;
  name: string;
  /** the end of the time it held */
  to: Date;
}

/** An index of a partition rebuilt packed by compactBefore: its size before and after. */
export interface CompactedIndex {
  partition: string;
  index: string;
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactOptions {
  /** epoch ms: no rebuild starts after it */
  deadline: number;
  /** partitions that end at or before it are left alone (the drop takes them soon) */
  after?: Date;
  /** aborts the rebuild under way (a shutdown), which the next run makes again */
  signal?: AbortSignal;
}

export interface DropHooks {
  /** before a partition is detached (again, if a drop was cut short): what points into its rows goes */
  before?: (table: LogPartitioned, partition: LogPartition) => Promise<void>;
  /** after it is dropped */
  dropped?: (gone: DroppedPartition, partition: LogPartition) => Promise<void>;
}

/**
 * Keeps the partitions of the delivery log (src/database/log-partitions.ts):
 * every process, API or worker, makes the coming days' at start and then hourly, so a
 * publish never finds its day missing while any process runs; retention drops the old ones.
 */
@Injectable()
export class LogPartitionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogPartitionsService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A start never fails on this: the days ahead were made by an earlier start or tick.
    const tick = () => this.ensure().catch((error: unknown) => this.logger.warn({ err: error }, 'could not make the coming days\' log partitions; retrying in an hour'));
    await tick();
    this.timer = setInterval(() => void tick(), HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Makes the missing partitions from yesterday through AHEAD_DAYS ahead, by the database's clock. */
  async ensure(): Promise<string[]> {
    const made = await this.db.transaction(async (tx) => {
      const run: RunSql = async (sql, params) => (await tx.query(sql, params)).rows;
      // Waits at most briefly, for the lock and for the parent (a drop's detach holds it while
      // it waits for older transactions): the next tick retries, days ahead of time.
      await run(`set local lock_timeout = '5s'`);
      await run(`select pg_advisory_xact_lock($1)`, [LOG_PARTITIONS_LOCK]);
      const [{ now }] = (await run(`select now() as now`)) as Array<{ now: Date }>;
      const { retentionDays } = this.config;
      const logRetentionDays = this.config.logRetentionDays ?? null; // a config made in code may leave it out
      const created = await createLogPartitions(run, new Date(now.getTime() - DAY_MS), new Date(now.getTime() + AHEAD_DAYS * DAY_MS), partitionSpans(retentionDays, logRetentionDays));
      for (const table of LOG_PARTITIONED_TABLES) {
        // log rows kept for ever make a partition every 90 days, which no count bounds
        const history = HISTORY_TABLES.includes(table);
        if (history && logRetentionDays === null) continue;
        const attached = (await listPartitions(run, table)).filter((p) => p.detach !== null).length;
        const warning = partitionCountWarning(table, attached, history ? logRetentionDays! : retentionDays);
        if (warning) this.logger.warn({ table, partitions: attached }, warning);
      }
      return created;
    });
    if (made.length > 0) this.logger.log({ partitions: made.length }, 'made log partitions');
    return made;
  }

  /**
   * Detaches and drops every partition of `tables` wholly before `horizon`, oldest first,
   * calling the hooks around each. DETACH ... CONCURRENTLY takes no lock that publishes or reads wait
   * for; a detach cut short (a crash between its two transactions, or its wait for older
   * transactions timed out), or a table detached and not dropped, is finished by the next run.
   * Returns null when another process is dropping already.
   */
  async dropBefore(horizon: Date, tables: readonly LogPartitioned[], hooks: DropHooks = {}): Promise<DroppedPartition[] | null> {
    return this.holding(LOG_PARTITIONS_DROP_LOCK, { statement_timeout: DROP_STATEMENT_TIMEOUT }, async (run) => {
      const done: DroppedPartition[] = [];
      for (const table of tables) {
        for (const partition of await partitionsBefore(run, table, horizon)) {
          const { name, to, detach } = partition;
          if (hooks.before) await hooks.before(table, partition);
          if (detach) await run(`alter table ${table} detach partition ${name} ${detach}`);
          await run(`drop table ${name}`);
          const gone = { table, name, to };
          done.push(gone);
          if (hooks.dropped) await hooks.dropped(gone, partition);
        }
      }
      return done;
    });
  }

  /**
   * Rebuilds packed (fillfactor 100) every index of the partitions of `tables` whose time ended
   * before `horizon` (and after `options.after`), newest first, starting none after
   * `options.deadline`; returns what it rebuilt, or null when another process is packing.
   *
   * Why: an index led by a tenant, an endpoint or an event type takes its inserts in as many
   * places as there are of them, and a B-tree page split in the middle of an index keeps half
   * of its room free for ever, so such indexes are about half empty (only one led by the id
   * itself is appended at its right edge, which packs it 90 %). No row enters a partition whose
   * time has passed (ids carry the time they were made, and a delivery's its event's), so its
   * indexes, rebuilt full once, stay full (see the README's Performance section for the bytes).
   * Newest first: the partitions with the longest life ahead gain most, and after an upgrade
   * with a long history the budget is not spent on the oldest, which retention drops soonest.
   *
   * REINDEX CONCURRENTLY takes no lock that publishes, records or reads wait for (SHARE UPDATE
   * EXCLUSIVE on the partition), nor does setting the fillfactor or the comment that marks an
   * index as done (PACKED). One process packs at a time (LOG_PARTITIONS_COMPACT_LOCK). A drop
   * does not wait for that lock (payloads go on time); the caller keeps packing away from the
   * partitions the drop is about to take (`after`): were both to work on one partition,
   * PostgreSQL's deadlock detection would end one of them, which the next run finishes.
   */
  async compactBefore(horizon: Date, tables: readonly LogPartitioned[], options: CompactOptions): Promise<CompactedIndex[] | null> {
    const { deadline, after, signal } = options;
    const settings = {
      statement_timeout: COMPACT_STATEMENT_TIMEOUT,
      lock_timeout: COMPACT_LOCK_TIMEOUT,
      // one core, the other left to publishes and attempts (at 10M: 238 s, against 224 s in parallel)
      max_parallel_maintenance_workers: '0',
    };
    return this.holding(LOG_PARTITIONS_COMPACT_LOCK, settings, async (run) => {
      // a process killed mid-rebuild: the server stops it within seconds instead of finishing it
      // for no one (a server built without the check, as on Windows, refuses it: then it finishes)
      const checked = await run(`set client_connection_check_interval = '10s'`).then(() => true, () => false);
      const [{ pid }] = await run(`select pg_backend_pid() as pid`);
      // a shutdown cancels the rebuild under way, from a connection of its own (the pool may be spent)
      const cancel = () => void cancelBackend(this.db.pool.options, Number(pid));
      signal?.addEventListener('abort', cancel);
      const done: CompactedIndex[] = [];
      try {
        for (const table of tables) {
          // attached ones (a detach pending, or a table left detached, is the next drop's)
          const closed = (await listPartitions(run, table))
            .filter((p) => p.detach === 'concurrently' && p.to.getTime() <= horizon.getTime() && (!after || p.to.getTime() > after.getTime()))
            .reverse();
          for (const { name } of closed) {
            // invalid ones first: what a rebuild cut short left
            const indexes = await run(
              `select i.relname as index, x.indisvalid as valid, pg_relation_size(i.oid)::float8 as bytes,
                      coalesce(obj_description(i.oid, 'pg_class'), '') as mark
                 from pg_index x join pg_class i on i.oid = x.indexrelid
                where x.indrelid = $1::regclass
                order by x.indisvalid, i.relname`, [name]);
            for (const row of indexes) {
              const index = String(row.index);
              if (row.valid !== true) {
                // (an invalid index of another origin is not ours to drop)
                if (REBUILD_LEFTOVER.test(index)) await run(`drop index concurrently if exists "${index}"`);
                continue;
              }
              const mark = String(row.mark);
              if (mark === PACKED) continue;
              const tried = mark.startsWith(PACKING) ? Date.parse(mark.slice(PACKING.length)) : NaN;
              if (Date.now() - tried < RETRY_PACKING_AFTER_MS) continue;
              if (Date.now() >= deadline || signal?.aborted) return done;
              done.push({ partition: name, index, bytesBefore: Number(row.bytes), bytesAfter: await packIndex(run, index, signal) });
            }
          }
        }
        return done;
      } finally {
        signal?.removeEventListener('abort', cancel);
        if (checked) await run(`reset client_connection_check_interval`);
      }
    });
  }

  /**
   * `fn` on a session of its own that holds the advisory lock `key` with `settings` set; null
   * when another session holds the lock. A session whose statement failed mid-way may still
   * hold the lock or a setting: withClient does not reuse it.
   */
  private async holding<T>(key: number, settings: Record<string, string>, fn: (run: RunSql) => Promise<T>): Promise<T | null> {
    return this.db.withClient(async (client) => {
      const run: RunSql = async (sql, params) => (await client.query(sql, params)).rows;
      const [{ locked }] = await run(`select pg_try_advisory_lock($1) as locked`, [key]);
      if (!locked) return null;
      try {
        for (const [name, value] of Object.entries(settings)) await run(`set ${name} = '${value}'`);
        return await fn(run);
      } finally {
        for (const name of Object.keys(settings)) await run(`reset ${name}`);
        await run(`select pg_advisory_unlock($1)`, [key]);
      }
    });
  }
}

/**
 * Rebuilds `index` at fillfactor 100, marked PACKING while it runs and PACKED once done; returns
 * its bytes after. A rebuild stopped by `signal` is unmarked, so the next run makes it at once.
 */
async function packIndex(run: RunSql, index: string, signal: AbortSignal | undefined): Promise<number> {
  try {
    await run(`comment on index "${index}" is '${PACKING}${new Date().toISOString()}'`);
    await run(`alter index "${index}" set (fillfactor = 100)`);
    // the rebuilt index takes over the comment
    await run(`reindex index concurrently "${index}"`);
  } catch (error) {
    // stopped by a shutdown, not failed
    if (signal?.aborted) await run(`comment on index "${index}" is null`).catch(() => undefined);
    throw error;
  }
  await run(`comment on index "${index}" is '${PACKED}'`);
  const [size] = await run(`select pg_relation_size($1::regclass)::float8 as bytes`, [index]);
  return Number(size.bytes);
}

/** Cancels the statement that backend `pid` runs, over a connection opened for it; never throws. */
async function cancelBackend(options: PoolConfig, pid: number): Promise<void> {
  const client = new Client({ ...options, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`select pg_cancel_backend($1)`, [pid]);
  } catch {
    // the rebuild then runs to its end (statement_timeout), and the shutdown waits for it
  } finally {
    await client.end().catch(() => undefined);
  }
}
