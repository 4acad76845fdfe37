import { createEndpoint, createTenant, publish, startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { createTestDatabase, TestDatabase } from '../support/database';
import { EventsRepository } from '../../src/events/events.repository';
import { Db } from '../../src/database/db';
import { newId } from '../../src/common/ids';

describe('publishing events', () => {
  let app: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    app = await startTestApp({ MAX_PAYLOAD_BYTES: '4096' });
    tenantId = await createTenant(app);
    // endpoints nobody listens on: these tests look at what publish writes, not at delivery
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/all' });
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/invoices', eventTypes: ['invoice.*'] });
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/paid', eventTypes: ['invoice.paid', 'user.created'] });
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/off', enabled: false });
  });
  afterAll(async () => app?.close());

  const events = `/v1/tenants/${'{t}'}/events`;
  const eventsPath = () => events.replace('{t}', tenantId);

  it('answers 202 with the number of matching enabled endpoints', async () => {
    const paid = await publish(app, tenantId, 'invoice.paid', { invoiceId: 'in_1' });
    expect(paid).toEqual({ id: expect.stringMatching(/^evt_[0-9a-z]{26}$/), type: 'invoice.paid', createdAt: expect.stringMatching(/Z$/), deliveries: 3 });
    expect((await publish(app, tenantId, 'invoice.voided', {})).deliveries).toBe(2);
    expect((await publish(app, tenantId, 'user.created', {})).deliveries).toBe(2);
    expect((await publish(app, tenantId, 'user.deleted', {})).deliveries).toBe(1);
    const done = await app.db.pool.query(`select count(*)::int as n from deliveries where event_id = $1`, [paid.id]);
    expect(done.rows[0].n).toBe(3);
    // every delivery got its job: each is attempted (these endpoints refuse connections)
    await waitFor(async () => {
      const r = await app.db.pool.query(`select count(distinct delivery_id)::int as n from attempts a join deliveries d on d.id = a.delivery_id where d.event_id = $1`, [paid.id]);
      return r.rows[0].n === 3;
    }, 10_000, 'an attempt for each delivery');
  });

  it('accepts many concurrent publishes, each with its own deliveries (ids made in one millisecond stay unique)', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => publish(app, tenantId, 'invoice.paid', { i })));
    expect(new Set(results.map((r) => r.id)).size).toBe(200);
    expect(results.every((r) => r.deliveries === 3)).toBe(true);
    const rows = await app.db.pool.query(`select count(*)::int as n from deliveries where event_id = any($1)`, [results.map((r) => r.id)]);
    expect(rows.rows[0].n).toBe(600);
  });

  it('keeps data exactly as published and reads it back with deliveries', async () => {
    const data = { zeta: 1, alpha: { nested: [3, 2, 1], 'key with space': null }, unicode: 'päid €' };
    const ev = await publish(app, tenantId, 'invoice.paid', data);
    const read = await app.request('GET', `${eventsPath()}/${ev.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: ev.id, type: 'invoice.paid', data, createdAt: ev.createdAt });
    expect(Object.keys(read.body.data)).toEqual(['zeta', 'alpha', 'unicode']);
    expect(read.body.deliveries).toHaveLength(3);
    expect(read.body.deliveries[0]).toMatchObject({ eventId: ev.id, status: expect.any(String), endpointId: expect.stringMatching(/^ep_/) });
    const stored = await app.db.pool.query(`select data::text as t from event_payloads where event_id = $1`, [ev.id]);
    expect(stored.rows[0].t).toBe(JSON.stringify(data));
  });

  it('keeps the exact text of data: integer-like keys stay in place, big numbers are not rounded', async () => {
    const raw = '{"type":"invoice.paid","data":{"b":1,"10":2,"amount":12345678901234567890,"ratio":1.50}}';
    const res = await app.request('POST', eventsPath(), { rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const stored = await app.db.pool.query(`select data::text as t from event_payloads where event_id = $1`, [res.body.id]);
    expect(stored.rows[0].t).toBe('{"b":1,"10":2,"amount":12345678901234567890,"ratio":1.50}');
  });

  it('filters and pages the event list', async () => {
    const other = await createTenant(app, 'filters');
    const ids: string[] = [];
    for (const type of ['a.one', 'b.two', 'a.one', 'a.one']) ids.push((await publish(app, other, type, {})).id);
    const res = await app.request('GET', `/v1/tenants/${other}/events?type=a.one&limit=2`);
    expect(res.body.data.map((e: { id: string }) => e.id)).toEqual([ids[3], ids[2]]);
    const next = await app.request('GET', `/v1/tenants/${other}/events?type=a.one&limit=2&cursor=${res.body.nextCursor}`);
    expect(next.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const future = await app.request('GET', `/v1/tenants/${other}/events?since=2999-01-01T00:00:00Z`);
    expect(future.body.data).toEqual([]);
    const past = await app.request('GET', `/v1/tenants/${other}/events?until=2000-01-01T00:00:00Z`);
    expect(past.body.data).toEqual([]);
    expect((await app.request('GET', `/v1/tenants/${other}/events?since=soon`)).status).toBe(400);
  });

  it('returns the first event for a repeated Idempotency-Key and creates no new deliveries', async () => {
    const first = await publish(app, tenantId, 'invoice.paid', { n: 1 }, { 'Idempotency-Key': 'order-1' });
    const again = await publish(app, tenantId, 'invoice.paid', { n: 2 }, { 'Idempotency-Key': 'order-1' });
    expect(again).toEqual(first);
    const rows = await app.db.pool.query(`select count(*)::int as n from deliveries where event_id = $1`, [first.id]);
    expect(rows.rows[0].n).toBe(3);
    // the same key in another tenant is another event
    const other = await createTenant(app, 'other');
    expect((await publish(app, other, 'invoice.paid', {}, { 'Idempotency-Key': 'order-1' })).id).not.toBe(first.id);
  });

  it('creates exactly one event when requests with one Idempotency-Key race', async () => {
    const before = await app.db.pool.query(`select count(*)::int as n from events`);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => publish(app, tenantId, 'invoice.paid', { race: true }, { 'Idempotency-Key': 'race-key' })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const after = await app.db.pool.query(`select count(*)::int as n from events`);
    expect(after.rows[0].n - before.rows[0].n).toBe(1);
    const deliveries = await app.db.pool.query(`select count(*)::int as n from deliveries where event_id = $1`, [results[0].id]);
    expect(deliveries.rows[0].n).toBe(3);
  });

  it('lets an Idempotency-Key be reused after 24 hours', async () => {
    const first = await publish(app, tenantId, 'invoice.paid', {}, { 'Idempotency-Key': 'old-key' });
    await app.db.pool.query(`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'old-key'`);
    const second = await publish(app, tenantId, 'invoice.paid', {}, { 'Idempotency-Key': 'old-key' });
    expect(second.id).not.toBe(first.id);
  });

  it('writes nothing when the transaction fails after the event insert', async () => {
    await app.db.pool.query(`
      create function fail_delivery_insert() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$;
      create trigger fail_deliveries before insert on deliveries for each row execute function fail_delivery_insert();`);
    const events = await app.db.pool.query(`select count(*)::int as n from events`);
    const keys = await app.db.pool.query(`select count(*)::int as n from idempotency_keys`);
    try {
      const res = await app.request('POST', eventsPath(), { body: { type: 'invoice.paid', data: {} }, headers: { 'Idempotency-Key': 'fails' } });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    } finally {
      await app.db.pool.query(`drop trigger fail_deliveries on deliveries; drop function fail_delivery_insert();`);
    }
    expect((await app.db.pool.query(`select count(*)::int as n from events`)).rows[0].n).toBe(events.rows[0].n);
    // nothing queued for deliveries that do not exist
    const orphans = await app.db.pool.query(
      `select count(*)::int as n from delivery_queue q where not exists (select 1 from deliveries d where d.id = q.delivery_id)`);
    expect(orphans.rows[0].n).toBe(0);
    expect((await app.db.pool.query(`select count(*)::int as n from idempotency_keys`)).rows[0].n).toBe(keys.rows[0].n);
    // and the same key works once the failure is gone
    expect((await publish(app, tenantId, 'invoice.paid', {}, { 'Idempotency-Key': 'fails' })).deliveries).toBe(3);
  });

  it('answers 413 for a body over MAX_PAYLOAD_BYTES', async () => {
    const res = await app.request('POST', eventsPath(), { body: { type: 'big', data: { blob: 'x'.repeat(5000) } } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ statusCode: 413 });
  });

  it.each([
    [{ data: {} }, 'type'],
    [{ type: 'ok' }, 'data'],
    [{ type: 'ok', data: [] }, 'data'],
    [{ type: 'ok', data: 'text' }, 'data'],
    [{ type: 'bad type', data: {} }, 'type'],
    [{ type: 'a..b', data: {} }, 'type'],
    [{ type: 'x'.repeat(129), data: {} }, 'type'],
    [{ type: 'ok', data: {}, extra: 1 }, 'extra'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await app.request('POST', eventsPath(), { body });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
  });

  it('refuses an over-long Idempotency-Key and an unknown tenant', async () => {
    const long = await app.request('POST', eventsPath(), { body: { type: 'a', data: {} }, headers: { 'Idempotency-Key': 'k'.repeat(256) } });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body.message)).toContain('Idempotency-Key');
    const unknown = await app.request('POST', '/v1/tenants/ten_01m8er2zwms2nxv1fsdsnb3bmz/events', { body: { type: 'a', data: {} } });
    expect(unknown.status).toBe(404);
  });
});

describe('the queue cost of a fan-out', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('queues one attempt per delivery and one drain job per endpoint, whatever the number of events', async () => {
    // no worker runs on this database, so the jobs stay to be counted
    await db.pool.query(`insert into tenants (id, name) values ('ten_01m8er2zwms2nxv1fsdsnb3bmz', 'fan')`);
    const endpoints: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = newId('ep');
      endpoints.push(id);
      await db.pool.query(`insert into endpoints (id, tenant_id, url, secret) values ($1, 'ten_01m8er2zwms2nxv1fsdsnb3bmz', 'https://example.com', 'whsec_x')`, [id]);
    }
    const repository = new EventsRepository(new Db(db.pool));
    const requests = Array.from({ length: 25 }, () => ({ id: newId('evt'), tenantId: 'ten_01m8er2zwms2nxv1fsdsnb3bmz', type: 'bulk.created', dataJson: '{}', idempotencyKey: null, summary: null }));
    const outcome = await repository.publishBatch(requests);
    expect(requests.map((r) => outcome.get(r.id)?.deliveries)).toEqual(Array(25).fill(40));
    // and once more: the queued drain jobs are reused, not added again
    const more = Array.from({ length: 5 }, () => ({ ...requests[0], id: newId('evt') }));
    await repository.publishBatch(more);
    const jobs = await db.pool.query(`select key, payload from graphile_worker._private_jobs order by key`);
    expect(jobs.rows.map((r: { key: string }) => r.key)).toEqual([...endpoints].sort().map((e) => `drain:${e}`));
    expect(jobs.rows.every((r: { key: string; payload: { e: string } }) => r.key === `drain:${r.payload.e}`)).toBe(true);
    const queued = await db.pool.query(`select count(*)::int as n, count(*) filter (where attempt = 1)::int as first from delivery_queue`);
    expect(queued.rows[0]).toEqual({ n: 30 * 40, first: 30 * 40 });
  });
});
