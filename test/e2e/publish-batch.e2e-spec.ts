import { createApiKey, createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

describe('publishing a batch of events', () => {
  let app: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    app = await startTestApp();
    tenantId = await createTenant(app);
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/all' });
    await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/orders', eventTypes: ['order.*'] });
  });
  afterAll(async () => app?.close());

  const path = () => `/v1/tenants/${tenantId}/events/batch`;
  const count = async (sql: string, params: unknown[] = []) => (await app.db.pool.query(sql, params)).rows[0].n as number;

  it('accepts the events in order, each with its deliveries, and keeps the exact data text', async () => {
    const raw = '{"events":[{"type":"order.created","data":{"b":1,"10":2}},{"type":"user.created","data":{"big":12345678901234567890}}]}';
    const res = await app.request('POST', path(), { rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual([
      { id: expect.stringMatching(/^evt_/), type: 'order.created', createdAt: expect.any(String), deliveries: 2 },
      { id: expect.stringMatching(/^evt_/), type: 'user.created', createdAt: expect.any(String), deliveries: 1 },
    ]);
    const stored = await app.db.pool.query(`select event_id as id, data::text as t from event_payloads where event_id = any($1) order by event_id`, [res.body.data.map((e: { id: string }) => e.id)]);
    expect(stored.rows.map((r: { t: string }) => r.t)).toEqual(['{"b":1,"10":2}', '{"big":12345678901234567890}']);
  });

  it('returns the first events again for repeated idempotency keys', async () => {
    const body = { events: [{ type: 'order.created', data: { n: 1 }, idempotencyKey: 'batch-1' }, { type: 'order.paid', data: {}, idempotencyKey: 'batch-2' }] };
    const first = await app.request('POST', path(), { body });
    const again = await app.request('POST', path(), { body });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await count(`select count(*)::int as n from idempotency_keys where key like 'batch-%'`)).toBe(2);
  });

  it('writes nothing when one event is invalid, naming it', async () => {
    const before = await count(`select count(*)::int as n from events`);
    const res = await app.request('POST', path(), { body: { events: [{ type: 'order.created', data: {} }, { type: 'bad type', data: {} }] } });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('events[1].type');
    expect(await count(`select count(*)::int as n from events`)).toBe(before);
  });

  it('writes nothing when the transaction fails on one event', async () => {
    const before = await count(`select count(*)::int as n from events`);
    await app.db.pool.query(`
      create function fail_boom() returns trigger language plpgsql as $$
      begin if new.type = 'order.boom' then raise exception 'injected'; end if; return new; end $$;
      create trigger fail_boom before insert on events for each row execute function fail_boom();`);
    try {
      const res = await app.request('POST', path(), { body: { events: [{ type: 'order.created', data: {} }, { type: 'order.boom', data: {} }] } });
      expect(res.status).toBe(500);
    } finally {
      await app.db.pool.query(`drop trigger fail_boom on events; drop function fail_boom();`);
    }
    expect(await count(`select count(*)::int as n from events`)).toBe(before);
  });

  it('is confined like single publishes', async () => {
    const other = await createTenant(app, 'other');
    const key = (await createApiKey(app, other)).key;
    const res = await app.request('POST', path(), { token: key, body: { events: [{ type: 'a', data: {} }] } });
    expect(res.status).toBe(404);
    const unknown = await app.request('POST', '/v1/tenants/ten_01m8er2zwms2nxv1fsdsnb3bmz/events/batch', { body: { events: [{ type: 'a', data: {} }] } });
    expect(unknown.status).toBe(404);
    const ok = await app.request('POST', `/v1/tenants/${other}/events/batch`, { token: key, body: { events: [{ type: 'a', data: {} }] } });
    expect(ok.status).toBe(202);
  });
});
