import { Inject, Injectable, Logger } from '@nestjs/common';
import { idAtOrAfter } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EXPIRING, ExpiringTable, RetentionRepository } from './retention.repository';

const BATCH = 1000;
const DAY_MS = 86_400_000;
/** An id's time may precede its row's created_at by this much (src/common/ids.ts): never expire early. */
const ID_LAG_MS = 60_000;

/**
 * Deletes event payloads and response bodies older than RETENTION_DAYS in batches; the rows
 * of the delivery log stay, marked expired. Ids sort by time, so "older than" is an id range:
 * each run walks the primary key from where the last one stopped (retention_marks) to the
 * horizon, 1,000 rows a transaction, and never scans either table. Also drops spent
 * idempotency keys and model-call rate windows.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly retention: RetentionRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `now` defaults to the database's clock, the one every created_at was written with, not this host's. */
  async run(now?: Date): Promise<{ events: number; attempts: number }> {
    const at = now ?? (await this.retention.databaseNow());
    const horizon = new Date(at.getTime() - this.config.retentionDays * DAY_MS - ID_LAG_MS);
    const events = await this.expire('events', horizon);
    const attempts = await this.expire('attempts', horizon);
    await this.retention.deleteSpentIdempotencyKeys();
    await this.retention.deleteOldCallRateWindows();
    if (events + attempts > 0) this.logger.log({ events, attempts }, 'expired old payloads');
    return { events, attempts };
  }

  private async expire(table: ExpiringTable, horizon: Date): Promise<number> {
    const before = idAtOrAfter(EXPIRING[table].prefix, horizon);
    let after = await this.retention.mark(table);
    let total = 0;
    while (after < before) {
      const { last, expired } = await this.retention.expireBatch(table, after, before, BATCH);
      total += expired;
      // The mark moves with every batch, so a run cut short resumes where it stopped.
      after = last ?? before;
      await this.retention.setMark(table, after);
    }
    return total;
  }
}
