import { Client } from 'pg';
import { POOL_SOCKET_OPTIONS } from '../database/db';

/** Advisory lock namespace (the first key) of worker liveness; the second is hashtext(process id). */
export const LIVENESS_LOCK_NS = 764_900_001;

/**
 * A session-level advisory lock, held by a connection of its own for the life of a worker
 * process. When the process dies (kill -9, the OOM killer, a container stopped), its kernel
 * closes the socket, PostgreSQL ends the session at once and the lock is free: a live process
 * can tell the death from a silence without waiting for WORKER_DEAD_AFTER
 * (HeartbeatsRepository.takeDead). A host that vanishes without closing its sockets keeps the
 * session, and so the lock, until the server notices; then only the heartbeat's age tells.
 */
export class LivenessSession {
  private client: Client | null = null;
  private heldSince: number | null = null;

  constructor(private readonly databaseUrl: string, private readonly processId: string) {}

  /** Takes the lock on a new connection when the session is gone (a database restart); never throws. */
  async ensure(): Promise<void> {
    if (this.client) return;
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000, ...POOL_SOCKET_OPTIONS });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      this.heldSince = null;
      void client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as locked', [LIVENESS_LOCK_NS, this.processId]);
      this.client = client;
      // false only when another live process's id hashes alike: then only the slow path judges either
      this.heldSince = rows[0]?.locked ? Date.now() : null;
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  /** How long this session has held its lock without a break; 0 while it does not. */
  heldForMs(): number {
    return this.heldSince === null ? 0 : Date.now() - this.heldSince;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.heldSince = null;
    await client?.end().catch(() => undefined);
  }
}
