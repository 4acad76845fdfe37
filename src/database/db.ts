import { Pool, PoolClient, QueryResultRow } from 'pg';

export type Queryable = Pick<PoolClient, 'query'>;

/**
 * Socket options of every pool the service opens. TCP keepalive, first probe after 30 s idle:
 * a NAT gateway or load balancer between us and the database forgets a connection that stays
 * silent for minutes (graphile-worker's LISTEN connection always does, and idle pool clients
 * often), and drops its packets without a reset. The next query on it then waits for TCP's
 * retransmissions to give up, about 15 minutes, holding a pool slot. The probes keep the
 * path's state alive. (Node sets only the idle time: a peer that is really gone is noticed
 * after the kernel's own probe interval and count, about 11 more minutes by default.)
 */
export const POOL_SOCKET_OPTIONS = { keepAlive: true, keepAliveInitialDelayMillis: 30_000 } as const;
export type IndexRead = <R extends QueryResultRow>(name: string, text: string, params: unknown[]) => Promise<R[]>;

/**
 * Planning without sequential or bitmap scans, hash or merge joins or parallel workers (whose
 * start costs more than a page of an index): every row is found along an index and joined
 * rows are looked up one by one.
 */
const ALONG_INDEXES = `set local enable_seqscan = off; set local enable_bitmapscan = off;
  set local enable_hashjoin = off; set local enable_mergejoin = off; set local max_parallel_workers_per_gather = 0`;

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
   * (a page and the walk-end query that follows it see the same rows), planned along indexes
   * (ALONG_INDEXES) and for the values at hand (never a generic plan, which would guess that a
   * tenant or endpoint holds an average share of the rows): a page of the history is always
   * best read along an index, its rows looked up one by one, and this keeps it so whatever the
   * statistics say (taken while a table was small, or skewed by one large tenant).
   */
  indexReads<T>(fn: (read: IndexRead) => Promise<T>): Promise<T> {
    return this.alongIndexes(`begin isolation level repeatable read read only; ${ALONG_INDEXES}; set local plan_cache_mode = force_custom_plan`, fn);
  }

  /**
   * Prepared reads of an endpoint's queue (the worker's fetch of due attempts), planned along
   * indexes and without sorts, so the only plan left reads the queue's index in its order; its
   * shape does not depend on the values, so it is planned once per connection. The queue
   * churns and its statistics are often those of another moment. Measured with 30,000-100,000
   * queued after the queue was analysed nearly empty: PostgreSQL's own plan read the endpoint's
   * whole queue with a bitmap scan and sorted it to return the oldest 16 (30-80 ms a fetch);
   * along indexes with sorts allowed, the cached plan took 10 ms; without sorts, 0.3 ms.
   */
  queueReads<T>(fn: (read: IndexRead) => Promise<T>): Promise<T> {
    return this.alongIndexes(`begin read only; ${ALONG_INDEXES}; set local enable_sort = off`, fn);
  }

  /** Runs `fn`'s prepared statements in one transaction that `begin` opens and configures. */
  private alongIndexes<T>(begin: string, fn: (read: IndexRead) => Promise<T>): Promise<T> {
    return this.inTransaction(begin, (client) => fn(async <R extends QueryResultRow>(name: string, text: string, params: unknown[]) =>
      (await client.query<R>({ name, text, values: params })).rows));
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
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.inTransaction('begin', fn);
  }

  /**
   * fn with a connection of the pool to itself, handed back when fn ends. After fn threw, the
   * connection is reused only if there is an `afterError` (say, a rollback) and it succeeds; one
   * that died meanwhile is always closed. A connection that dies while checked out emits 'error' on its client, and
   * the pool listens for that only while the client is idle: unheard, it would crash the process.
   */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>, afterError?: (client: PoolClient) => Promise<unknown>): Promise<T> {
    const client = await this.pool.connect();
    let dead = false;
    const onError = () => {
      dead = true;
    };
    client.on('error', onError);
    let reuse = true;
    try {
      return await fn(client);
    } catch (error) {
      reuse = !dead && afterError !== undefined && (await afterError(client).then(() => true, () => false));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(dead || !reuse);
    }
  }

  private inTransaction<T>(begin: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query(begin);
      const result = await fn(client);
      await client.query('commit');
      return result;
    }, (client) => client.query('rollback'));
  }
}
