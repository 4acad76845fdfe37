import { createTenant, publish, startTestApp, TestApp } from '../support/app';
import { adminQuery } from '../support/database';
import { waitFor } from '../support/wait';

/** SPEC §6: an unreachable database makes readiness and publishes answer 503; accepted events stay. */
describe('database outage', () => {
  let app: TestApp;
  let dbName: string;
  beforeAll(async () => {
    app = await startTestApp({ WORKER_CONCURRENCY: '2' });
    dbName = new URL(app.db.url).pathname.slice(1);
  });
  afterAll(async () => {
    await app.db.pool.query(`select 1`).catch(() => undefined);
    await app?.close();
  });

  it('answers 503 while the database refuses connections, and recovers afterwards', async () => {
    const tenantId = await createTenant(app);
    const accepted = await publish(app, tenantId, 'order.created', { orderId: 'o_1' });

    await adminQuery(`alter database ${dbName} allow_connections false`);
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${dbName}' and pid <> pg_backend_pid()`);
    try {
      const ready = await waitFor(async () => {
        const r = await app.request('GET', '/health/ready', { token: null });
        return r.status === 503 && r;
      }, 10_000, 'readiness 503');
      expect(ready.body.checks.database).toBe('down');
      const res = await waitFor(async () => {
        const r = await app.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type: 'order.created', data: {} } });
        return r.status !== 202 && r;
      });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    } finally {
      await adminQuery(`alter database ${dbName} allow_connections true`);
    }
    await waitFor(async () => (await app.request('GET', '/health/ready', { token: null })).status === 200, 15_000, 'ready again');
    const read = await waitFor(async () => {
      const r = await app.request('GET', `/v1/tenants/${tenantId}/events/${accepted.id}`);
      return r.status === 200 && r;
    });
    expect(read.body.id).toBe(accepted.id);
    expect((await publish(app, tenantId, 'order.created', {})).id).toMatch(/^evt_/);
  });
});
