import { Logger } from '@nestjs/common';
import { Db } from '../database/db';
import { unlockWorkers } from '../queue/queue';
import { HeartbeatsRepository } from './heartbeats.repository';

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
  private readonly heartbeats: HeartbeatsRepository;

  constructor(
    private readonly db: Db,
    private readonly processId: string,
    private readonly deadAfterMs: number,
    /** Also on every beat: the drain leases of this process (renewed) and of dead ones (reclaimed). */
    private readonly onBeat: () => Promise<void> = async () => undefined,
  ) {
    this.heartbeats = new HeartbeatsRepository(db);
  }

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
    await this.heartbeats.remove(this.processId).catch(() => undefined);
  }

  async beat(): Promise<void> {
    try {
      await this.heartbeats.beat(this.processId, [...this.workerIds]);
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
    const ids = await this.heartbeats.takeDead(this.deadAfterMs);
    await unlockWorkers(this.db.pool, ids);
    return ids;
  }
}
