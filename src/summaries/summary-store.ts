import { createHash } from 'node:crypto';
import { Db } from '../database/db';
import { PROMPT_VERSION } from './prompt';

export interface CachedSummary {
  text: string;
  model: string;
}

export interface SummaryStore {
  getCached(key: string): Promise<CachedSummary | null>;
  putCached(key: string, summary: CachedSummary): Promise<void>;
  /** Takes `tokens` from today's budget if they fit; false (and nothing taken) when they do not. */
  reserve(tenantId: string, tokens: number, budget: number): Promise<boolean>;
  /** Corrects a reservation by the tokens actually used. */
  settle(tenantId: string, reserved: number, actual: number): Promise<void>;
}

/**
 * Identical content under the same prompt and model cascade gets one summary. Keys are
 * canonical (object keys sorted) so field order does not split the cache.
 */
export function summaryCacheKey(models: string, type: string, redactedData: unknown): string {
  return createHash('sha256')
    .update(`${PROMPT_VERSION}\n${models}\n${type}\n${canonicalJson(redactedData)}`)
    .digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  }) ?? 'null';
}

/** `YYYY-MM-DD` of the UTC day: budgets reset at UTC midnight. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class PgSummaryStore implements SummaryStore {
  private readonly now: () => number;

  constructor(private readonly db: Db, options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async getCached(key: string): Promise<CachedSummary | null> {
    const row = await this.db.one<{ text: unknown; model: unknown }>('select text, model from summary_cache where key = $1', [key]);
    if (!row || typeof row.text !== 'string' || typeof row.model !== 'string') return null;
    return { text: row.text, model: row.model };
  }

  async putCached(key: string, summary: CachedSummary): Promise<void> {
    await this.db.query(
      `insert into summary_cache (key, text, model) values ($1, $2, $3)
       on conflict (key) do update set text = excluded.text, model = excluded.model, created_at = now()`,
      [key, summary.text, summary.model],
    );
  }

  /**
   * One statement, so concurrent reservations (any number of processes) serialise on the row
   * lock and can never together pass the budget: the check and the increment are the same write.
   */
  async reserve(tenantId: string, tokens: number, budget: number): Promise<boolean> {
    const rows = await this.db.query(
      `insert into llm_token_usage (tenant_id, day, used)
       select $1, $2::date, $3::bigint where $3::bigint <= $4::bigint
       on conflict (tenant_id, day) do update set used = llm_token_usage.used + excluded.used
         where llm_token_usage.used + excluded.used <= $4::bigint
       returning used`,
      [tenantId, utcDay(this.now()), Math.max(0, Math.ceil(tokens)), Math.max(0, Math.floor(budget))],
    );
    return rows.length === 1;
  }

  async settle(tenantId: string, reserved: number, actual: number): Promise<void> {
    const difference = Math.ceil(actual) - Math.ceil(reserved);
    if (difference === 0) return;
    // greatest(): a reservation made before UTC midnight and settled after must not go negative.
    await this.db.query(
      `update llm_token_usage set used = greatest(0, used + $3::bigint) where tenant_id = $1 and day = $2::date`,
      [tenantId, utcDay(this.now()), difference],
    );
  }

  /** Tokens used by `tenantId` on the UTC day of `ms` (for tests and operators). */
  async usedOn(tenantId: string, ms = this.now()): Promise<number> {
    const row = await this.db.one<{ used: string }>('select used from llm_token_usage where tenant_id = $1 and day = $2::date', [tenantId, utcDay(ms)]);
    return row ? Number(row.used) : 0;
  }
}
