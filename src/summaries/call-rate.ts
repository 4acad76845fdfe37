import { Db } from '../database/db';

/** Model calls per minute per provider, across every process (LLM_REQUESTS_PER_MINUTE). */
export interface CallRate {
  /** Counts one call of `provider` for `tenantId` and returns 0, or returns how many ms to wait before asking again (nothing counted). */
  take(provider: string, tenantId: string): Promise<number>;
}

/**
 * A sliding one-minute window in PostgreSQL, in one-second buckets per provider and tenant
 * (a bucket counts for 61 s, so no 60 s span ever holds more than the limit).
 * Calls of one provider are counted under an advisory lock, each check in a statement of its
 * own after the lock (so its snapshot sees every count committed before), so the limit holds
 * exactly whatever the number of processes. One tenant may use at most `tenantShare` of the
 * window: another tenant's events still get model summaries under a flood.
 */
export class PgCallRate implements CallRate {
  private readonly tenantLimit: number;

  constructor(private readonly db: Db, private readonly perMinute: number, tenantShare = 0.5) {
    this.tenantLimit = Math.max(1, Math.ceil(perMinute * tenantShare));
  }

  take(provider: string, tenantId: string): Promise<number> {
    return this.db.transaction(async (client) => {
      await client.query(`select pg_advisory_xact_lock(hashtextextended('llm-rate:' || $1, 0))`, [provider]);
      const used = await this.db.one<{ total: number; mine: number; total_free_in: number | null; mine_free_in: number | null }>(
        `select coalesce(sum(count), 0)::int as total,
                coalesce(sum(count) filter (where tenant_id = $2), 0)::int as mine,
                extract(epoch from min(window_start) + interval '61 seconds' - clock_timestamp()) * 1000 as total_free_in,
                extract(epoch from min(window_start) filter (where tenant_id = $2) + interval '61 seconds' - clock_timestamp()) * 1000 as mine_free_in
           from llm_rate_windows where provider = $1 and window_start > clock_timestamp() - interval '61 seconds'`,
        [provider, tenantId], client);
      let wait = 0;
      if (used && used.total >= this.perMinute) wait = Math.max(wait, Number(used.total_free_in ?? 1000));
      if (used && used.mine >= this.tenantLimit) wait = Math.max(wait, Number(used.mine_free_in ?? 1000));
      if (wait === 0) {
        await this.db.query(
          `insert into llm_rate_windows (provider, tenant_id, window_start, count) values ($1, $2, date_trunc('second', clock_timestamp()), 1)
           on conflict (provider, window_start, tenant_id) do update set count = llm_rate_windows.count + 1`,
          [provider, tenantId], client);
      }
      return wait === 0 ? 0 : Math.max(1, Math.ceil(wait));
    });
  }
}
