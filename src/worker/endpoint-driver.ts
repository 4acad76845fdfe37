import { Logger } from '@nestjs/common';
import { circuitOpenings, queueFetches } from '../metrics/metrics';
import { AttemptRecorder } from './attempt-recorder';
import type { CancelScope } from './cancel-scope';
import { admits, afterAttempt, Circuit, healthOf } from './circuit';
import { DeliveryAttemptService, PreparedAttempt } from './delivery-attempt.service';
import { AttemptRecord, WorkerRepository, DueAttempt, EndpointState, QueueCursor } from './worker.repository';
import { SendPool } from './send-pool';

/** While attempts are in flight and the queue looked empty, look again this often for new work. */
const REFILL_POLL_MS = 250;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;
/** Deliveries of a disabled or deleted endpoint ended per statement. */
const END_BATCH = 1_000;
/** Manual attempts fetched at once (they are rare: a user's "retry now"). */
const MANUAL_BATCH = 8;

export interface DriverContext {
  repository: WorkerRepository;
  recorder: AttemptRecorder;
  attempts: DeliveryAttemptService;
  pool: SendPool;
  /** Aborts attempts in flight (shutdown, once in-flight attempts had their time). */
  cancel: CancelScope;
  /** This process, as the owner of drain leases. */
  owner: string;
  defaultMaxInFlight: number;
  retryScheduleMs: number[];
  retryJitter: number;
}

interface Ready {
  due: DueAttempt;
  prepared: PreparedAttempt;
  order: number;
}

/**
 * Drains one endpoint's queue in this process, while it holds the endpoint's lease (one
 * process at a time, so the limits below hold across every worker): due attempts oldest
 * first, at most maxInFlight in flight, within rateLimitPerSecond, and nothing but one probe
 * at a time while the endpoint's circuit is open. Waiting costs nothing: a driver that has
 * nothing it may send gives the lease up and schedules the endpoint's next drain (its next
 * due attempt, or the circuit's probe); held deliveries stay in the queue untouched.
 *
 * Every attempt is held here from fetch to record (`held`), so a later fetch never returns
 * it twice; it leaves the queue only when its record commits.
 */
export class EndpointDriver {
  private readonly logger = new Logger(EndpointDriver.name);
  private endpoint: EndpointState;
  private circuit: Circuit;
  /** The circuit state as last written (or read): a different one in the database was set by the API. */
  private savedCircuit: string;
  private saves: Promise<void> = Promise.resolve();
  private savesPending = 0;
  private readonly held = new Map<string, DueAttempt>();
  private ready: Ready[] = [];
  private order = 0;
  /** Attempts sent or being sent: what maxInFlight counts. */
  private sending = 0;
  /** Attempts made whose record has not committed yet: still held (a fetch must not return them), but no longer waiting to be sent. */
  private recording = 0;
  private fetching = false;
  private exhausted = false;
  private cursor: QueueCursor | null = null;
  private manualMayWait = true;
  private retryMs = 0;
  /** No fetch before this time (the database failed the last one). */
  private retryAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** Start times of recent attempts, oldest first (the rate limit's sliding one-second window). */
  private readonly sendTimes: number[] = [];
  private ending: 'no' | 'release' | 'lost' | 'disabled' = 'no';
  private settle: () => void = () => undefined;
  /** Settles once the driver let go of everything (and released its lease, unless lost). */
  readonly done: Promise<void>;

  constructor(private readonly ctx: DriverContext, endpoint: EndpointState, private readonly onDone: (driver: EndpointDriver) => void) {
    this.endpoint = endpoint;
    this.circuit = circuitOf(endpoint);
    this.savedCircuit = endpoint.circuit_state;
    this.sendTimes.push(...(endpoint.rate_window ?? []).map((at) => at.getTime()).sort((a, b) => a - b));
    this.done = new Promise<void>((resolve) => (this.settle = resolve));
  }

  get endpointId(): string {
    return this.endpoint.id;
  }

  get ended(): boolean {
    return this.ending !== 'no';
  }

  start(): void {
    this.pump();
  }

  /** There may be new due work (a drain job for this endpoint ran in this process). */
  poke(): void {
    this.exhausted = false;
    this.manualMayWait = true;
    this.pump();
  }

  /** Shutdown: send nothing new, let attempts in flight finish and be recorded, release the lease. */
  stop(): void {
    this.end('release');
  }

  /** The lease expired while we were away from the database: another process may drain now. */
  lose(): void {
    this.end('lost');
  }

  private get maxInFlight(): number {
    return this.endpoint.max_in_flight ?? this.ctx.defaultMaxInFlight;
  }

  private pump(): void {
    if (this.ending !== 'no') return this.maybeFinish();
    const now = new Date();
    while (this.ready.length > 0 && this.sending < this.maxInFlight) {
      const decision = admits(this.circuit, this.sending, now);
      // A manual attempt is the user's "now": it goes out whatever the circuit says (it probes too).
      const index = decision === 'no' ? this.ready.findIndex((r) => r.due.attempt === 0) : 0;
      if (index < 0) break;
      const wait = this.rateWaitMs(now.getTime());
      if (wait > 0) {
        this.wake(wait);
        break;
      }
      const [next] = this.ready.splice(index, 1);
      if (decision === 'probe' && next.due.attempt !== 0) this.setCircuit({ ...this.circuit, state: 'half-open' });
      this.send(next);
    }
    if (this.circuit.state !== 'closed' && this.sending === 0) {
      // Held: what is not in flight goes back to the queue; the probe is fetched when due.
      this.dropReady();
    }
    const waiting = this.held.size - this.recording;
    const room = this.fetchTarget() - waiting;
    const mayFetch = this.circuit.state === 'closed' || admits(this.circuit, this.sending, now) === 'probe' || this.manualMayWait;
    const backingOff = now.getTime() < this.retryAt;
    if (backingOff) {
      this.wake(this.retryAt - now.getTime());
      return;
    }
    // Refill in batches: once half the target is free, or when little is left to send.
    const refill = room >= this.fetchTarget() / 2 || waiting <= Math.ceil(this.maxInFlight / 2);
    if (!this.fetching && room > 0 && refill && mayFetch && (!this.exhausted || this.manualMayWait)) {
      void this.fetch(room);
      return;
    }
    if (this.held.size === 0 && !this.fetching) {
      // Nothing due that it may send: give the endpoint up until its next due attempt or probe.
      this.end('release');
      return;
    }
    if (this.exhausted && !this.fetching && this.sending > 0 && room > 0 && this.circuit.state === 'closed') {
      this.wake(REFILL_POLL_MS, () => (this.exhausted = false));
    }
  }

  private fetchTarget(): number {
    if (this.circuit.state !== 'closed') return 1;
    return Math.min(256, this.maxInFlight * 2);
  }

  private async fetch(room: number): Promise<void> {
    this.fetching = true;
    const manual = this.manualMayWait ? MANUAL_BATCH : 0;
    this.manualMayWait = false;
    const scheduled = this.circuit.state === 'closed' || admits(this.circuit, this.sending, new Date()) === 'probe' ? room : 0;
    try {
      queueFetches.inc();
      const { endpoint, due } = await this.ctx.repository.fetchDue(this.endpoint.id, [...this.held.keys()], { manual, scheduled, after: this.cursor });
      this.retryMs = 0;
      this.retryAt = 0;
      if (!endpoint) return this.end('release');
      this.adopt(endpoint);
      if (endpoint.deleted || !endpoint.enabled) return this.end('disabled');
      if (scheduled > 0) {
        const got = due.filter((d) => d.attempt > 0);
        this.exhausted = got.length < scheduled;
        // Go on after the last one while batches come back full; once the queue looked empty,
        // start from its beginning again (a publish may commit an earlier due time late).
        const last = got[got.length - 1];
        this.cursor = this.exhausted || !last ? null : { dueAt: last.due_at, deliveryId: last.delivery_id };
      }
      for (const item of due) {
        // A delivery with a manual and a scheduled attempt due makes one at a time.
        if (this.held.has(item.delivery_id)) continue;
        this.held.set(item.delivery_id, item);
        void this.prepare(item, this.order++);
      }
    } catch (error) {
      this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
      this.retryAt = Date.now() + this.retryMs;
      this.manualMayWait ||= manual > 0;
      this.logger.warn({ endpointId: this.endpoint.id, error: firstLine(error), retryInMs: this.retryMs }, 'could not fetch due deliveries; retrying');
    } finally {
      this.fetching = false;
      this.pump();
    }
  }

  /**
   * The endpoint as the API left it: URL, secrets, limits. The circuit is this driver's own,
   * but the API may close it (enabling the endpoint clears its failure history): a closed one in
   * the database, while every save of ours has committed, is taken.
   */
  private adopt(endpoint: EndpointState): void {
    this.endpoint = endpoint;
    if (endpoint.circuit_state === 'closed' && this.circuit.state !== 'closed' && this.savedCircuit !== 'closed' && this.savesPending === 0) {
      this.circuit = circuitOf(endpoint);
      this.savedCircuit = 'closed';
    }
  }

  private async prepare(due: DueAttempt, order: number): Promise<void> {
    try {
      if (due.attempt > 0 && due.status !== 'pending') {
        // A scheduled attempt of a delivery that ended meanwhile: nothing to send.
        await this.ctx.repository.endOne(due.delivery_id, due.attempt);
        this.held.delete(due.delivery_id);
        return;
      }
      const prepared = await this.ctx.attempts.prepare(this.endpoint, due);
      if (!prepared) {
        await this.ctx.repository.endOne(due.delivery_id, due.attempt);
        this.held.delete(due.delivery_id);
        return;
      }
      if (this.ending !== 'no' || !this.held.has(due.delivery_id)) {
        this.held.delete(due.delivery_id);
        return;
      }
      const at = this.ready.findIndex((r) => r.order > order);
      this.ready.splice(at < 0 ? this.ready.length : at, 0, { due, prepared, order });
    } catch (error) {
      // It stays queued: a later fetch gets it again (from the start of the queue).
      this.held.delete(due.delivery_id);
      this.cursor = null;
      this.logger.warn({ endpointId: this.endpoint.id, deliveryId: due.delivery_id, error: firstLine(error) }, 'could not prepare an attempt');
    } finally {
      this.pump();
    }
  }

  private send(item: Ready): void {
    this.sending++;
    this.sendTimes.push(Date.now());
    const endpoint = this.endpoint;
    let record: AttemptRecord | null = null;
    // The pool slot and the maxInFlight slot are the HTTP attempt's only: both free before the record is written.
    void this.ctx.pool.submit(endpoint.tenant_id, endpoint.id, async () => {
      try {
        if (!this.ctx.cancel.aborted) record = await this.ctx.attempts.attempt(endpoint, item.due, item.prepared, this.ctx.cancel);
      } finally {
        this.sending--;
      }
    }).then(async () => {
      if (!record) {
        this.held.delete(item.due.delivery_id);
        return this.pump();
      }
      this.afterAttempt(record);
      const recorded = this.record(record);
      this.pump();
      await recorded;
      this.pump();
    });
  }

  private afterAttempt(record: AttemptRecord): void {
    if (record.outcome === 'gone') {
      this.end('disabled');
      return;
    }
    const next = afterAttempt(this.circuit, healthOf(record.responseStatus, record.error), new Date(), this.ctx.retryScheduleMs, jitter(this.ctx.retryJitter));
    if (next === this.circuit) return;
    const was = this.circuit.state;
    if (next.state !== was || next.nextProbeAt?.getTime() !== this.circuit.nextProbeAt?.getTime()) {
      if (next.state === 'open' && was === 'closed') {
        circuitOpenings.inc();
        this.logger.log({ endpointId: this.endpoint.id, nextProbeAt: next.nextProbeAt?.toISOString() }, 'circuit opened: holding deliveries until the probe');
      } else if (next.state === 'closed') {
        this.logger.log({ endpointId: this.endpoint.id }, 'circuit closed: the endpoint answers again');
      }
      this.setCircuit(next);
    } else {
      this.circuit = next; // only the failure count moved: kept in memory
    }
  }

  private async record(record: AttemptRecord): Promise<void> {
    this.recording++;
    try {
      const result = await this.ctx.recorder.record(record);
      if (result.endpointDisabled) this.end('disabled');
    } catch {
      // Not recorded (the recorder logged why): it is still queued and will be made again.
      this.cursor = null;
    } finally {
      this.recording--;
      this.held.delete(record.deliveryId);
      // Publishes to an endpoint being drained wake no job: the driver looks again as work completes.
      this.exhausted = false;
    }
  }

  /** Saves go out one after the other, so the last state is the one that stays. */
  private setCircuit(next: Circuit): void {
    this.circuit = next;
    this.cursor = null; // a probe is the oldest due attempt
    this.savedCircuit = next.state;
    this.savesPending++;
    this.saves = this.saves
      .then(() => this.ctx.repository.saveCircuit(this.endpoint.id, next))
      .catch((error: unknown) => this.logger.warn({ endpointId: this.endpoint.id, error: firstLine(error) }, 'could not save the circuit state'))
      .finally(() => this.savesPending--);
  }

  /** Milliseconds until the rate limit lets one more attempt start (sliding one-second window). */
  private rateWaitMs(now: number): number {
    const limit = this.endpoint.rate_limit_per_second;
    while (this.sendTimes.length > 0 && this.sendTimes[0] <= now - 1000) this.sendTimes.shift();
    if (limit === null || this.sendTimes.length < limit) return 0;
    return this.sendTimes[this.sendTimes.length - limit] + 1000 - now;
  }

  /** Pumps again in `ms` (the earliest of every wake asked for wins); `before` runs first. */
  private wake(ms: number, before?: () => void): void {
    const at = Date.now() + Math.max(1, ms);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      before?.();
      this.pump();
    }, at - Date.now());
  }

  /** What was fetched but not sent goes back to the queue, before the cursor: the next scan starts over. */
  private dropReady(): void {
    if (this.ready.length > 0) this.cursor = null;
    for (const r of this.ready) this.held.delete(r.due.delivery_id);
    this.ready = [];
  }

  private end(how: 'release' | 'lost' | 'disabled'): void {
    if (this.ending === 'no') this.ending = how;
    this.dropReady();
    this.maybeFinish();
  }

  private finishing = false;

  private maybeFinish(): void {
    if (this.finishing || this.sending > 0 || this.fetching) return;
    // Attempts still being prepared or recorded are waited for: their outcome must be in the log.
    const recording = [...this.held.values()].length;
    if (recording > 0) return;
    this.finishing = true;
    if (this.timer) clearTimeout(this.timer);
    void this.finish().finally(() => {
      this.onDone(this);
      this.settle();
    });
  }

  private async finish(): Promise<void> {
    await this.saves;
    if (this.ending === 'lost') return;
    try {
      if (this.ending === 'disabled') {
        const status = this.endpoint.deleted ? 'cancelled' : 'failed';
        while ((await this.ctx.repository.endQueued(this.endpoint.id, status, END_BATCH)) === END_BATCH) { /* next batch */ }
      }
      const probe = this.circuit.state === 'closed' ? null : this.circuit.nextProbeAt;
      const now = Date.now();
      const window = this.endpoint.rate_limit_per_second === null ? null : this.sendTimes.filter((t) => t > now - 1000).map((t) => new Date(t));
      await this.ctx.repository.release(this.endpoint.id, this.ctx.owner, probe, window);
    } catch (error) {
      // The lease runs out by itself (WORKER_DEAD_AFTER) and a live process then takes the endpoint over.
      this.logger.warn({ endpointId: this.endpoint.id, error: firstLine(error) }, 'could not release the endpoint; its lease will expire');
    }
  }
}

function circuitOf(endpoint: EndpointState): Circuit {
  return {
    // Half-open means "our probe is in flight": a driver that starts has none, so its probe is due.
    state: endpoint.circuit_state === 'half-open' ? 'open' : endpoint.circuit_state,
    openedAt: endpoint.circuit_opened_at,
    nextProbeAt: endpoint.circuit_next_probe_at,
    failures: endpoint.circuit_failures,
    step: endpoint.circuit_step,
  };
}

function jitter(spread: number): () => number {
  return () => 1 - spread + 2 * spread * Math.random();
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0].slice(0, 200);
}
