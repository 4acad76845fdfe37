import { Injectable } from '@nestjs/common';
import { isDatabaseUnavailable } from '../common/domain-error.filter';
import { InvalidInputError } from '../common/errors';
import { EventsRepository, PublishOutcome, PublishRequest } from './events.repository';

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 3;

/** The requests of one HTTP call: they commit together, in one statement. */
interface Waiter {
  requests: PublishRequest[];
  resolve: (outcomes: PublishOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for publishes. graphile-worker's add_jobs NOTIFYs, and PostgreSQL serialises
 * the commits of notifying transactions, so one transaction per request caps publishes at
 * one commit each. Requests that arrive while earlier batches are committing are written
 * together by one statement; at low load a batch holds one request and waits for nothing.
 * Each request is answered only after the statement holding it committed.
 */
@Injectable()
export class PublishBatcher {
  private queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly events: EventsRepository) {}

  /** All or nothing: the requests are written by one statement. Their idempotency keys must differ. */
  submitAll(requests: PublishRequest[]): Promise<PublishOutcome[]> {
    return new Promise<PublishOutcome[]>((resolve, reject) => {
      this.queue.push({ requests, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.takeBatch();
      this.inFlight++;
      // write() settles every waiter itself and never rejects
      void this.write(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  /**
   * Batching is an optimisation, never a change of meaning: when the grouped statement fails
   * for anything but an unreachable database, each request is written again on its own, so
   * only the culprit gets the error.
   */
  private async write(batch: Waiter[]): Promise<void> {
    try {
      const outcomes = await withConflictRetries(() => this.events.publishBatch(batch.flatMap((w) => w.requests)));
      batch.forEach((w) => w.resolve(w.requests.map((r) => outcomes.get(r.id)!)));
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) {
        batch.forEach((w) => w.reject(asRequestError(error)));
        return;
      }
      await Promise.all(batch.map(async (w) => {
        try {
          const outcomes = await withConflictRetries(() => this.events.publishBatch(w.requests));
          w.resolve(w.requests.map((r) => outcomes.get(r.id)!));
        } catch (own) {
          w.reject(asRequestError(own));
        }
      }));
    }
  }

  /** One statement may not upsert one idempotency key twice: a repeat waits for the next batch. */
  private takeBatch(): Waiter[] {
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    const keys = new Set<string>();
    let size = 0;
    for (const waiter of this.queue) {
      const waiterKeys = waiter.requests
        .filter((r) => r.idempotencyKey !== null)
        .map((r) => `${r.tenantId}\u0000${r.idempotencyKey}`);
      const fits = batch.length === 0 || size + waiter.requests.length <= MAX_BATCH;
      if (!fits || waiterKeys.some((k) => keys.has(k))) {
        rest.push(waiter);
        continue;
      }
      waiterKeys.forEach((k) => keys.add(k));
      size += waiter.requests.length;
      batch.push(waiter);
    }
    this.queue = rest;
    return batch;
  }
}

/** PostgreSQL's data exceptions (class 22) and program limits (54: nesting too deep) are the request's fault: a 400. */
function asRequestError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'))) {
    const message = error instanceof Error ? error.message.slice(0, 200) : 'invalid value';
    return new InvalidInputError('data', `was refused by the database: ${message}`);
  }
  return error;
}

/**
 * A deadlock or serialization failure wrote nothing, and the same statement succeeds when run
 * again: a few retries, so the caller sees a 503 only when the conflict persists.
 */
async function withConflictRetries<T>(write: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= attempts || (code !== '40P01' && code !== '40001')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
    }
  }
}
