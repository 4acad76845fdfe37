import { Logger } from '@nestjs/common';
import { Db } from '../database/db';

/**
 * Dead-worker recovery. graphile-worker leaves the jobs of a killed process locked for 4
 * hours; every live process beats here, and reclaims (force_unlock_workers) the jobs of
 * processes silent for longer than WORKER_DEAD_AFTER, and of locks held by worker ids no
 * live process owns. Those jobs then run again elsewhere: at least once.
 */
export class WorkerHeartbeat {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly workerIds = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly processId: string,
    private readonly deadAfterMs: number,
  ) {}

  addWorkerId(id: string): void {
    this.workerIds.add(id);
  }

  /** A stopped runner's id, once its jobs were unlocked: no longer advertised as alive. */
  removeWorkerId(id: string): void {
    this.workerIds.delete(id);
  }

  async start(): Promise<void> {
    await this.beat();
    const interval = Math.max(250, Math.min(10_000, Math.floor(this.deadAfterMs / 4)));
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = null));
    }, interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    await this.db.query(`delete from worker_heartbeats where process_id = $1`, [this.processId]).catch(() => undefined);
  }

  async beat(): Promise<void> {
    try {
      await this.db.query(
        `insert into worker_heartbeats (process_id, worker_ids, last_seen) values ($1, $2, now())
         on conflict (process_id) do update set worker_ids = excluded.worker_ids, last_seen = now()`,
        [this.processId, [...this.workerIds]],
      );
      const reclaimed = await this.reclaimDead();
      if (reclaimed.length > 0) this.logger.warn({ workerIds: reclaimed }, 'unlocked the jobs of dead workers');
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  /** Returns the worker ids whose jobs were unlocked. */
  async reclaimDead(): Promise<string[]> {
    const rows = await this.db.query<{ worker_id: string }>(
      `with dead as (
         delete from worker_heartbeats where last_seen < now() - $1::bigint * interval '1 millisecond'
         returning worker_ids
       ), live as (
         select unnest(worker_ids) as worker_id from worker_heartbeats
          where last_seen >= now() - $1::bigint * interval '1 millisecond'
       )
       select distinct worker_id from (
         select unnest(worker_ids) as worker_id from dead
         union
         select locked_by from graphile_worker._private_jobs
          where locked_by is not null and locked_at < now() - $1::bigint * interval '1 millisecond'
            and locked_by not in (select worker_id from live)
       ) w where worker_id is not null`,
      [this.deadAfterMs],
    );
    const ids = rows.map((r) => r.worker_id);
    if (ids.length > 0) await this.db.query(`select graphile_worker.force_unlock_workers($1::text[])`, [ids]);
    return ids;
  }
}
