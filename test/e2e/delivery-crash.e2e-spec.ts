import { ChildProcess } from 'node:child_process';
import { ADMIN_TOKEN, getDelivery, startTestAppOn, TestApp } from '../support/app';
import { startChildApp } from '../support/child-app-process';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * SPEC §7 and §3 ("once 202 is answered, a crash of any process loses nothing"): a process
 * killed (SIGKILL) in the middle of an attempt; a second process on the same database takes
 * the delivery over within WORKER_DEAD_AFTER and delivers it.
 */
describe('crash safety', () => {
  let db: TestDatabase;
  let child: ChildProcess | null = null;
  let second: TestApp | null = null;
  let receiver: TestReceiver;

  const env = {
    ADMIN_TOKEN,
    ALLOW_PRIVATE_TARGETS: 'true',
    RETRY_SCHEDULE: '200ms',
    RETRY_JITTER: '0',
    DELIVERY_TIMEOUT_MS: '20000',
    WORKER_DEAD_AFTER: '1s',
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'silent',
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new TestReceiver().start();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (second) await second.close();
    else await db?.drop();
    await receiver?.stop();
  });

  const startChild = () => startChildApp(db.url, env);

  async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  it('a delivery whose process dies mid-attempt is delivered by another process', async () => {
    // The first request hangs (the process dies while waiting for it); later ones succeed.
    receiver.respondWith((_req, res, index) => {
      if (index === 0) return;
      res.writeHead(200).end('ok');
    });
    const started = await startChild();
    child = started.process;
    const tenant = await call(started.baseUrl, 'POST', '/v1/tenants', { name: 'crash' });
    const tenantId = tenant.body.id;
    expect(tenant.status).toBe(201);
    expect((await call(started.baseUrl, 'POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${receiver.url}/crash` })).status).toBe(201);
    const event = await call(started.baseUrl, 'POST', `/v1/tenants/${tenantId}/events`, { type: 'crash.test', data: { n: 1 } });
    expect(event.status).toBe(202);

    await waitFor(() => receiver.forPath('/crash').length === 1, 10_000, 'the first, hanging request');
    // the child holds the endpoint's drain lease while it sends
    const { rows: leases } = await db.pool.query(`select owner from endpoint_drains`);
    expect(leases).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));

    second = await startTestAppOn(db, { ...env, DELIVERY_TIMEOUT_MS: '5000' });
    const [delivery] = (await second.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${event.body.id}`)).body.data;
    const done = await waitFor(async () => {
      const d = await getDelivery(second!, tenantId, delivery.id);
      return d.status === 'succeeded' && d;
    }, 20_000, 'the delivery to succeed on the second process');
    // The killed attempt left no record; the one that succeeded did.
    expect(done.attempts.at(-1)).toMatchObject({ responseStatus: 200, error: null });
    const reqs = receiver.forPath('/crash');
    expect(reqs.length).toBeGreaterThanOrEqual(2);
    for (const r of reqs) expect(r.headers['webhook-id']).toBe(event.body.id);
    expect(reqs[reqs.length - 1].body).toBe(reqs[0].body);
    const { rows } = await db.pool.query(`select count(*)::int as n from delivery_queue`);
    expect(rows[0].n).toBe(0);
  });

  it('an app shut down while an attempt hangs hands the delivery over to another process, without a parallel send', async () => {
    const hang = new Set<number>([0]);
    receiver.respondWith((req, res) => {
      if (req.path !== '/graceful') return void res.writeHead(200).end('ok');
      const index = receiver.forPath('/graceful').length - 1;
      if (!hang.has(index)) res.writeHead(200).end('ok');
    });
    const tenantId = (await second!.request('POST', '/v1/tenants', { body: { name: 'graceful' } })).body.id;
    await second!.request('POST', `/v1/tenants/${tenantId}/endpoints`, { body: { url: `${receiver.url}/graceful` } });
    const event = (await second!.request('POST', `/v1/tenants/${tenantId}/events`, { body: { type: 'graceful.stop', data: { n: 2 } } })).body;
    const [delivery] = (await second!.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${event.id}`)).body.data;
    await waitFor(() => receiver.forPath('/graceful').length === 1, 10_000, 'the hanging request');

    // A second process is already running while the first shuts down (close the Nest app only:
    // the database stays). The first keeps its heartbeat until its in-flight attempt has ended,
    // so the other one does not send the same delivery while the first is still sending it.
    const closing = second!;
    const third = await startTestAppOn(db, env);
    second = third;
    await closing.app.close();
    const closedAt = Date.now();
    expect(receiver.forPath('/graceful').filter((r) => r.receivedAt < closedAt)).toHaveLength(1);
    const done = await waitFor(async () => {
      const d = await getDelivery(third, tenantId, delivery.id);
      return d.status === 'succeeded' && d;
    }, 20_000, 'the delivery to succeed on the next process');
    expect(done.attempts.at(-1)).toMatchObject({ responseStatus: 200 });
    for (const a of done.attempts.slice(0, -1)) expect(a.responseStatus).toBeNull();
    const reqs = receiver.forPath('/graceful');
    for (const r of reqs) expect(r.headers['webhook-id']).toBe(event.id);
    expect(reqs.at(-1)!.body).toBe(reqs[0].body);
  });
});
