import { Db } from '../database/db';
import { livenessLockSql } from './liveness-session';

/** worker_heartbeats: one row per live worker process, with the graphile-worker ids it runs. */
export class HeartbeatsRepository {
  constructor(private readonly db: Db) {}

  /**
   * This process's row, now; `locked` says whether its liveness session holds its lock now
   * (asked of the server: another backend than this statement's holds it).
   */
  async beat(processId: string, workerIds: string[]): Promise<void> {
    await this.db.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen, locked)
       values ($1, $2, now(), exists (select 1 from pg_locks l where ${livenessLockSql('$1')} and l.pid <> pg_backend_pid()))
       on conflict (process_id) do update set worker_ids = excluded.worker_ids, last_seen = now(), locked = excluded.locked`,
      [processId, workerIds],
    );
  }

  async remove(processId: string): Promise<void> {
    await this.db.query(`delete from worker_heartbeats where process_id = $1`, [processId]);
  }

  /**
   * Deletes the rows of dead processes other than `self` and returns their ids and worker ids.
   * Dead: silent for longer than `deadAfterMs`; or, given `lockedAfterMs`, silent for longer
   * than that, holding its liveness lock at its last beat, and no session holds it now (its
   * session ended: the process died). The second is judged only while `self`'s own liveness
   * session has held its lock on this server for longer than `lockedAfterMs`: after a restart
   * or a failover every session is new and every lock free until each process beats again.
   * Nothing is locked here: pg_locks is only read.
   */
  async takeDead(self: string, deadAfterMs: number, lockedAfterMs: number | null): Promise<{ processIds: string[]; workerIds: string[] }> {
    const rows = await this.db.query<{ process_id: string; worker_ids: string[] }>(
      `delete from worker_heartbeats h
        where h.process_id <> $1
          and (h.last_seen < now() - $2::bigint * interval '1 millisecond'
               or ($3::bigint is not null and h.locked
                   and h.last_seen < now() - $3::bigint * interval '1 millisecond'
                   and not exists (select 1 from pg_locks l where ${livenessLockSql('h.process_id')})
                   and exists (select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
                                where ${livenessLockSql('$1')} and a.backend_start < now() - $3::bigint * interval '1 millisecond')))
        returning h.process_id, h.worker_ids`,
      [self, deadAfterMs, lockedAfterMs],
    );
    return { processIds: rows.map((r) => r.process_id), workerIds: [...new Set(rows.flatMap((r) => r.worker_ids))] };
  }
}
