import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { idAtOrAfter } from '../common/ids';
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
 * for RETENTION_DAYS up to 30) after it is RETENTION_DAYS old. Also makes the coming days'
 * partitions and drops spent idempotency keys and model-call rate windows.
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
   * this host's. Returns the partitions dropped.
   */
  async run(now?: Date): Promise<{ dropped: string[] }> {
    try {
      const at = now ?? (await this.retention.databaseNow());
      const horizon = new Date(at.getTime() - this.config.retentionDays * DAY_MS - ID_LAG_MS);
      const dropped = await this.partitions.dropBefore(horizon, async ({ table, to }) => {
        // attempts made before the end of a dropped partition read as expired
        if (table === 'attempt_bodies') await this.retention.markAttemptsExpiredBefore(idAtOrAfter('att', to));
      });
      if (dropped === null) this.logger.log('another process is dropping expired partitions');
      if (dropped?.length) this.logger.log({ partitions: dropped.map((d) => d.name) }, 'dropped expired payloads and response bodies');
      return { dropped: dropped?.map((d) => d.name) ?? [] };
    } finally {
      await this.partitions.ensure();
      await this.retention.deleteSpentIdempotencyKeys();
      await this.retention.deleteOldCallRateWindows();
    }
  }
}
