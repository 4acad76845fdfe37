import { Db } from '../database/db';
import { LIVENESS_LOCK_NS } from './liveness-session';

/** worker_heartbeats: one row per live worker process, with the graphile-worker ids it runs. */
export class HeartbeatsRepository {
  constructor(private readonly db: Db) {}

  async beat(processId: string, workerIds: string[]): Promise<void> {
    await this.db.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen) values ($1, $2, now())
       on conflict (process_id) do update set worker_ids = excluded.worker_ids, last_seen = now()`,
      [processId, workerIds],
    );
  }

  async remove(processId: string): Promise<void> {
    await this.db.query(`delete from worker_heartbeats where process_id = $1`, [processId]);
  }

  /**
   * Deletes the rows of dead processes and returns their ids and worker ids. Dead: silent for
   * longer than deadAfterMs, or, when `freeLockAfterMs` is given, silent for longer than that
   * and with its liveness lock free (LivenessSession: its database session ended, as a killed
   * process's does at once). The try-lock is transaction-scoped and so let go at once.
   */
  async takeDead(self: string, deadAfterMs: number, freeLockAfterMs: number | null): Promise<{ processIds: string[]; workerIds: string[] }> {
    const rows = await this.db.query<{ process_id: string; worker_ids: string[] }>(
      `delete from worker_heartbeats h
        where h.process_id <> $1
          and (h.last_seen < now() - $2::bigint * interval '1 millisecond'
               or ($3::bigint is not null and h.last_seen < now() - $3::bigint * interval '1 millisecond'
                   and pg_try_advisory_xact_lock($4, hashtext(h.process_id))))
        returning h.process_id, h.worker_ids`,
      [self, deadAfterMs, freeLockAfterMs, LIVENESS_LOCK_NS],
    );
    return { processIds: rows.map((r) => r.process_id), workerIds: [...new Set(rows.flatMap((r) => r.worker_ids))] };
  }
}
