import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface PublishOutcome {
  sent: number;
  accepted: number;
  non2xx: number;
  networkErrors: number;
  statusCounts: Record<string, number>;
  errorSamples: string[];
  /** Date.now() just before the first request was sent. */
  firstSendAt: number;
  lastResponseAt: number;
  /** event id -> Date.now() taken just before its publish request was sent. */
  publishedAt: Map<string, number>;
  /** Sum of the `deliveries` field of the 202 answers. */
  expectedDeliveries: number;
  /** Publish request round trips in ms. */
  responseMs: number[];
  /** Steady mode: sends that went out more than 5 ms after their slot. */
  lateSends: number;
}

function newOutcome(): PublishOutcome {
  return {
    sent: 0, accepted: 0, non2xx: 0, networkErrors: 0, statusCounts: {}, errorSamples: [], firstSendAt: 0, lastResponseAt: 0,
    publishedAt: new Map(), expectedDeliveries: 0, responseMs: [], lateSends: 0,
  };
}

/** A realistic event body (~400 bytes), a little different per event. */
export function eventBody(i: number): string {
  return JSON.stringify({
    type: 'invoice.paid',
    data: {
      invoiceId: `in_${i.toString(36).padStart(8, '0')}`,
      customerId: `cus_${(i * 7919).toString(36)}`,
      customerName: 'Ada Lovelace Ltd',
      amount: 1000 + (i % 9000),
      currency: 'EUR',
      status: 'paid',
      paidAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      lines: [
        { sku: 'plan-pro', quantity: 1, unitAmount: 4200 },
        { sku: 'seats', quantity: 1 + (i % 20), unitAmount: 800 },
      ],
      metadata: { orderRef: `ord-${i}`, channel: 'web' },
    },
  });
}

interface AcceptedEvent {
  id: string;
  deliveries: number;
}

export class Publisher {
  private counter = 0;

  constructor(private readonly pool: Pool, private readonly token: string) {}

  private async publishOne(path: string, out: PublishOutcome): Promise<void> {
    await this.post(path, eventBody(this.counter++), 1, out, (text) => [JSON.parse(text) as AcceptedEvent]);
  }

  /** One POST /events/batch of `size` events. */
  private async publishBatch(path: string, size: number, out: PublishOutcome): Promise<void> {
    const events = Array.from({ length: size }, () => JSON.parse(eventBody(this.counter++)) as unknown);
    await this.post(path, JSON.stringify({ events }), size, out, (text) => (JSON.parse(text) as { data: AcceptedEvent[] }).data);
  }

  /** Sends one publish request carrying `events` events and books its outcome. */
  private async post(path: string, body: string, events: number, out: PublishOutcome, accepted: (text: string) => AcceptedEvent[]): Promise<void> {
    const t0 = Date.now();
    if (out.firstSendAt === 0) out.firstSendAt = t0;
    out.sent += events;
    try {
      const res = await this.pool.request({
        path,
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body,
      });
      const text = await res.body.text();
      const t1 = Date.now();
      out.lastResponseAt = t1;
      out.responseMs.push(t1 - t0);
      out.statusCounts[res.statusCode] = (out.statusCounts[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        for (const event of accepted(text)) {
          out.accepted++;
          out.expectedDeliveries += event.deliveries;
          out.publishedAt.set(event.id, t0);
        }
      } else {
        out.non2xx++;
        if (out.errorSamples.length < 5) out.errorSamples.push(`${res.statusCode} ${text.slice(0, 300)}`);
      }
    } catch (error) {
      out.lastResponseAt = Date.now();
      out.networkErrors++;
      if (out.errorSamples.length < 5) out.errorSamples.push(error instanceof Error ? error.message : String(error));
    }
  }

  /** `count` events in batches of `size` (POST /events/batch), `concurrency` requests in flight. */
  async burstBatches(path: string, count: number, size: number, concurrency: number, maxMs: number): Promise<PublishOutcome> {
    const out = newOutcome();
    const deadline = Date.now() + maxMs;
    let next = 0;
    const lane = async () => {
      while (next < count && Date.now() < deadline) {
        const n = Math.min(size, count - next);
        next += n;
        await this.publishBatch(path, n, out);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return out;
  }

  /** `count` publishes, `concurrency` in flight, as fast as the API answers; stops early at `maxMs`. */
  async burst(path: string, count: number, concurrency: number, maxMs: number): Promise<PublishOutcome> {
    const out = newOutcome();
    const deadline = Date.now() + maxMs;
    let next = 0;
    const lane = async () => {
      while (next < count && Date.now() < deadline) {
        next++;
        await this.publishOne(path, out);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return out;
  }

  /** Open loop: one publish every 1/rate s for `seconds`, whatever the answers; at most `maxInFlight` outstanding. */
  async steady(path: string, ratePerSec: number, seconds: number, maxInFlight: number): Promise<PublishOutcome> {
    const out = newOutcome();
    const total = Math.max(1, Math.round(ratePerSec * seconds));
    const intervalMs = 1000 / ratePerSec;
    const start = Date.now();
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < total; i++) {
      const due = start + i * intervalMs;
      let now = Date.now();
      if (due > now) {
        await sleep(due - now);
        now = Date.now();
      }
      if (now - due > 5) out.lateSends++;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const p = this.publishOne(path, out).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    return out;
  }
}

export interface RawHttpResult {
  requests: number;
  ms: number;
  perSec: number;
  non2xx: number;
  errors: number;
  bodyBytes: number;
  concurrency: number;
  connections: number;
  responseMs: number[];
}

/**
 * Raw limit (a): plain POSTs to the receiver with a delivery's exact headers and body, with the
 * worker's concurrency and the delivery sender's connections per origin (undici, keep-alive).
 */
export async function rawHttp(origin: string, path: string, headers: Record<string, string>, body: string, concurrency: number, connections: number, warmupMs: number, measureMs: number): Promise<RawHttpResult> {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  let measuring = false;
  let stop = false;
  const result: RawHttpResult = { requests: 0, ms: 0, perSec: 0, non2xx: 0, errors: 0, bodyBytes: Buffer.byteLength(body), concurrency, connections, responseMs: [] };
  const lane = async () => {
    while (!stop) {
      const t0 = Date.now();
      try {
        const res = await pool.request({ path, method: 'POST', headers, body });
        await res.body.dump();
        if (!measuring) continue;
        result.requests++;
        result.responseMs.push(Date.now() - t0);
        if (res.statusCode < 200 || res.statusCode >= 300) result.non2xx++;
      } catch {
        if (measuring) result.errors++;
      }
    }
  };
  const lanes = Array.from({ length: concurrency }, lane);
  await sleep(warmupMs);
  measuring = true;
  const started = Date.now();
  await sleep(measureMs);
  measuring = false;
  result.ms = Date.now() - started;
  stop = true;
  await Promise.all(lanes);
  await pool.close();
  result.perSec = Math.round((result.requests * 1000) / result.ms);
  return result;
}
