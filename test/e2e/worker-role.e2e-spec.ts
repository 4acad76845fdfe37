import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { createHttpApp, startWorker } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/config';
import { ADMIN_TOKEN } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** The two roles as separate processes would run them: an API and a worker on one database. */
describe('api and worker roles', () => {
  let db: TestDatabase;
  let api: NestFastifyApplication;
  let worker: INestApplicationContext;
  let blocked: INestApplicationContext;
  let receiver: TestReceiver;
  const env = { ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'silent' };

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new TestReceiver().start();
    api = await createHttpApp(loadConfig(env), 'api', db.url);
    await api.listen(0, '127.0.0.1');
    worker = await startWorker(loadConfig({ ...env, WORKER_PORT: '0' }), db.url);
  });
  afterAll(async () => {
    await blocked?.close();
    await worker?.close();
    await api?.close();
    await receiver?.stop();
    await db?.drop();
  });

  const base = (app: INestApplicationContext) =>
    `http://127.0.0.1:${((app as NestFastifyApplication).getHttpServer().address() as AddressInfo).port}`;

  it('delivers what the API accepted, with the worker in its own application', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const tenant = (await (await fetch(`${base(api)}/v1/tenants`, { method: "POST", headers, body: JSON.stringify({ name: "roles" }) })).json()) as { id: string };
    await fetch(`${base(api)}/v1/tenants/${tenant.id}/endpoints`, { method: 'POST', headers, body: JSON.stringify({ url: `${receiver.url}/roles` }) });
    const published = await fetch(`${base(api)}/v1/tenants/${tenant.id}/events`, { method: 'POST', headers, body: JSON.stringify({ type: 'a.b', data: {} }) });
    expect(published.status).toBe(202);
    await waitFor(() => receiver.forPath('/roles').length === 1);

    const apiReady = (await (await fetch(`${base(api)}/health/ready`)).json()) as { checks: Record<string, string> };
    expect(apiReady.checks.worker).toBe('not run in this process');
  });

  it('serves /health/ready and /metrics from the worker, and no API routes', async () => {
    const ready = await fetch(`${base(worker)}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.worker).toBe("up");
    const metrics = await (await fetch(`${base(worker)}/metrics`)).text();
    expect(metrics).toContain('webhook_deliveries_total{outcome="succeeded"} 1');
    expect((await fetch(`${base(worker)}/v1/tenants`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
  });

  it('serves no HTTP without WORKER_PORT, so it never takes the PORT of the API', async () => {
    blocked = await startWorker(loadConfig({ ...env, PORT: '0' }), db.url);
    expect(((blocked as NestFastifyApplication).getHttpServer().address() as AddressInfo | null)).toBeNull();
  });
});
