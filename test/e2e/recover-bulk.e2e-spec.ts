import { idAtOrAfter, newId } from '../../src/common/ids';
import { RECOVER_BATCH } from '../../src/endpoints/recover';
import { createEndpoint, createTenant, startTestAppOn, TestApp, useAppWithReceiver } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** Bulk operations in batches: a recover or a delete larger than one batch answers at once and the rest follows durably. */
describe('bulk recover and delete', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  const N = RECOVER_BATCH * 2 + 500;

  useAppWithReceiver({ LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));

  /** N events of `type`, each with one delivery to the endpoint in `status` (failed ones with their attempts spent). */
  async function seed(endpointId: string, type: string, status: 'failed' | 'pending'): Promise<{ events: string[]; deliveries: string[] }> {
    const events = Array.from({ length: N }, () => newId('evt'));
    const deliveries = Array.from({ length: N }, () => newId('dlv'));
    const spent = status === 'failed' ? 8 : 0;
    await app.db.pool.query(`insert into events (id, tenant_id, type) select e, $2, $3 from unnest($1::text[]) e`, [events, tenantId, type]);
    await app.db.pool.query(`insert into event_payloads (event_id, data) select e, '{"n":1}' from unnest($1::text[]) e`, [events]);
    await app.db.pool.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts)
       select d, $3, e, $4, $5, $6, $7, $7 from unnest($1::text[], $2::text[]) as t(d, e)`,
      [deliveries, events, tenantId, endpointId, type, status, spent]);
    return { events, deliveries };
  }

  it(`recovers ${N} failed deliveries: every one is delivered once, the rest of the first batch by recover jobs`, async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/bulk`, eventTypes: ['bulk.*'] });
    const since = new Date(Date.now() - 1000);
    const { events } = await seed(ep.id, 'bulk.x', 'failed');
    // one failed before `since`: it stays failed (its ids carry its time, as the service's do)
    const dayAgo = new Date(Date.now() - 86_400_000);
    const oldEvent = idAtOrAfter('evt', dayAgo) + newId('evt').slice(-16);
    await app.db.pool.query(`insert into events (id, tenant_id, type, created_at) values ($1, $2, 'bulk.x', now() - interval '1 day')`, [oldEvent, tenantId]);
    await app.db.pool.query(`insert into event_payloads (event_id, data) values ($1, '{}')`, [oldEvent]);
    await app.db.pool.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, created_at) values ($1, $2, $3, $4, 'bulk.x', 'failed', now() - interval '1 day')`,
      [idAtOrAfter('dlv', dayAgo) + newId('dlv').slice(-16), tenantId, oldEvent, ep.id]);

    const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { body: { since: since.toISOString() } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ deliveries: N });

    await waitFor(async () => {
      const r = await app.db.pool.query(`select count(*)::int as n from deliveries where endpoint_id = $1 and status = 'succeeded'`, [ep.id]);
      return r.rows[0].n === N;
    }, 60_000, `${N} deliveries succeeded`);
    const { rows } = await app.db.pool.query(
      `select status, count(*)::int as n from deliveries where endpoint_id = $1 group by status order by status`, [ep.id]);
    expect(rows.find((r) => r.status === 'failed')?.n).toBe(1);
    expect(new Set(receiver.forPath('/bulk').map((r) => r.headers['webhook-id']))).toEqual(new Set(events));
    const failures = await app.db.pool.query(`select count(*)::int as n from delivery_failures where endpoint_id = $1`, [ep.id]);
    expect(failures.rows[0].n).toBe(1);
  }, 120_000);

  it('counts what it recovers by the ids, and checks the rows only in the minute before `since` where created_at may trail', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/edge`, eventTypes: ['edge.*'] });
    const since = new Date(Date.now() - 10_000);
    const before = new Date(since.getTime() - 30_000);
    // both made 30 s before `since`: one written (created_at) after it, one before
    for (const createdAt of [new Date(since.getTime() + 1000), before]) {
      const eventId = idAtOrAfter('evt', before) + newId('evt').slice(-16);
      await app.db.pool.query(`insert into events (id, tenant_id, type, created_at) values ($1, $2, 'edge.x', $3)`, [eventId, tenantId, createdAt]);
      await app.db.pool.query(`insert into event_payloads (event_id, data) values ($1, '{}')`, [eventId]);
      await app.db.pool.query(
        `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, created_at) values ($1, $2, $3, $4, 'edge.x', 'failed', $5)`,
        [idAtOrAfter('dlv', before) + newId('dlv').slice(-16), tenantId, eventId, ep.id, createdAt]);
    }
    const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { body: { since: since.toISOString() } });
    expect(res.body).toEqual({ deliveries: 1 });
    const statuses = async () => (await app.db.pool.query(`select status from deliveries where endpoint_id = $1 order by created_at`, [ep.id])).rows.map((r) => r.status);
    await waitFor(async () => (await statuses())[1] === 'succeeded', 10_000, 'the one delivery written after since');
    expect(await statuses()).toEqual(['failed', 'succeeded']);
    expect(receiver.forPath('/edge')).toHaveLength(1);
  });

  it(`deleting an endpoint with ${N} queued deliveries answers at once; every one ends cancelled, none is sent`, async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/gone-soon`, eventTypes: ['backlog.*'] });
    const { deliveries } = await seed(ep.id, 'backlog.x', 'pending');
    // due in an hour, so the only way out of the queue is the delete
    await app.db.pool.query(
      `insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) select d, 1, $2, $3, now() + interval '1 hour' from unnest($1::text[]) d`,
      [deliveries, ep.id, tenantId]);

    const res = await app.request('DELETE', `/v1/tenants/${tenantId}/endpoints/${ep.id}`);
    expect(res.status).toBe(204);
    await waitFor(async () => {
      const r = await app.db.pool.query(`select count(*)::int as n from deliveries where endpoint_id = $1 and status = 'cancelled'`, [ep.id]);
      return r.rows[0].n === N;
    }, 60_000, `${N} deliveries cancelled`);
    expect((await app.db.pool.query(`select count(*)::int as n from delivery_queue where endpoint_id = $1`, [ep.id])).rows[0].n).toBe(0);
    expect((await app.db.pool.query(`select count(*)::int as n from delivery_failures where endpoint_id = $1 and status = 'cancelled'`, [ep.id])).rows[0].n).toBe(N);
    expect(receiver.forPath('/gone-soon')).toHaveLength(0);
  }, 120_000);
});

describe('a bulk recover across a restart', () => {
  const N = RECOVER_BATCH * 2 + 300;
  let db: TestDatabase;
  let receiver: TestReceiver;
  let second: TestApp | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new TestReceiver().start();
  });
  afterAll(async () => {
    // second.close() drops the database too; without a second app, drop it here
    if (second) await second.close();
    else await db?.drop();
    await receiver?.stop();
  });

  it(`the process that took the call stops (gracefully) right after answering; the next one delivers all ${N}, each once`, async () => {
    const first = await startTestAppOn(db, { LOG_LEVEL: 'error' });
    let firstOpen = true;
    try {
      const tenantId = await createTenant(first);
      const ep = await createEndpoint(first, tenantId, { url: `${receiver.url}/restart`, eventTypes: ['rs.*'] });
      const events = Array.from({ length: N }, () => newId('evt'));
      await db.pool.query(`insert into events (id, tenant_id, type) select e, $2, 'rs.x' from unnest($1::text[]) e`, [events, tenantId]);
      await db.pool.query(`insert into event_payloads (event_id, data) select e, '{"n":1}' from unnest($1::text[]) e`, [events]);
      await db.pool.query(
        `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts)
         select 'dlv_' || substr(e, 5), $2, e, $3, 'rs.x', 'failed', 8, 8 from unnest($1::text[]) e`, [events, tenantId, ep.id]);

      const res = await first.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { body: { since: new Date(Date.now() - 60_000).toISOString() } });
      expect(res).toMatchObject({ status: 202, body: { deliveries: N } });
      // a SIGTERM right after the answer: whatever it had not done yet is in jobs and rows
      await first.app.close();
      firstOpen = false;
      const sentBefore = receiver.forPath('/restart').length;
      expect(sentBefore).toBeLessThan(N); // the restart really is in the middle

      second = await startTestAppOn(db, { LOG_LEVEL: 'error' });
      await waitFor(async () => {
        const r = await db.pool.query(`select count(*)::int as n from deliveries where endpoint_id = $1 and status = 'succeeded'`, [ep.id]);
        return r.rows[0].n === N;
      }, 90_000, `${N} deliveries succeeded after the restart`);
      const ids = receiver.forPath('/restart').map((r) => r.headers['webhook-id']);
      expect(new Set(ids)).toEqual(new Set(events));
      // a graceful stop finishes or hands back what it started: nothing is sent twice
      // (a crash may send some twice: at least once, see delivery-crash.e2e-spec.ts)
      expect(ids).toHaveLength(N);
    } finally {
      if (firstOpen) await first.app.close();
    }
  }, 150_000);
});
