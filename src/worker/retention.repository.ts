import { Injectable } from '@nestjs/common';
import { idAtOrAfter, idTime } from '../common/ids';
import { Db } from '../database/db';

const FORGET_BATCH = 10_000;

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

  /**
   * Deletes the failure and queue rows of the deliveries with ids in [low, high) (low null: from
   * the first), in batches: their partition is about to be dropped.
   */
  async forgetDeliveries(low: string | null, high: string): Promise<void> {
    for (const table of ['delivery_failures', 'delivery_queue']) {
      let deleted: number;
      do {
        const rows = await this.db.query(
          `delete from ${table} where ctid = any(array(
             select ctid from ${table} where delivery_id >= $1 and delivery_id < $2 limit ${FORGET_BATCH}))
           returning 1`, [low ?? '', high]);
        deleted = rows.length;
      } while (deleted === FORGET_BATCH);
    }
  }

  /** [low, high) holding every delivery id of `table` (a detached partition), or null when it holds none the service made. */
  async idRangeOf(table: string): Promise<{ low: string; high: string } | null> {
    const row = await this.db.one<{ low: string | null; high: string | null }>(`select min(id) as low, max(id) as high from ${table}`);
    const last = row?.high ? idTime(row.high) : null;
    if (!row?.low || !last) return null;
    return { low: row.low, high: idAtOrAfter('dlv', new Date(last.getTime() + 1)) };
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
