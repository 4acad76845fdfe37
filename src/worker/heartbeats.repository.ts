import { Db } from '../database/db';
import { livenessLockSql } from './liveness-session';

/** SQL: the server's start time when another session holds the liveness lock of the process $1, else null. */
const LOCKED_ON = `case when exists (select 1 from pg_locks l where ${livenessLockSql('$1')} and l.pid <> pg_backend_pid())
                        then pg_postmaster_start_time() end`;

/** worker_heartbeats: one row per live worker process, with the graphile-worker ids it runs. */
export class HeartbeatsRepository {
  constructor(private readonly db: Db) {}

  /**
   * This process's row, now, with how often it beats; `locked_on` says whether its liveness
   * session holds its lock now (asked of the server: another backend than this statement's
   * holds it), as the start time of the server: a lock held on a server since restarted, or on
   * the primary before a failover, says nothing about this one.
   */
  async beat(processId: string, workerIds: string[], beatMs: number): Promise<void> {
    await this.db.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen, beat_ms, locked_on)
       values ($1, $2, now(), $3, ${LOCKED_ON})
       on conflict (process_id) do update
         set worker_ids = excluded.worker_ids, last_seen = now(), beat_ms = excluded.beat_ms,
             -- asked again under the row's lock: a clearLocked committed meanwhile is not written over
             locked_on = ${LOCKED_ON}`,
      [processId, workerIds, beatMs],
    );
  }

  /** The liveness session of this process was lost: until a beat sees it held again, judge it by its silence only. */
  async clearLocked(processId: string): Promise<void> {
    await this.db.query(`update worker_heartbeats set locked_on = null where process_id = $1`, [processId]);
  }

  async remove(processId: string): Promise<void> {
    await this.db.query(`delete from worker_heartbeats where process_id = $1`, [processId]);
  }

  /**
   * Deletes the rows of dead processes other than `self` and returns their ids and worker ids.
   * Dead: silent for longer than `deadAfterMs`; or silent for two and a half
   * of its own beats, having held its liveness lock on this very server at its last beat, and
   * no session holding it now (its session ended: the process died). After a restart or a
   * failover every lock is free, but every row's `locked_on` names another server start until
   * its process beats again. Nothing is locked here: pg_locks is only read.
   */
  async takeDead(self: string, deadAfterMs: number): Promise<{ processIds: string[]; workerIds: string[] }> {
    const rows = await this.db.query<{ process_id: string; worker_ids: string[] }>(
      `delete from worker_heartbeats h
        where h.process_id <> $1
          and (h.last_seen < now() - $2::bigint * interval '1 millisecond'
               or (h.locked_on = pg_postmaster_start_time() and h.beat_ms > 0
                   and h.last_seen < now() - h.beat_ms * 2.5 * interval '1 millisecond'
                   and not exists (select 1 from pg_locks l where ${livenessLockSql('h.process_id')})))
        returning h.process_id, h.worker_ids`,
      [self, deadAfterMs],
    );
    return { processIds: rows.map((r) => r.process_id), workerIds: [...new Set(rows.flatMap((r) => r.worker_ids))] };
  }
}
