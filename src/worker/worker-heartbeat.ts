import { Logger } from '@nestjs/common';
import { Db } from '../database/db';
import { unlockWorkers } from '../queue/queue';
import { HeartbeatsRepository } from './heartbeats.repository';
import { LivenessSession } from './liveness-session';

/**
 * Dead-worker recovery. graphile-worker leaves the jobs of a killed process locked for 4
 * hours; every live process beats here, and reclaims (force_unlock_workers) the jobs of dead
 * processes, and their endpoints' drain leases. Those jobs then run again elsewhere: at least
 * once. The drain leases of endpoints are renewed on the same beat (DrainsService).
 *
 * A process is dead when it has been silent for longer than WORKER_DEAD_AFTER, or, sooner,
 * when it has been silent for two and a half of its beats, held its liveness lock at its last beat on
 * the server running now, and no session holds that lock now (LivenessSession: a killed
 * process's database session ends with it). HeartbeatsRepository.takeDead asks the server.
 */
export class WorkerHeartbeat {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly workerIds = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private readonly heartbeats: HeartbeatsRepository;

  private readonly intervalMs: number;
  private livenessTimer: NodeJS.Timeout | null = null;
  private ensuring: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly processId: string,
    private readonly deadAfterMs: number,
    /** Also on every beat: the drain leases of this process (renewed) and of dead ones (reclaimed). */
    private readonly onBeat: () => Promise<void> = async () => undefined,
    /** This process's liveness lock; without one, others judge this process by its silence only. */
    private readonly liveness: LivenessSession | null = null,
    /** The processes found dead: their endpoints' drain leases go. */
    private readonly onDead: (processIds: string[]) => Promise<void> = async () => undefined,
  ) {
    this.heartbeats = new HeartbeatsRepository(db);
    this.intervalMs = Math.max(250, Math.min(10_000, Math.floor(deadAfterMs / 4)));
    if (liveness) liveness.onLost = () => void this.heartbeats.clearLocked(processId).catch(() => undefined);
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
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = null));
    }, this.intervalMs);
    // the liveness session on a loop of its own: a slow reconnection never makes a beat late
    if (this.liveness) {
      const liveness = this.liveness;
      await liveness.ensure();
      this.livenessTimer = setInterval(() => {
        this.ensuring ??= liveness.ensure().finally(() => (this.ensuring = null));
      }, this.intervalMs);
      this.livenessTimer.unref();
    }
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    await this.beating;
    await this.heartbeats.remove(this.processId).catch(() => undefined);
    await this.ensuring;
    await this.liveness?.close();
  }

  async beat(): Promise<void> {
    try {
      await this.heartbeats.beat(this.processId, [...this.workerIds], this.intervalMs);
      await this.onBeat();
      const reclaimed = await this.reclaimDead();
      if (reclaimed.length > 0) this.logger.warn({ workerIds: reclaimed.length }, 'unlocked the jobs of dead workers');
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  /**
   * Dead processes' heartbeat rows go, the jobs their worker ids hold are unlocked (they run
   * again elsewhere) and their endpoints' drain leases are let go. Only heartbeat rows are
   * read: graphile-worker's jobs table is never scanned for this. Returns their worker ids.
   */
  async reclaimDead(): Promise<string[]> {
    const { processIds, workerIds } = await this.heartbeats.takeDead(this.processId, this.deadAfterMs);
    await unlockWorkers(this.db.pool, workerIds);
    if (processIds.length > 0) await this.onDead(processIds);
    return workerIds;
  }
}
