import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

describe('operations routes', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  useAppWithReceiver({}, (ctx) => ({ app, receiver, tenantId } = ctx));

  it('answers liveness and readiness without auth', async () => {
    expect(await app.request('GET', '/health', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    const ready = await app.request('GET', '/health/ready', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up', migrations: 'up', worker: 'up' } });
  });

  it('reports not ready while a migration is missing', async () => {
    const [row] = (await app.db.pool.query(`delete from typeorm_migrations returning *`)).rows;
    try {
      const res = await app.request('GET', '/health/ready', { token: null });
      expect(res.status).toBe(503);
      expect(res.body.checks.migrations).toBe('down');
    } finally {
      await app.db.pool.query(`insert into typeorm_migrations (id, timestamp, name) values ($1, $2, $3)`, [row.id, row.timestamp, row.name]);
    }
  });

  it('exposes Prometheus metrics for requests, deliveries, attempt latency and queue depth', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/metrics-test` });
    await publish(app, tenantId, 'order.created', { orderId: 'o_1' });
    await waitFor(() => receiver.forPath('/metrics-test').length === 1);
    const text = await waitFor(async () => {
      const res = await fetch(`${app.baseUrl}/metrics`);
      const body = await res.text();
      return body.includes('webhook_deliveries_total{outcome="succeeded"}') && body;
    });
    expect(text).toContain('http_requests_total{method="POST",route="/v1/tenants/:tenantId/events",status="202"}');
    expect(text).toMatch(/webhook_attempt_duration_seconds_bucket\{le="0.1"\} \d+/);
    expect(text).toMatch(/webhook_queue_depth \d+/);
    expect(text).toContain('webhook_publish_to_delivery_seconds_count');
  });

  it('serves the OpenAPI document and UI', async () => {
    const doc = await app.request('GET', '/docs-json', { token: null });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([
      '/v1/tenants', '/v1/tenants/{tenantId}/endpoints', '/v1/tenants/{tenantId}/events', '/v1/tenants/{tenantId}/deliveries/{id}/retry',
    ]));
    const ui = await fetch(`${app.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });
});
