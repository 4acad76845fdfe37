import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AttemptRecorder } from './attempt-recorder';
import { CancelScope } from './cancel-scope';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { WorkerRepository } from './worker.repository';
import { DriverContext, EndpointDriver } from './endpoint-driver';
import { SendPool } from './send-pool';

/** How long attempts in flight get to finish at shutdown before they are aborted. */
const SHUTDOWN_GRACE_MS = 5_000;
/** How long a drain job waits for a driver of its endpoint that is letting go. */
const ENDING_WAIT_MS = 1_000;

/**
 * The endpoint drivers of this process. A `drain` job (graphile-worker) for an endpoint
 * starts its driver here when this process can take the endpoint's lease, or pokes the one
 * that runs; when another live process holds the lease, that process drains it and the job
 * has nothing to do. Every driver sends through one fair pool of WORKER_CONCURRENCY slots.
 */
@Injectable()
export class DrainsService {
  private readonly logger = new Logger(DrainsService.name);
  private readonly drivers = new Map<string, EndpointDriver>();
  private readonly shutdown = new AbortController();
  private readonly cancel = new CancelScope(this.shutdown.signal);
  private readonly context: DriverContext;
  private stopping = false;
  private stop_: () => void = () => undefined;
  /** Settles when the shutdown begins: no drain job waits past it. */
  private readonly stopped = new Promise<void>((resolve) => (this.stop_ = resolve));
  /** This process, as the owner of leases (and in its heartbeat row). */
  readonly owner = `proc-${randomBytes(6).toString('hex')}`;

  constructor(
    repository: WorkerRepository,
    recorder: AttemptRecorder,
    attempts: DeliveryAttemptService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.context = {
      repository, recorder, attempts,
      pool: new SendPool(config.workerConcurrency),
      cancel: this.cancel,
      owner: this.owner,
      defaultMaxInFlight: config.endpointMaxInFlight,
      retryScheduleMs: config.retryScheduleMs,
      retryJitter: config.retryJitter,
    };
  }

  get active(): number {
    return this.drivers.size;
  }

  /** A drain job: drain the endpoint here if nobody else does. */
  async drain(endpointId: string): Promise<void> {
    if (this.stopping) return;
    const running = this.drivers.get(endpointId);
    if (running && !running.ended) {
      running.poke();
      return;
    }
    if (running) {
      // This job may be the very wake-up its release scheduled: wait until it let go, then take over.
      // Not for long: a graphile-worker slot must never wait on an attempt in flight.
      const released = await Promise.race([running.done.then(() => true), this.stopped.then(() => false), sleep(ENDING_WAIT_MS).then(() => false)]);
      if (this.stopping) return;
      if (!released) return this.context.repository.wakeLater(endpointId, ENDING_WAIT_MS);
      const next = this.drivers.get(endpointId);
      if (next) return next.poke();
    }
    const state = await this.context.repository.acquire(endpointId, this.owner, this.config.workerDeadAfterMs);
    if (!state) return;
    if (this.stopping || this.drivers.has(endpointId)) {
      if (!this.drivers.has(endpointId)) await this.context.repository.release(endpointId, this.owner, null);
      return;
    }
    const driver = new EndpointDriver(this.context, state, (done) => {
      if (this.drivers.get(done.endpointId) === done) this.drivers.delete(done.endpointId);
    });
    this.drivers.set(endpointId, driver);
    driver.start();
  }

  /** Heartbeat: keep this process's leases, and stop the drivers whose lease was lost. */
  async renewLeases(): Promise<void> {
    if (this.drivers.size === 0) return;
    const held = await this.context.repository.renew(this.owner, this.config.workerDeadAfterMs);
    for (const driver of this.drivers.values()) {
      if (!held.has(driver.endpointId) && !driver.ended) {
        this.logger.warn({ endpointId: driver.endpointId }, 'lost the drain lease of an endpoint (the database was away too long); another process drains it now');
        driver.lose();
      }
    }
  }

  /** Heartbeat: the endpoints of processes found dead are woken elsewhere without waiting for their leases to run out. */
  async reclaimLeasesOf(owners: string[]): Promise<number> {
    return this.context.repository.reclaimLeasesOf(owners);
  }

  /** Heartbeat: endpoints whose drain lease ran out belong to dead processes; wake them. */
  async reclaimExpired(): Promise<number> {
    return this.context.repository.reclaimExpiredLeases();
  }

  /**
   * Shutdown: nothing new is sent; attempts in flight get SHUTDOWN_GRACE_MS to finish, then
   * are aborted; every outcome is recorded and every lease released (waking the endpoint
   * elsewhere when work remains).
   */
  /** First of the shutdown (before the runner stops, so no drain job keeps it waiting): take no new endpoint. */
  beginStop(): void {
    this.stopping = true;
    this.stop_();
  }

  async stop(): Promise<void> {
    this.beginStop();
    const drivers = [...this.drivers.values()];
    for (const driver of drivers) driver.stop();
    const all = Promise.all(drivers.map((d) => d.done));
    const graceful = await Promise.race([all.then(() => true), sleep(SHUTDOWN_GRACE_MS).then(() => false)]);
    if (!graceful) {
      this.logger.warn({ endpoints: this.drivers.size }, 'attempts still in flight at shutdown: aborting them');
      this.shutdown.abort(new Error('shutting down'));
      await all;
    }
    await this.context.recorder.drain();
  }
}
