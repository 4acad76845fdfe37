import { Injectable } from '@nestjs/common';
import { EventsRepository, PublishOutcome, PublishRequest } from './events.repository';

const MAX_BATCH = 500;
const MAX_IN_FLIGHT = 3;

interface Waiter {
  request: PublishRequest;
  resolve: (outcome: PublishOutcome) => void;
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

  submit(request: PublishRequest): Promise<PublishOutcome> {
    return new Promise<PublishOutcome>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
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
      this.events.publishBatch(batch.map((w) => w.request)).then(
        (outcomes) => batch.forEach((w) => w.resolve(outcomes.get(w.request.id)!)),
        (error: unknown) => batch.forEach((w) => w.reject(error)),
      ).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  /** One statement may not upsert one idempotency key twice: a repeat waits for the next batch. */
  private takeBatch(): Waiter[] {
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    const keys = new Set<string>();
    for (const waiter of this.queue) {
      const { tenantId, idempotencyKey } = waiter.request;
      const key = idempotencyKey === null ? null : `${tenantId}\u0000${idempotencyKey}`;
      if (batch.length >= MAX_BATCH || (key !== null && keys.has(key))) {
        rest.push(waiter);
        continue;
      }
      if (key !== null) keys.add(key);
      batch.push(waiter);
    }
    this.queue = rest;
    return batch;
  }
}
