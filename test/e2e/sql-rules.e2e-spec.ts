import type { Pool, PoolClient } from 'pg';
import { deliveryIdSql, idAtOrAfter, newId } from '../../src/common/ids';
import { loadConfig } from '../../src/config/config';
import { Db } from '../../src/database/db';
import { EventsRepository } from '../../src/events/events.repository';
import { CLOSED, type Circuit } from '../../src/worker/circuit';
import { attemptKey, type AttemptRecord, WorkerRepository } from '../../src/worker/worker.repository';
import { createTestDatabase, type TestDatabase } from '../support/database';

// The rules PostgreSQL really enforces, run through the repository statements that use them.
let db: TestDatabase;
let events: EventsRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  events = new EventsRepository(new Db(db.pool));
});
afterAll(async () => {
  await db.drop();
});

async function tenantWithEndpoint(eventTypes: string[]): Promise<{ tenantId: string; endpointId: string }> {
  const tenantId = newId('ten');
  const endpointId = newId('ep');
  await db.pool.query(`insert into tenants (id, name) values ($1, 't')`, [tenantId]);
  await db.pool.query(`insert into endpoints (id, tenant_id, url, event_types, secret) values ($1, $2, 'http://127.0.0.1:9/', $3, 'whsec_x')`, [
    endpointId, tenantId, eventTypes,
  ]);
  return { tenantId, endpointId };
}

async function deliveriesFor(tenantId: string, type: string): Promise<number> {
  const id = newId('evt');
  const outcomes = await events.publishBatch([{ id, tenantId, type, dataJson: '{}', idempotencyKey: null, summary: null }]);
  return outcomes.get(id)?.deliveries ?? -1;
}

describe('event-type match in the publish statement', () => {
  it.each([
    [[], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid.late', false],
    [['invoice.paid'], 'Invoice.paid', false],
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.line.added', true],
    [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], 'invoice', false],
    [['*'], 'anything', true],
    [['user.created', 'invoice.*'], 'user.created', true],
    [['user.created', 'invoice.*'], 'user.deleted', false],
    [['in_voice.*'], 'in_voice.x', true],
    [['in%.*'], 'invoice.x', false],
  ])('%j vs %s -> %s', async (filters, type, expected) => {
    const { tenantId } = await tenantWithEndpoint(filters);
    expect(await deliveriesFor(tenantId, type)).toBe(expected ? 1 : 0);
  });

  it('skips disabled and deleted endpoints', async () => {
    const { tenantId, endpointId } = await tenantWithEndpoint([]);
    await db.pool.query(`update endpoints set enabled = false where id = $1`, [endpointId]);
    expect(await deliveriesFor(tenantId, 'a.b')).toBe(0);
    await db.pool.query(`update endpoints set enabled = true, deleted_at = now() where id = $1`, [endpointId]);
    expect(await deliveriesFor(tenantId, 'a.b')).toBe(0);
  });
});

/*
 * An endpoint's verdict after attempts is the RECORD_SQL statement's (WorkerRepository.recordBatch):
 * failing_since starts at the first failure and is cleared by any success; an endpoint failing
 * for longer than ENDPOINT_DISABLE_AFTER, or answered 410, is disabled. (The circuit, by
 * contrast, is decided in TypeScript, src/worker/circuit.ts, and only stored here.) Each case
 * runs in one transaction, so now() is one instant for the setup and the statement, and
 * "exactly at the threshold" is exact.
 */
const DISABLE_AFTER_MS = 60_000;

interface Instant {
  repo: WorkerRepository;
  client: PoolClient;
  /** A queued delivery (attempt 1) of a new event to `endpointId`. */
  queued(tenantId: string, endpointId: string): Promise<{ deliveryId: string; endpointId: string }>;
  endpoint(endpointId: string): Promise<{ enabled: boolean; disabled_reason: string | null; failing_since: Date | null }>;
  now(): Promise<Date>;
}

async function atOneInstant(fn: (at: Instant) => Promise<void>): Promise<void> {
  await new Db(db.pool).transaction(async (client) => {
    // The repositories' statements go to this one connection, inside the open transaction.
    const onClient = new Db({ query: client.query.bind(client) } as unknown as Pool);
    const publisher = new EventsRepository(onClient);
    await fn({
      repo: new WorkerRepository(onClient),
      client,
      async queued(tenantId, endpointId) {
        const eventId = newId('evt');
        await publisher.publishBatch([{ id: eventId, tenantId, type: 'a.b', dataJson: '{}', idempotencyKey: null, summary: null, onlyEndpointId: endpointId }]);
        const { rows } = await client.query<{ id: string }>(
          `select d.id from deliveries d join delivery_queue q on q.delivery_id = d.id and q.attempt = 1 where d.event_id = $1 and d.endpoint_id = $2`,
          [eventId, endpointId]);
        expect(rows).toHaveLength(1);
        return { deliveryId: rows[0].id, endpointId };
      },
      async endpoint(endpointId) {
        const { rows } = await client.query(`select enabled, disabled_reason, failing_since from endpoints where id = $1`, [endpointId]);
        return rows[0];
      },
      async now() {
        return (await client.query<{ now: Date }>('select now()')).rows[0].now;
      },
    });
  });
}

type Outcome = 'ok' | 'fail' | 'gone';

function attempt(q: { deliveryId: string; endpointId: string }, outcome: Outcome): AttemptRecord {
  const status = { ok: 200, fail: 503, gone: 410 }[outcome];
  return {
    deliveryId: q.deliveryId, queueAttempt: 1, endpointId: q.endpointId, attemptId: newId('att'), trigger: 'scheduled',
    startedAt: new Date(), durationMs: 3, requestUrl: 'http://127.0.0.1:9/', responseStatus: status, responseBody: null,
    responseBodyEncoding: null, responseBodyTruncated: false, error: null, requestHeaders: null,
    newStatus: outcome === 'fail' ? 'pending' : outcome === 'ok' ? 'succeeded' : 'failed',
    nextAttemptAt: outcome === 'fail' ? new Date(Date.now() + 60_000) : null, outcome,
  };
}

/** Records one attempt per outcome, each of a new delivery to the endpoint, in one batch. */
async function record(at: Instant, tenantId: string, endpointId: string, ...outcomes: Outcome[]) {
  const records: AttemptRecord[] = [];
  for (const outcome of outcomes) records.push(attempt(await at.queued(tenantId, endpointId), outcome));
  const result = await at.repo.recordBatch(records, DISABLE_AFTER_MS);
  expect([...result.recorded].sort()).toEqual(records.map((r) => attemptKey(r.deliveryId, r.queueAttempt)).sort());
  return result;
}

const ago = (at: Instant, endpointId: string, ms: number) =>
  at.client.query(`update endpoints set failing_since = now() - $2::bigint * interval '1 millisecond' where id = $1`, [endpointId, ms]);

describe('endpoint verdicts in the record statement', () => {
  it('starts failing_since at the first failure and keeps it through the next ones', async () => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      expect((await record(at, tenantId, endpointId, 'fail')).disabled.size).toBe(0);
      const now = await at.now();
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: now });
      await ago(at, endpointId, 1_000);
      const since = (await at.endpoint(endpointId)).failing_since;
      await record(at, tenantId, endpointId, 'fail', 'fail');
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: since });
    });
  });

  it('clears failing_since on a success, so the next failure starts the clock again', async () => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      await ago(at, endpointId, DISABLE_AFTER_MS - 1);
      await record(at, tenantId, endpointId, 'ok');
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: null });
      await record(at, tenantId, endpointId, 'fail');
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: await at.now() });
    });
  });

  it('counts a batch with any success as healthy, even past the threshold', async () => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      await ago(at, endpointId, DISABLE_AFTER_MS * 10);
      expect((await record(at, tenantId, endpointId, 'fail', 'ok', 'fail')).disabled.size).toBe(0);
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: null });
    });
  });

  it('keeps an endpoint failing for exactly ENDPOINT_DISABLE_AFTER enabled, and disables it one millisecond later ("failing")', async () => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      await ago(at, endpointId, DISABLE_AFTER_MS);
      expect((await record(at, tenantId, endpointId, 'fail')).disabled.size).toBe(0);
      expect(await at.endpoint(endpointId)).toMatchObject({ enabled: true, disabled_reason: null });

      await ago(at, endpointId, DISABLE_AFTER_MS + 1);
      const since = (await at.endpoint(endpointId)).failing_since;
      expect((await record(at, tenantId, endpointId, 'fail')).disabled).toEqual(new Set([endpointId]));
      expect(await at.endpoint(endpointId)).toEqual({ enabled: false, disabled_reason: 'failing', failing_since: since });
    });
  });

  it('disables an endpoint at its first 410 ("gone"), even in a batch with a success', async () => {
    await atOneInstant(async (at) => {
      const first = await tenantWithEndpoint([]);
      expect((await record(at, first.tenantId, first.endpointId, 'gone')).disabled).toEqual(new Set([first.endpointId]));
      expect(await at.endpoint(first.endpointId)).toMatchObject({ enabled: false, disabled_reason: 'gone' });

      const mixed = await tenantWithEndpoint([]);
      expect((await record(at, mixed.tenantId, mixed.endpointId, 'ok', 'gone')).disabled).toEqual(new Set([mixed.endpointId]));
      expect(await at.endpoint(mixed.endpointId)).toEqual({ enabled: false, disabled_reason: 'gone', failing_since: null });
    });
  });

  it('gives each endpoint of a batch its own verdict', async () => {
    await atOneInstant(async (at) => {
      const gone = await tenantWithEndpoint([]);
      const healthy = await tenantWithEndpoint([]);
      const failing = await tenantWithEndpoint([]);
      await ago(at, healthy.endpointId, DISABLE_AFTER_MS * 2);
      const records = [
        attempt(await at.queued(gone.tenantId, gone.endpointId), 'gone'),
        attempt(await at.queued(healthy.tenantId, healthy.endpointId), 'ok'),
        attempt(await at.queued(failing.tenantId, failing.endpointId), 'fail'),
      ];
      expect((await at.repo.recordBatch(records, DISABLE_AFTER_MS)).disabled).toEqual(new Set([gone.endpointId]));
      expect(await at.endpoint(gone.endpointId)).toMatchObject({ enabled: false, disabled_reason: 'gone' });
      expect(await at.endpoint(healthy.endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: null });
      expect(await at.endpoint(failing.endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: await at.now() });
    });
  });

  it.each(['manual', 'failing', 'gone'])('keeps an endpoint disabled (%s) disabled, with its reason, whatever its attempts answer', async (reason) => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      // Attempts that were in flight when it was disabled are still recorded.
      const inFlight = [await at.queued(tenantId, endpointId), await at.queued(tenantId, endpointId), await at.queued(tenantId, endpointId)];
      await at.client.query(`update endpoints set enabled = false, disabled_reason = $2 where id = $1`, [endpointId, reason]);
      await ago(at, endpointId, DISABLE_AFTER_MS * 2);

      await at.repo.recordBatch([attempt(inFlight[0], 'fail')], DISABLE_AFTER_MS);
      expect(await at.endpoint(endpointId)).toMatchObject({ enabled: false, disabled_reason: reason });
      await at.repo.recordBatch([attempt(inFlight[1], 'ok')], DISABLE_AFTER_MS);
      expect(await at.endpoint(endpointId)).toEqual({ enabled: false, disabled_reason: reason, failing_since: null });
      await at.repo.recordBatch([attempt(inFlight[2], 'gone')], DISABLE_AFTER_MS);
      expect(await at.endpoint(endpointId)).toMatchObject({ enabled: false, disabled_reason: reason });
    });
  });

  it('changes nothing for an attempt whose queue row is gone (recorded by another owner already)', async () => {
    await atOneInstant(async (at) => {
      const { tenantId, endpointId } = await tenantWithEndpoint([]);
      const q = await at.queued(tenantId, endpointId);
      await at.client.query(`delete from delivery_queue where delivery_id = $1`, [q.deliveryId]);
      const result = await at.repo.recordBatch([attempt(q, 'gone')], DISABLE_AFTER_MS);
      expect(result).toEqual({ recorded: new Set(), disabled: new Set() });
      expect(await at.endpoint(endpointId)).toEqual({ enabled: true, disabled_reason: null, failing_since: null });
      expect((await at.client.query(`select count(*)::int as n from attempts where delivery_id = $1`, [q.deliveryId])).rows[0].n).toBe(0);
    });
  });
});

describe('the circuit as stored', () => {
  it('is read back by the next owner as the driver saved it, and closed again once saved closed', async () => {
    const { endpointId } = await tenantWithEndpoint([]);
    const repo = new WorkerRepository(new Db(db.pool));
    const open: Circuit = { state: 'open', openedAt: new Date('2026-12-01T10:00:00Z'), nextProbeAt: new Date('2026-12-01T10:01:05Z'), failures: 6, step: 1 };
    await repo.saveCircuit(endpointId, open);
    const read = await repo.acquire(endpointId, 'owner-a', 10_000);
    expect(read).toMatchObject({ circuit_state: 'open', circuit_opened_at: open.openedAt, circuit_next_probe_at: open.nextProbeAt, circuit_failures: 6, circuit_step: 1 });
    await repo.saveCircuit(endpointId, CLOSED);
    await repo.release(endpointId, 'owner-a', null);
    expect(await repo.acquire(endpointId, 'owner-b', 10_000)).toMatchObject({
      circuit_state: 'closed', circuit_opened_at: null, circuit_next_probe_at: null, circuit_failures: 0, circuit_step: 0,
    });
  });
});

describe('delivery ids made in SQL from the event id (deliveryIdSql)', () => {
  it('keep the event time, are unique per index and sort like the index, in the id layout', async () => {
    const eventId = newId('evt');
    const { rows } = await db.pool.query<{ id: string }>(
      `select ${deliveryIdSql('$1::text', 'n')} as id from generate_series(0, 1499) n order by n`, [eventId]);
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(1500);
    expect([...ids].sort()).toEqual(ids);
    for (const id of [ids[0], ids[1499]]) expect(id).toMatch(/^dlv_[0-9a-hjkmnp-tv-z]{26}$/);
    expect(ids[0].slice(4, 14)).toBe(eventId.slice(4, 14));
    expect(ids[0].slice(14, 27)).toBe(eventId.slice(-13));
    // an id's time is the event's: the log's time bounds find it
    expect(ids[0] >= idAtOrAfter('dlv', new Date(Date.now() - 60_000))).toBe(true);
  });

  it('cover every endpoint a tenant may have: MAX_ENDPOINTS_PER_TENANT stops at 32,768, the last index that is unique', async () => {
    const { rows } = await db.pool.query<{ a: string; b: string }>(
      `select ${deliveryIdSql('$1::text', '32766')} as a, ${deliveryIdSql('$1::text', '32767')} as b`, [newId('evt')]);
    expect(rows[0].a < rows[0].b).toBe(true);
    expect(loadConfig({ MAX_ENDPOINTS_PER_TENANT: '32768' }).maxEndpointsPerTenant).toBe(32768);
    expect(() => loadConfig({ MAX_ENDPOINTS_PER_TENANT: '32769' })).toThrow(/MAX_ENDPOINTS_PER_TENANT/);
  });

  it('differ between events made in the same millisecond', async () => {
    const a = newId('evt');
    const b = newId('evt');
    const { rows } = await db.pool.query<{ a: string; b: string }>(`select ${deliveryIdSql('$1::text', '0')} as a, ${deliveryIdSql('$2::text', '0')} as b`, [a, b]);
    expect(rows[0].a).not.toBe(rows[0].b);
  });
});
