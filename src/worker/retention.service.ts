import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { partitionBounds, utcDay } from '../database/log-partitions';
import { LogPartitionsService } from '../database/log-partitions.service';
import { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;
/** An id's time may precede its row's created_at by this much (src/common/ids.ts): never expire early. */
const ID_LAG_MS = 60_000;

/**
 * Deletes event payloads and response bodies older than RETENTION_DAYS (SPEC §8); the rows of
 * the delivery log stay, marked expired. Payloads and bodies live in tables partitioned by
 * day on the time-ordered id (src/database/log-partitions.ts), so this detaches and drops
 * every day that is wholly past the horizon: no row is updated or deleted and no table is
 * scanned, whatever its size. A payload therefore goes between RETENTION_DAYS and
 * RETENTION_DAYS + 1 day after it was published. Also drops spent idempotency keys and
 * model-call rate windows, and makes the coming days' partitions.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly retention: RetentionRepository,
    private readonly partitions: LogPartitionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `now` defaults to the database's clock, the one every created_at was written with, not
   * this host's. Returns the day partitions dropped.
   */
  async run(now?: Date): Promise<{ dropped: string[] }> {
    const at = now ?? (await this.retention.databaseNow());
    const horizon = new Date(at.getTime() - this.config.retentionDays * DAY_MS - ID_LAG_MS);
    const dropped = await this.partitions.dropBefore(horizon);
    // Every day before the horizon's is gone now: attempts made before it read as expired.
    await this.retention.markAttemptsExpiredBefore(partitionBounds('attempt_bodies', utcDay(horizon)).from);
    await this.partitions.ensure();
    await this.retention.deleteSpentIdempotencyKeys();
    await this.retention.deleteOldCallRateWindows();
    if (dropped.length > 0) this.logger.log({ partitions: dropped.map((d) => d.name) }, 'dropped expired payloads and response bodies');
    return { dropped: dropped.map((d) => d.name) };
  }
}
