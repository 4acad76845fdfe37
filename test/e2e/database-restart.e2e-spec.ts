import { Pool } from 'pg';
import { migrateDatabase } from '../../src/database/migrate';
import { WorkerService } from '../../src/worker/worker.service';
import { createEndpoint, createTenant, publish, startTestAppOn, TestApp } from '../support/app';
import { OwnPostgres } from '../support/own-postgres';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * SPEC §6: when the database goes away and comes back, every process resumes by itself and
 * nothing accepted is lost. A PostgreSQL of this test's own is stopped (fast, then as by a
 * crash) while attempts are in flight; WORKER_DEAD_AFTER stays at its 60 s default, so the
 * deliveries can only arrive in time if the restarted runner unlocked its old jobs itself.
 */
describe('a PostgreSQL restart in the middle of deliveries', () => {
  let pg: OwnPostgres;
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  beforeAll(async () => {
    pg = await OwnPostgres.create();
    const url = await pg.createDatabase('whk_restart');
    await migrateDatabase(url);
    const pool = new Pool({ connectionString: url, max: 3 });
    pool.on('error', () => undefined);
    app = await startTestAppOn({ url, pool, drop: () => pool.end() }, {
      WORKER_CONCURRENCY: '8',
      RETRY_SCHEDULE: '200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s',
      DELIVERY_TIMEOUT_MS: '3000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    receiver = await new TestReceiver().start();
    // Slow enough that attempts are in flight when the database stops.
    receiver.respondWith((_req, res) => {
      setTimeout(() => res.writeHead(200).end('ok'), 150);
    });
    tenantId = await createTenant(app);
    await createEndpoint(app, tenantId, { url: `${receiver.url}/restart` });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await pg?.destroy();
  });

  const ready = async () => (await app.request('GET', '/health/ready', { token: null }));
  const restarts = async () => Number(/webhook_worker_restarts_total (\d+)/.exec(await (await fetch(`${app.baseUrl}/metrics`)).text())?.[1] ?? 0);
  const receivedIds = () => new Set(receiver.forPath('/restart').map((r) => r.headers['webhook-id']));

  async function publishMany(n: number, tag: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await publish(app, tenantId, 'order.created', { tag, i })).id);
    return ids;
  }

  it.each(['fast', 'immediate'] as const)('delivers every accepted event after a %s stop and start, without a restart of the service', async (mode) => {
    const before = await publishMany(40, `${mode}-before`);
    await waitFor(() => receiver.requests.length > 0 && [...receivedIds()].some((id) => before.includes(id)), 10_000, 'attempts in flight');

    await pg.stop(mode);
    const down = await waitFor(async () => {
      const r = await ready();
      return r.status === 503 && r;
    }, 15_000, 'readiness 503');
    expect(down.body.status).toBe('unavailable');
    const refused = await app.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type: 'order.created', data: {} } });
    expect(refused.status).toBe(503);

    await pg.start();
    const up = await waitFor(async () => {
      const r = await ready();
      return r.status === 200 && r;
    }, 30_000, 'readiness 200 again');
    expect(up.body.checks).toMatchObject({ database: 'up', migrations: 'up', worker: 'up' });
    const after = await publishMany(20, `${mode}-after`);

    await waitFor(() => [...before, ...after].every((id) => receivedIds().has(id)), 40_000, 'every accepted event to arrive');
    const pending = await waitFor(async () => {
      const r = await app.request('GET', `/v1/tenants/${tenantId}/deliveries?status=pending&limit=100`);
      return r.status === 200 && r.body.data.length === 0 && r;
    }, 20_000, 'no delivery left pending');
    expect(pending.body.data).toEqual([]);
  }, 120_000);

  it('starts the graphile-worker runner again when it stops by itself, and reports it', async () => {
    const worker = app.app.get(WorkerService);
    const restartsBefore = await restarts();
    // As when its pool gives up on the database: the runner stops without a shutdown.
    await (worker as unknown as { runner: { stop(): Promise<void> } }).runner.stop();
    await waitFor(async () => (await restarts()) > restartsBefore, 10_000, 'the restart to be counted');
    await waitFor(() => worker.running, 10_000, 'the runner to run again');
    expect((await ready()).status).toBe(200);
    const event = await publish(app, tenantId, 'order.created', { tag: 'after-restart' });
    await waitFor(() => receivedIds().has(event.id), 10_000, 'a delivery through the new runner');
  }, 60_000);
});
