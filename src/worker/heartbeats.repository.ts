import { Db } from '../database/db';
import { livenessLockSql } from './liveness-session';

/** worker_heartbeats: one row per live worker process, with the graphile-worker ids it runs. */
export class HeartbeatsRepository {
  constructor(private readonly db: Db) {}

  /**
   * This process's row, now; `locked_on` says whether its liveness session holds its lock now
   * (asked of the server: another backend than this statement's holds it), as the start time of
   * the server: a lock held on a server since restarted, or on the primary before a failover,
   * says nothing about this one.
   */
  async beat(processId: string, workerIds: string[]): Promise<void> {
    await this.db.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen, locked_on)
       values ($1, $2, now(), case when exists (select 1 from pg_locks l where ${livenessLockSql('$1')} and l.pid <> pg_backend_pid())
                                   then pg_postmaster_start_time() end)
       on conflict (process_id) do update set worker_ids = excluded.worker_ids, last_seen = now(), locked_on = excluded.locked_on`,
      [processId, workerIds],
    );
  }

  async remove(processId: string): Promise<void> {
    await this.db.query(`delete from worker_heartbeats where process_id = $1`, [processId]);
  }

  /**
   * Deletes the rows of dead processes other than `self` and returns their ids and worker ids.
   * Dead: silent for longer than `deadAfterMs`; or, given `lockedAfterMs`, silent for longer
   * than that, having held its liveness lock on this very server at its last beat, and no
   * session holding it now (its session ended: the process died). After a restart or a
   * failover every lock is free, but every row's `locked_on` names another server start until
   * its process beats again. Nothing is locked here: pg_locks is only read.
   */
  async takeDead(self: string, deadAfterMs: number, lockedAfterMs: number | null): Promise<{ processIds: string[]; workerIds: string[] }> {
    const rows = await this.db.query<{ process_id: string; worker_ids: string[] }>(
      `delete from worker_heartbeats h
        where h.process_id <> $1
          and (h.last_seen < now() - $2::bigint * interval '1 millisecond'
               or ($3::bigint is not null and h.locked_on = pg_postmaster_start_time()
                   and h.last_seen < now() - $3::bigint * interval '1 millisecond'
                   and not exists (select 1 from pg_locks l where ${livenessLockSql('h.process_id')})))
        returning h.process_id, h.worker_ids`,
      [self, deadAfterMs, lockedAfterMs],
    );
    return { processIds: rows.map((r) => r.process_id), workerIds: [...new Set(rows.flatMap((r) => r.worker_ids))] };
  }
}
