import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

/** What retention empties, per table: the payload columns and the id prefix of its rows. */
export const EXPIRING = {
  events: { prefix: 'evt', clear: 'data = null' },
  attempts: { prefix: 'att', clear: 'response_body = null' },
} as const;
export type ExpiringTable = keyof typeof EXPIRING;

@Injectable()
export class RetentionRepository {
  constructor(private readonly db: Db) {}

  /** Every row of `table` with an id below this one has been expired (or there was none). */
  async mark(table: ExpiringTable): Promise<string> {
    const row = await this.db.one<{ expired_before: string }>(`select expired_before from retention_marks where name = $1`, [table]);
    return row?.expired_before ?? '';
  }

  async setMark(table: ExpiringTable, expiredBefore: string): Promise<void> {
    await this.db.query(
      `insert into retention_marks (name, expired_before) values ($1, $2)
       on conflict (name) do update set expired_before = greatest(retention_marks.expired_before, excluded.expired_before)`,
      [table, expiredBefore]);
  }

  /**
   * Expires the next `limit` rows by id after `after` and below `before`, walking the primary
   * key: rows already expired cost nothing more than being stepped over once. Returns the last
   * id of the batch (null when the range is done) and how many rows it expired.
   */
  async expireBatch(table: ExpiringTable, after: string, before: string, limit: number): Promise<{ last: string | null; expired: number }> {
    const row = await this.db.one<{ last: string | null; expired: number }>(
      // = any(array(...)): a join with the batch would be planned as a scan of the whole table
      `with batch as (select id from ${table} where id > $1 and id < $2 order by id limit $3),
            done as (update ${table} set ${EXPIRING[table].clear}, expired_at = now()
                      where id = any(array(select id from batch)) and expired_at is null returning 1)
       select (select max(id) from batch) as last, (select count(*) from done)::int as expired`,
      [after, before, limit]);
    return { last: row?.last ?? null, expired: row?.expired ?? 0 };
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
