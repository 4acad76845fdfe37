import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Logger as WorkerLogger, Runner, run } from 'graphile-worker';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db } from '../database/db';
import { DELIVER_TASK, DeliverJobPayload, DeliverManyJobPayload, deliveriesOf } from '../deliveries/delivery-jobs';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { RetentionService } from './retention.service';
import { WorkerHeartbeat } from './worker-heartbeat';

export const RETENTION_TASK = 'retention';

function firstLine(message: string): string {
  return message.split('\n', 1)[0].slice(0, 500);
}

function scopeIds(scope: { workerId?: string; taskIdentifier?: string; jobId?: string }) {
  return { workerId: scope.workerId, task: scope.taskIdentifier, jobId: scope.jobId };
}

/**
 * The graphile-worker runner of this process. Jobs are fetched in batches (localQueue) and
 * completed in batches; the heartbeat lets live workers unlock the jobs of dead ones.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WorkerService.name);
  private runner: Runner | null = null;
  private pool: Pool | null = null;
  private heartbeat: WorkerHeartbeat | null = null;

  constructor(
    private readonly attempts: DeliveryAttemptService,
    private readonly retention: RetentionService,
    private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject('DATABASE_URL') private readonly databaseUrl: string,
  ) {}

  get running(): boolean {
    return this.runner !== null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const concurrency = this.config.workerConcurrency;
    this.pool = new Pool({ connectionString: this.databaseUrl, max: 12 });
    // graphile-worker asks for both handlers: a dropped connection must not crash the process.
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'idle worker database connection failed'));
    this.pool.on('connect', (client) => client.on('error', (error) => this.logger.warn({ err: error }, 'worker database connection failed')));
    const events = new EventEmitter();
    const processId = `proc-${randomBytes(6).toString('hex')}`;
    this.heartbeat = new WorkerHeartbeat(this.db, processId, this.config.workerDeadAfterMs);
    events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => this.heartbeat?.addWorkerId(workerPool.id));
    events.on('worker:create', ({ worker }: { worker: { workerId: string } }) => this.heartbeat?.addWorkerId(worker.workerId));
    await this.heartbeat.start();

    this.runner = await run({
      pgPool: this.pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      events,
      logger: new WorkerLogger((scope) => (level, message, meta) => {
        // meta holds the job row and the raw error (whose detail can quote a database row): never logged
        if (level === 'error') this.logger.error({ scope: scopeIds(scope) }, firstLine(message));
        // The pool-size hint assumes one connection per job; with localQueue and batched completion we need far fewer.
        else if (level === 'warning' && !message.includes('maxPoolSize')) this.logger.warn({ scope: scopeIds(scope) }, firstLine(message));
      }),
      preset: {
        worker: {
          localQueue: { size: Math.max(concurrency * 2, 16), ttl: Math.min(this.config.workerDeadAfterMs, 60_000) },
          completeJobBatchDelay: 5,
          failJobBatchDelay: 1,
          gracefulShutdownAbortTimeout: 5_000,
        },
      },
      crontab: `0 * * * * ${RETENTION_TASK} ?fill=2h`,
      taskList: {
        [DELIVER_TASK]: async (payload, helpers) => {
          const signal = helpers.abortSignal ?? new AbortController().signal;
          const results = await Promise.allSettled(
            deliveriesOf(payload as DeliverJobPayload | DeliverManyJobPayload).map((one) => this.attempts.run(one, signal)),
          );
          // Any failure fails the job, so graphile-worker runs it again; deliveries already done are skipped then.
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        },
        [RETENTION_TASK]: async () => {
          await this.retention.run();
        },
      },
    });
    this.logger.log({ concurrency, processId }, 'delivery worker started');
  }

  /** First in the shutdown: in-flight jobs finish while the HTTP client, summaries and database are still open. */
  async onModuleDestroy(): Promise<void> {
    // Keep beating while in-flight jobs finish: without a heartbeat their locks look dead to other
    // processes, which would run them a second time while this one still sends.
    const runner = this.runner;
    this.runner = null;
    if (runner) await runner.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'worker stop failed'));
    await this.heartbeat?.stop();
    await this.pool?.end().catch(() => undefined);
  }
}
