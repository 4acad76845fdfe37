import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger as WorkerLogger, Runner, run } from 'graphile-worker';
import { Pool } from 'pg';
import { codeOf } from '../common/domain-error.filter';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db, POOL_SOCKET_OPTIONS } from '../database/db';
import { workerRestarts } from '../metrics/metrics';
import { decodeDrainPayload, decodeRecoverPayload, TASKS, unlockWorkers } from '../queue/queue';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { recoverJob } from '../endpoints/recover';
import { DrainsService } from './drains.service';
import { patchGraphileWorker } from './graphile-worker-patch';
import { RetentionService } from './retention.service';
import { WorkerHeartbeat } from './worker-heartbeat';
import { LivenessSession } from './liveness-session';

patchGraphileWorker();

interface StartedRunner {
  runner: Runner;
  workerIds: Set<string>;
  /** Settles with a reason once the runner stopped working, for whatever cause. */
  died: Promise<string>;
}

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 15_000;

function firstLine(message: string): string {
  return message.split('\n', 1)[0].slice(0, 500);
}

function scopeIds(scope: { workerId?: string; taskIdentifier?: string; jobId?: string }) {
  return { workerId: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId };
}

/**
 * The graphile-worker runner of this process, supervised: when it stops for any reason other
 * than shutdown (the database went away, a queue statement failed), it is started again with
 * backoff, and the jobs its worker ids still hold are unlocked first, so nothing waits for
 * WORKER_DEAD_AFTER (or forever) for a runner that no longer exists. Jobs are fetched in
 * batches (localQueue) and completed in batches; the heartbeat lets live processes unlock the
 * jobs of dead ones.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkerService.name);
  private runner: Runner | null = null;
  private pool: Pool | null = null;
  private heartbeat: WorkerHeartbeat | null = null;
  private stopping = false;
  private supervision: Promise<void> | null = null;
  private readonly wakeUp = new AbortController();
  /** Worker ids of runners that stopped without releasing their jobs: unlocked before the next start. */
  private readonly orphaned = new Set<string>();

  constructor(
    private readonly drains: DrainsService,
    private readonly retention: RetentionService,
    private readonly endpoints: EndpointsRepository,
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject('DATABASE_URL') private readonly databaseUrl: string,
  ) {}

  /** A runner is started and has not stopped. */
  get running(): boolean {
    return this.runner !== null && !this.stopping;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.pool = new Pool({ connectionString: this.databaseUrl, max: 12, ...POOL_SOCKET_OPTIONS });
    // graphile-worker asks for both handlers: a dropped connection must not crash the process.
    this.pool.on('error', (error) => this.logger.warn({ code: codeOf(error), error: firstLine(error.message) }, 'idle worker database connection failed'));
    this.pool.on('connect', (client) => client.on('error', (error) => this.logger.warn({ code: codeOf(error), error: firstLine(error.message) }, 'worker database connection failed')));
    const processId = this.drains.owner;
    this.heartbeat = new WorkerHeartbeat(this.db, processId, this.config.workerDeadAfterMs, async () => {
      await this.drains.renewLeases();
      await this.drains.reclaimExpired();
    }, new LivenessSession(this.databaseUrl, processId), async (dead) => {
      await this.drains.reclaimLeasesOf(dead);
    });
    await this.heartbeat.start();
    // The first start happens here, so a process whose worker cannot start does not report ready.
    const first = await this.startRunner();
    this.logger.log({ concurrency: this.config.workerConcurrency, processId }, 'delivery worker started');
    this.supervision = this.supervise(first);
  }

  private async supervise(first: StartedRunner): Promise<void> {
    let current: StartedRunner | null = first;
    let delay = RESTART_MIN_MS;
    while (!this.stopping) {
      if (current) {
        this.runner = current.runner;
        const reason = await current.died;
        this.runner = null;
        if (this.stopping) return;
        // A pool that lost its database may never finish shutting down (its promise stays
        // pending): stop the rest of the runner (cron) without waiting for it.
        current.runner.stop().catch(() => undefined);
        // Its jobs may still be locked by its ids (the database was gone when it tried to release them).
        for (const id of current.workerIds) this.orphaned.add(id);
        workerRestarts.inc();
        this.logger.warn({ reason, retryInMs: delay }, 'delivery worker runner stopped; restarting it');
        current = null;
      }
      await sleep(delay, undefined, { signal: this.wakeUp.signal }).catch(() => undefined);
      if (this.stopping) return;
      try {
        await this.unlockOrphaned();
        current = await this.startRunner();
        delay = RESTART_MIN_MS;
        this.logger.log('delivery worker runner restarted');
      } catch (error) {
        delay = Math.min(delay * 2, RESTART_MAX_MS);
        this.logger.warn({ code: codeOf(error), error: firstLine(String(error)), retryInMs: delay }, 'delivery worker runner could not start; retrying');
      }
    }
  }

  private async unlockOrphaned(): Promise<void> {
    if (this.orphaned.size === 0) return;
    const ids = [...this.orphaned];
    await unlockWorkers(this.db.pool, ids);
    for (const id of ids) {
      this.orphaned.delete(id);
      this.heartbeat?.removeWorkerId(id);
    }
    this.logger.log({ workerIds: ids.length }, 'unlocked the jobs of the stopped runner');
  }

  private async startRunner(): Promise<StartedRunner> {
    const concurrency = this.config.workerConcurrency;
    const workerIds = new Set<string>();
    const events = new EventEmitter();
    const track = (id: string) => {
      workerIds.add(id);
      this.heartbeat?.addWorkerId(id);
    };
    let onDeath: (reason: string) => void = () => undefined;
    const died = new Promise<string>((resolve) => (onDeath = resolve));
    events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => track(workerPool.id));
    events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => track(worker.workerId));
    // The pool shutting down by itself is the runner's death, whether or not its promise ever settles.
    for (const event of ['pool:gracefulShutdown', 'pool:forcefulShutdown', 'pool:release'] as const) {
      events.on(event, ({ message }: { message?: string }) => onDeath(message ? firstLine(message) : event));
    }
    const runner = await run({
      pgPool: this.pool!,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      events,
      logger: new WorkerLogger((scope) => (level, message) => {
        // meta holds the job row and the raw error (whose detail can quote a database row): never logged.
        // While stopping or restarting, graphile-worker's own complaints about the lost connection are expected: warnings.
        if (level === 'error' && this.running) this.logger.error({ scope: scopeIds(scope) }, firstLine(message));
        else if (level === 'error' || (level === 'warning' && !message.includes('maxPoolSize'))) {
          // The pool-size hint assumes one connection per job; with localQueue and batched completion we need far fewer.
          this.logger.warn({ scope: scopeIds(scope) }, firstLine(message));
        }
      }),
      preset: {
        worker: {
          localQueue: { size: Math.max(concurrency * 2, 16), ttl: Math.min(this.config.workerDeadAfterMs, 60_000) },
          completeJobBatchDelay: 5,
          failJobBatchDelay: 1,
          gracefulShutdownAbortTimeout: 5_000,
        },
      },
      crontab: `0 * * * * ${TASKS.retention} ?fill=2h`,
      taskList: {
        // Quick: takes the endpoint's lease (or pokes its driver) and returns; the driver sends.
        [TASKS.drain]: async (payload) => {
          await this.drains.drain(decodeDrainPayload(payload).endpointId);
        },
        [TASKS.retention]: async (_payload, helpers) => {
          await this.retention.run(undefined, helpers.abortSignal);
        },
        [TASKS.recover]: async (payload) => {
          await recoverJob(this.db, this.endpoints, decodeRecoverPayload(payload));
        },
      },
    });
    runner.promise.then(() => onDeath('it stopped'), (error: unknown) => onDeath(firstLine(String(error))));
    return { runner, workerIds, died };
  }

  /** First in the shutdown: in-flight jobs finish while the HTTP client, summaries and database are still open. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wakeUp.abort();
    this.drains.beginStop();
    const runner = this.runner;
    this.runner = null;
    // Keep beating while in-flight jobs finish: without a heartbeat their locks look dead to other
    // processes, which would run them a second time while this one still sends.
    if (runner) await runner.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'worker stop failed'));
    await this.supervision;
    await this.drains.stop();
    await this.unlockOrphaned().catch(() => undefined);
    await this.heartbeat?.stop();
    await this.pool?.end().catch(() => undefined);
  }
}
