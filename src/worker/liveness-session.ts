import { Client } from 'pg';
import { POOL_SOCKET_OPTIONS } from '../database/db';

/** Advisory lock namespace (the first key) of worker liveness; the second is livenessKeySql of the process id. */
export const LIVENESS_LOCK_NS = 764_900_001;

/** SQL: the second key of a process's liveness lock, non-negative (pg_locks shows it as objid). */
export const livenessKeySql = (processIdExpr: string) => `(hashtext(${processIdExpr}) & 2147483647)`;

/** SQL: `l` (pg_locks, which shows every database of the cluster) is the granted liveness lock of the process `processIdExpr` in this database. */
export const livenessLockSql = (processIdExpr: string) =>
  `l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
   and l.classid = ${LIVENESS_LOCK_NS}::oid and l.objsubid = 2 and l.objid = ${livenessKeySql(processIdExpr)}::oid`;

const CONNECT_TIMEOUT_MS = 5_000;
/**
 * A check of the liveness connection that takes longer (a half-open connection) counts as a
 * lost session. Long, so that a pause of this process (a long GC) does not drop its lock.
 */
const CHECK_TIMEOUT_MS = 30_000;

/**
 * A session-level advisory lock, held by a connection of its own for the life of a worker
 * process. When the process dies (kill -9, the OOM killer, a container stopped), its kernel
 * closes the socket, PostgreSQL ends the session at once and the lock is free: a live process
 * can tell the death from a silence sooner than WORKER_DEAD_AFTER (WorkerHeartbeat). A host
 * that vanishes without closing its sockets keeps the session, and so the lock, until the
 * server notices; then only the heartbeat's age tells. Whether the lock is held is always
 * asked of the server (pg_locks), never taken from what this object believes. Behind a pooler,
 * use session mode: in transaction mode the lock lands on a pooled server connection, and a
 * pooler that closes server connections (PgBouncer's server_idle_timeout, server_lifetime)
 * frees it; each check finds that and takes it again.
 */
export class LivenessSession {
  private client: Client | null = null;
  /** Called when a session holding the lock is lost (WorkerHeartbeat clears its row's locked_on at once). */
  onLost: () => void = () => undefined;

  constructor(private readonly databaseUrl: string, private readonly processId: string) {}

  /**
   * Checks the session with a round trip and, when it is gone (a database restart, a cut idle
   * connection, a failover) or never took the lock, takes it on a new connection. Never throws.
   */
  async ensure(): Promise<void> {
    if (this.client) {
      try {
        // the session must still be the one holding the lock (a pooler may have closed the server
        // connection behind it, freeing the lock while this client stays connected)
        const { rows } = await this.client.query<{ held: boolean }>(
          `select exists (select 1 from pg_locks l where ${livenessLockSql('$1')} and l.pid = pg_backend_pid()) as held`, [this.processId]);
        if (rows[0]?.held) return;
      } catch {
        // gone: taken again below
      }
      this.onLost();
      await this.close();
    }
    const client = new Client({
      connectionString: this.databaseUrl, application_name: 'webhooks worker liveness',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: CHECK_TIMEOUT_MS, ...POOL_SOCKET_OPTIONS,
    });
    client.on('error', () => {
      if (this.client !== client) return;
      this.client = null;
      this.onLost();
      void client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      // an idle-session timeout of the server would end this idle session, and free the lock of a live process
      await client.query(`select set_config('idle_session_timeout', '0', false)`).catch(() => undefined); // PostgreSQL 14+
      const { rows } = await client.query<{ locked: boolean }>(
        `select pg_try_advisory_lock($1, ${livenessKeySql('$2')}) as locked`, [LIVENESS_LOCK_NS, this.processId]);
      // false: another session holds the key (an earlier session of ours the server has not
      // ended yet, or a process whose id hashes alike); try again on the next beat
      if (rows[0]?.locked) this.client = client;
      else await client.end();
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
