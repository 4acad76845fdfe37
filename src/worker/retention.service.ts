import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { idAtOrAfter } from '../common/ids';
import { HISTORY_TABLES, LogPartition, PAYLOAD_TABLES } from '../database/log-partitions';
import { CompactedIndex, LogPartitionsService } from '../database/log-partitions.service';
import { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;
/** An id's time may precede its row's created_at by this much (src/common/ids.ts): never expire early. */
const ID_LAG_MS = 60_000;
/**
 * A partition whose time ended this long ago takes no new row (ids are made at the time they
 * name, give or take a clock), and its rows are past their retries (RETRY_SCHEDULE's default
 * ends after about 28 hours) and their event's summary: its indexes are packed. An update that
 * still comes (a retry by hand, a recover) is one page split, no error.
 */
export const CLOSED_AFTER_MS = 3 * DAY_MS;
/** One run starts no index rebuild after this long; the next run goes on. */
const COMPACT_BUDGET_MS = 10 * 60_000;

/** What a run at `at` drops for a retention of `days`: every partition wholly before this. */
function horizonOf(at: Date, days: number): Date {
  return new Date(at.getTime() - days * DAY_MS - ID_LAG_MS);
}

/**
 * Deletes event payloads and response bodies older than RETENTION_DAYS (SPEC §8); the rows of
 * the delivery log stay, marked expired. Payloads and bodies live in tables partitioned by
 * time on the time-ordered id (src/database/log-partitions.ts), so this detaches and drops
 * every partition that is wholly past the horizon: no row is updated or deleted and no table
 * is scanned, whatever its size. A payload therefore goes up to one partition's span (a day
 * for RETENTION_DAYS up to 30) after it is RETENTION_DAYS old. With LOG_RETENTION_DAYS set,
 * the log rows themselves (events, deliveries, attempts) go the same way once that old, with
 * what points into them (failure and queue rows). Also makes the coming days' partitions and
 * drops spent idempotency keys and model-call rate windows, and packs the indexes of the log
 * partitions whose time has passed (compactClosed).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly retention: RetentionRepository,
    private readonly partitions: LogPartitionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Drops the payloads and response bodies of every partition wholly before `horizon`; returns their names. */
  async dropPayloadsBefore(horizon: Date): Promise<string[]> {
    const dropped = await this.partitions.dropBefore(horizon, PAYLOAD_TABLES, {
      dropped: async ({ table, to }) => {
        // attempts made before the end of a dropped partition read as expired
        if (table === 'attempt_bodies') await this.retention.markAttemptsExpiredBefore(idAtOrAfter('att', to));
      },
    });
    if (dropped === null) this.logger.log('another process is dropping expired partitions');
    if (dropped?.length) this.logger.log({ partitions: dropped.map((d) => d.name) }, 'dropped expired payloads and response bodies');
    return dropped?.map((d) => d.name) ?? [];
  }

  /** Drops the log rows (events, deliveries, attempts) of every partition wholly before `horizon`; returns their names. */
  async dropLogBefore(horizon: Date): Promise<string[]> {
    // A failure or queue row of a delivery that is gone would point at nothing: they go before
    // the deliveries' partition is detached, and again once it is dropped (a retry or recover
    // of one of them may have written one in between; none can after).
    const bounds = new Map<string, { low: string | null; high: string } | null>();
    const dropped = await this.partitions.dropBefore(horizon, HISTORY_TABLES, {
      before: async (table, { name, low, high }: LogPartition) => {
        if (table !== 'deliveries') return;
        // a table a drop cut short left detached has no bounds of its own: the ids it holds bound it
        bounds.set(name, high !== null ? { low, high } : await this.retention.idRangeOf(name));
        const range = bounds.get(name);
        if (range) await this.retention.forgetDeliveries(range.low, range.high);
      },
      dropped: async ({ name }) => {
        const range = bounds.get(name);
        if (range) await this.retention.forgetDeliveries(range.low, range.high);
      },
    });
    if (dropped?.length) this.logger.log({ partitions: dropped.map((d) => d.name) }, 'dropped log rows past LOG_RETENTION_DAYS');
    return dropped?.map((d) => d.name) ?? [];
  }

  /**
   * Packs the indexes of the log rows' partitions that no new row enters
   * (LogPartitionsService.compactBefore), leaving alone those the drop takes within a day;
   * returns what it rebuilt. A failure is logged and left to the next run: the log reads and
   * writes the same without it. `signal` (a shutdown) stops the rebuild under way.
   */
  async compactClosed(now: Date, signal?: AbortSignal): Promise<CompactedIndex[]> {
    const { logRetentionDays } = this.config;
    // what the drop takes by this time tomorrow
    const after = logRetentionDays === null ? undefined : horizonOf(new Date(now.getTime() + DAY_MS), logRetentionDays);
    try {
      const rebuilt = await this.partitions.compactBefore(new Date(now.getTime() - CLOSED_AFTER_MS), HISTORY_TABLES, { deadline: Date.now() + COMPACT_BUDGET_MS, after, signal });
      if (rebuilt?.length) {
        const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
        this.logger.log({
          indexes: rebuilt.length, partitions: [...new Set(rebuilt.map((r) => r.partition))],
          mibBefore: mib(rebuilt.reduce((a, r) => a + r.bytesBefore, 0)), mibAfter: mib(rebuilt.reduce((a, r) => a + r.bytesAfter, 0)),
        }, 'packed the indexes of closed log partitions');
      }
      return rebuilt ?? [];
    } catch (error) {
      if (signal?.aborted) this.logger.log('packing stopped by the shutdown; the next run goes on');
      else this.logger.warn({ err: error }, 'could not pack the indexes of closed log partitions; the next run tries again');
      return [];
    }
  }

  /**
   * `now` defaults to the database's clock, the one every created_at was written with, not
   * this host's. Returns the partitions dropped and the indexes packed; `signal` stops the packing.
   */
  async run(now?: Date, signal?: AbortSignal): Promise<{ dropped: string[]; compacted: string[] }> {
    let at: Date;
    let dropped: string[];
    try {
      at = now ?? (await this.retention.databaseNow());
      dropped = await this.dropPayloadsBefore(horizonOf(at, this.config.retentionDays));
      const { logRetentionDays } = this.config;
      if (logRetentionDays !== null) dropped.push(...(await this.dropLogBefore(horizonOf(at, logRetentionDays))));
    } finally {
      await this.partitions.ensure();
      await this.retention.deleteSpentIdempotencyKeys();
      await this.retention.deleteOldCallRateWindows();
    }
    // last: it may take minutes at a large size, and the rest must not wait for it
    return { dropped, compacted: (await this.compactClosed(at, signal)).map((r) => r.index) };
  }
}
