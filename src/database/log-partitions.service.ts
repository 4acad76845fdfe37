import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Db } from './db';
import {
  AHEAD_DAYS, createLogPartitions, LOG_PARTITIONED_TABLES, LOG_PARTITIONS_LOCK, LogPartitioned, partitionsBefore, RunSql,
} from './log-partitions';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface DroppedPartition {
  table: LogPartitioned;
  name: string;
  day: Date;
}

/**
 * Keeps the day partitions of event payloads and response bodies (src/database/log-partitions.ts):
 * every process, API or worker, makes the coming days' at start and then hourly, so a
 * publish never finds its day missing while any process runs; retention drops the old ones.
 */
@Injectable()
export class LogPartitionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogPartitionsService.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: Db) {}

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

  /**
   * Makes the missing partitions from yesterday through AHEAD_DAYS ahead, by the database's
   * clock. Skipped while another process makes or drops partitions (it makes them too).
   */
  async ensure(): Promise<string[]> {
    const made = await this.db.transaction(async (tx) => {
      const run: RunSql = async (sql, params) => (await tx.query(sql, params)).rows;
      // a busy parent (say a manual ANALYZE) makes this wait at most briefly: the next tick retries
      await run(`set local lock_timeout = '5s'`);
      const [{ locked }] = await run(`select pg_try_advisory_xact_lock($1) as locked`, [LOG_PARTITIONS_LOCK]);
      if (!locked) return [];
      const [{ now }] = (await run(`select now() as now`)) as Array<{ now: Date }>;
      return createLogPartitions(run, new Date(now.getTime() - DAY_MS), new Date(now.getTime() + AHEAD_DAYS * DAY_MS));
    });
    if (made.length > 0) this.logger.log({ partitions: made.length }, 'made log partitions');
    return made;
  }

  /**
   * Detaches and drops every partition whose whole day is before `horizon`, oldest first.
   * DETACH ... CONCURRENTLY takes no lock that publishes or reads wait for; a detach cut short
   * (a crash between its two transactions), or a table detached and not dropped, is finished
   * by the next run.
   */
  async dropBefore(horizon: Date): Promise<DroppedPartition[]> {
    const client = await this.db.pool.connect();
    const run: RunSql = async (sql, params) => (await client.query(sql, params)).rows;
    const dropped: DroppedPartition[] = [];
    try {
      await run(`select pg_advisory_lock($1)`, [LOG_PARTITIONS_LOCK]);
      try {
        for (const table of LOG_PARTITIONED_TABLES) {
          for (const { name, day, detach } of await partitionsBefore(run, table, horizon)) {
            if (detach) await run(`alter table ${table} detach partition ${name} ${detach}`);
            await run(`drop table ${name}`);
            dropped.push({ table, name, day });
          }
        }
      } finally {
        await run(`select pg_advisory_unlock($1)`, [LOG_PARTITIONS_LOCK]);
      }
    } finally {
      client.release();
    }
    return dropped;
  }
}
