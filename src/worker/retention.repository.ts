import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

@Injectable()
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  /**
   * Every attempt with an id below `expiredBefore` has had its response body dropped: the
   * attempt log shows `expired` from this mark. It only moves forward.
   */
  async markAttemptsExpiredBefore(expiredBefore: string): Promise<void> {
    await this.db.query(
      `insert into retention_marks (name, expired_before) values ('attempts', $1)
       on conflict (name) do update set expired_before = greatest(retention_marks.expired_before, excluded.expired_before)`,
      [expiredBefore]);
  }

  async databaseNow(): Promise<Date> {
    const row = await this.db.one<{ now: Date }>(`select now() as now`);
    return row!.now;
  }

  async deleteSpentIdempotencyKeys(): Promise<void> {
    await this.db.query(`delete from idempotency_keys where created_at < now() - interval '24 hours'`);
  }

  async deleteOldCallRateWindows(): Promise<void> {
    await this.db.query(`delete from llm_rate_windows where window_start < now() - interval '2 minutes'`);
  }
}
