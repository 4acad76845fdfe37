import { Db } from '../database/db';

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

  /** Deletes the rows of processes silent for longer than deadAfterMs; returns their worker ids. */
  async takeDead(deadAfterMs: number): Promise<string[]> {
    const rows = await this.db.query<{ worker_id: string }>(
      `with dead as (delete from worker_heartbeats where last_seen < now() - $1::bigint * interval '1 millisecond' returning worker_ids)
       select distinct unnest(worker_ids) as worker_id from dead`,
      [deadAfterMs],
    );
    return [...new Set(rows.map((r) => r.worker_id))];
  }
}
