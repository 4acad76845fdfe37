import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { idAtOrAfter } from '../common/ids';
import { HISTORY_TABLES, LogPartition, PAYLOAD_TABLES } from '../database/log-partitions';
import { LogPartitionsService } from '../database/log-partitions.service';
import { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;
/** An id's time may precede its row's created_at by this much (src/common/ids.ts): never expire early. */
const ID_LAG_MS = 60_000;

/**
 * Deletes event payloads and response bodies older than RETENTION_DAYS (SPEC §8); the rows of
 * the delivery log stay, marked expired. Payloads and bodies live in tables partitioned by
 * time on the time-ordered id (src/database/log-partitions.ts), so this detaches and drops
 * every partition that is wholly past the horizon: no row is updated or deleted and no table
 * is scanned, whatever its size. A payload therefore goes up to one partition's span (a day
 * for RETENTION_DAYS up to 30) after it is RETENTION_DAYS old. With LOG_RETENTION_DAYS set,
 * the log rows themselves (events, deliveries, attempts) go the same way once that old, with
 * what points into them (failure and queue rows). Also makes the coming days' partitions and
 * drops spent idempotency keys and model-call rate windows.
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
   * `now` defaults to the database's clock, the one every created_at was written with, not
   * this host's. Returns the partitions dropped.
   */
  async run(now?: Date): Promise<{ dropped: string[] }> {
    try {
      const at = now ?? (await this.retention.databaseNow());
      const horizon = (days: number) => new Date(at.getTime() - days * DAY_MS - ID_LAG_MS);
      const dropped = await this.dropPayloadsBefore(horizon(this.config.retentionDays));
      const { logRetentionDays } = this.config;
      if (logRetentionDays !== null) dropped.push(...(await this.dropLogBefore(horizon(logRetentionDays))));
      return { dropped };
    } finally {
      await this.partitions.ensure();
      await this.retention.deleteSpentIdempotencyKeys();
      await this.retention.deleteOldCallRateWindows();
    }
  }
}
