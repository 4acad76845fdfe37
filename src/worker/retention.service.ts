import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db } from '../database/db';

const BATCH = 1000;

/**
 * Deletes event payloads and response bodies older than RETENTION_DAYS in batches; the rows
 * of the delivery log stay, marked expired. Also drops spent idempotency keys and model-call rate windows.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(): Promise<{ events: number; attempts: number }> {
    const days = this.config.retentionDays;
    const events = await this.inBatches(
      `update events set data = null, expired_at = now()
        where id in (select id from events where expired_at is null and created_at < now() - $1::int * interval '1 day' limit ${BATCH})`,
      [days]);
    const attempts = await this.inBatches(
      `update attempts set response_body = null, expired_at = now()
        where id in (select id from attempts where expired_at is null and started_at < now() - $1::int * interval '1 day' limit ${BATCH})`,
      [days]);
    await this.db.query(`delete from idempotency_keys where created_at < now() - interval '24 hours'`);
    await this.db.query(`delete from llm_rate_windows where window_start < now() - interval '2 minutes'`);
    if (events + attempts > 0) this.logger.log({ events, attempts }, 'expired old payloads');
    return { events, attempts };
  }

  private async inBatches(sql: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db.pool.query(sql, params);
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < BATCH) return total;
    }
  }
}
