import { Pool, PoolClient, QueryResultRow } from 'pg';

export type Queryable = Pick<PoolClient, 'query'>;
export type IndexRead = <R extends QueryResultRow>(name: string, text: string, params: unknown[]) => Promise<R[]>;

/**
 * Plain parameterised SQL over the pg pool that TypeORM opened. Repositories use this for
 * every query: the hot paths (publish, claim, record) are single statements, and
 * transactions need one connection held for their duration.
 */
export class Db {
  constructor(readonly pool: Pool) {}

  async query<T extends QueryResultRow>(text: string, params?: unknown[], client: Queryable = this.pool): Promise<T[]> {
    const result = await client.query<T>(text, params);
    return result.rows;
  }

  /**
   * A named prepared statement: PostgreSQL parses and plans it once per connection. For the
   * hot paths (publish, load, record) whose SQL never changes.
   */
  async prepared<T extends QueryResultRow>(name: string, text: string, params: unknown[], client: Queryable = this.pool): Promise<T[]> {
    const result = await client.query<T>({ name, text, values: params });
    return result.rows;
  }

  /**
   * Prepared reads of the delivery or event log, in one read-only transaction with one snapshot
   * (a page and the walk-end query that follows it see the same rows), planned without
   * sequential or bitmap scans, hash or merge joins or parallel workers (whose start costs more
   * than a page of an index), and for the values at hand (never a
   * generic plan, which would guess that a tenant or endpoint holds an average share of the
   * rows): a page of the history is always best read along an index, its rows looked up one
   * by one, and this keeps it so whatever the statistics say (taken while a table was small,
   * or skewed by one large tenant).
   */
  async indexReads<T>(fn: (read: IndexRead) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(`begin isolation level repeatable read read only; set local enable_seqscan = off; set local enable_bitmapscan = off;
        set local enable_hashjoin = off; set local enable_mergejoin = off; set local plan_cache_mode = force_custom_plan;
        set local max_parallel_workers_per_gather = 0`);
      const result = await fn(async <R extends QueryResultRow>(name: string, text: string, params: unknown[]) =>
        (await client.query<R>({ name, text, values: params })).rows);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** One read of indexReads. */
  preparedIndexRead<T extends QueryResultRow>(name: string, text: string, params: unknown[]): Promise<T[]> {
    return this.indexReads((read) => read<T>(name, text, params));
  }

  async one<T extends QueryResultRow>(text: string, params?: unknown[], client: Queryable = this.pool): Promise<T | null> {
    const rows = await this.query<T>(text, params, client);
    return rows[0] ?? null;
  }

  /** Whether the database answers at all (readiness). */
  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  /** Runs fn in one transaction; rolls back on any error, including one thrown by fn. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
