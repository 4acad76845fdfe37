import { Logger } from '@nestjs/common';
import { Db } from '../database/db';
import { unlockWorkers } from '../queue/queue';

/**
 * Dead-worker recovery. graphile-worker leaves the jobs of a killed process locked for 4
 * hours; every live process beats here, and reclaims (force_unlock_workers) the jobs of
 * processes silent for longer than WORKER_DEAD_AFTER. Those jobs then run again elsewhere:
 * at least once. The drain leases of endpoints ride on the same beat (DrainsService).
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
    /** Also on every beat: the drain leases of this process (renewed) and of dead ones (reclaimed). */
    private readonly onBeat: () => Promise<void> = async () => undefined,
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
      await this.onBeat();
      const reclaimed = await this.reclaimDead();
      if (reclaimed.length > 0) this.logger.warn({ workerIds: reclaimed.length }, 'unlocked the jobs of dead workers');
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  /**
   * Processes silent past WORKER_DEAD_AFTER are dead: their heartbeat rows go and the jobs
   * their worker ids hold are unlocked (they run again elsewhere). Only heartbeat rows are
   * read: graphile-worker's jobs table is never scanned for this.
   */
  async reclaimDead(): Promise<string[]> {
    const rows = await this.db.query<{ worker_id: string }>(
      `with dead as (delete from worker_heartbeats where last_seen < now() - $1::bigint * interval '1 millisecond' returning worker_ids)
       select distinct unnest(worker_ids) as worker_id from dead`,
      [this.deadAfterMs],
    );
    const ids = [...new Set(rows.map((r) => r.worker_id))];
    await unlockWorkers(this.db.pool, ids);
    return ids;
  }
}
