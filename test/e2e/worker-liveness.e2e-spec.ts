import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { newId } from '../../src/common/ids';
import { Db } from '../../src/database/db';
import { LivenessSession } from '../../src/worker/liveness-session';
import { WorkerHeartbeat } from '../../src/worker/worker-heartbeat';
import { WorkerRepository } from '../../src/worker/worker.repository';
import { ADMIN_TOKEN, getDelivery, startTestAppOn, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * A killed worker is found dead by its free liveness lock (its database session ended with it)
 * as soon as it has missed a beat and a half, not only after WORKER_DEAD_AFTER of silence.
 */
describe('worker liveness', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A process's heartbeat row as it would have written it `agoMs` ago. */
  const beatAgo = (processId: string, workerIds: string[], agoMs: number) => db.pool.query(
    `insert into worker_heartbeats (process_id, worker_ids, last_seen) values ($1, $2, now() - $3::int * interval '1 millisecond')
     on conflict (process_id) do update set worker_ids = excluded.worker_ids, last_seen = excluded.last_seen`,
    [processId, workerIds, agoMs]);
  const rowOf = async (processId: string) => (await db.pool.query(`select 1 from worker_heartbeats where process_id = $1`, [processId])).rowCount;

  it('a process that missed a beat and a half is dead once its session is gone, alive while it holds its lock, and dead anyway after WORKER_DEAD_AFTER', async () => {
    // WORKER_DEAD_AFTER 8 s: a beat every 2 s, a beat and a half missed after 3 s
    const dead: string[][] = [];
    const checker = new WorkerHeartbeat(new Db(db.pool), 'checker', 8_000, async () => undefined, new LivenessSession(db.url, 'checker'), async (ids) => void dead.push(ids));
    const victim = new LivenessSession(db.url, 'victim');
    await victim.ensure();
    expect(victim.heldForMs()).toBeGreaterThanOrEqual(0);
    await beatAgo('victim', ['worker-victim'], 3_500);
    await checker.beat();
    // the checker's own lock is new: after a database restart every lock is free for a moment, so it judges nobody by locks yet
    const quiet = new LivenessSession(db.url, 'quiet');
    await beatAgo('quiet', [], 3_500);
    expect(await checker.reclaimDead()).toEqual([]);
    expect(await rowOf('quiet')).toBe(1);
    await sleep(3_100);

    // the victim still holds its lock: alive, though silent for a beat and a half
    await beatAgo('victim', ['worker-victim'], 3_500);
    expect(await checker.reclaimDead()).toEqual([]);
    expect(await rowOf('victim')).toBe(1);

    // its session ends (as a killed process's does): dead at once
    await victim.close();
    expect(await checker.reclaimDead()).toEqual(['worker-victim']);
    expect(await rowOf('victim')).toBe(0);
    expect(dead).toContainEqual(['victim']);

    // never judged by locks: a process that beat within the last beat and a half (it may be taking its lock again)
    await beatAgo('restarting', [], 500);
    expect(await checker.reclaimDead()).toEqual([]);
    expect(await rowOf('restarting')).toBe(1);

    // silent past WORKER_DEAD_AFTER: dead, whatever its lock says
    const hung = new LivenessSession(db.url, 'hung');
    await hung.ensure();
    await beatAgo('hung', ['worker-hung'], 9_000);
    expect(await checker.reclaimDead()).toEqual(['worker-hung']);
    await hung.close();
    await quiet.close();
    await checker.stop();
  }, 30_000);

  it("a dead process's endpoint leases go at once, and its endpoints are woken", async () => {
    const tenant = newId('ten');
    const endpoint = newId('ep');
    await db.pool.query(`insert into tenants (id, name) values ($1, 'leases')`, [tenant]);
    await db.pool.query(`insert into endpoints (id, tenant_id, url, secret) values ($1, $2, 'http://127.0.0.1:9/', 'whsec_x')`, [endpoint, tenant]);
    await db.pool.query(`insert into endpoint_drains (endpoint_id, owner, lease_until) values ($1, 'gone', now() + interval '1 minute')`, [endpoint]);
    expect(await new WorkerRepository(new Db(db.pool)).reclaimLeasesOf(['gone', 'nobody'])).toBe(1);
    expect((await db.pool.query(`select 1 from endpoint_drains where endpoint_id = $1`, [endpoint])).rowCount).toBe(0);
    const { rows } = await db.pool.query(
      `select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'drain'`);
    expect(JSON.stringify(rows)).toContain(endpoint);
  });
});

describe('a killed worker, with WORKER_DEAD_AFTER at its default of 60 s', () => {
  let db: TestDatabase;
  let child: ChildProcess | null = null;
  let second: TestApp | null = null;
  let receiver: TestReceiver;
  const env = { ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true', RETRY_SCHEDULE: '200ms', RETRY_JITTER: '0', DELIVERY_TIMEOUT_MS: '30000', WORKER_CONCURRENCY: '4', LOG_LEVEL: 'silent' };

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

  it('has its delivery taken over within seconds, not after a minute', async () => {
    receiver.respondWith((_req, res, index) => {
      if (index === 0) return; // the first request hangs: the process dies while it waits
      res.writeHead(200).end('ok');
    });
    const proc = spawn(process.execPath, [join(__dirname, '../support/child-app.js')], {
      env: { ...process.env, ...env, CHILD_DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /READY (\d+)/.exec(output);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`child exited ${code}: ${output.slice(-2000)}`)));
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return res.json() as Promise<{ id: string }>;
    };
    const tenant = await call('POST', '/v1/tenants', { name: 'liveness' });
    const endpoint = await call('POST', `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiver.url}/liveness` });
    const event = await call('POST', `/v1/tenants/${tenant.id}/events`, { type: 'liveness.test', data: { n: 1 } });
    await waitFor(() => receiver.forPath('/liveness').length === 1, 15_000, 'the first, hanging request');
    // the child, the only process, sends it and holds the endpoint's lease
    const { rows: leases } = await db.pool.query(`select owner from endpoint_drains where endpoint_id = $1`, [endpoint.id]);
    expect(leases).toHaveLength(1);
    second = await startTestAppOn(db, env);
    await sleep(15_500); // the other process's lock has held for a beat and a half (10 s beats at the default)
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    const killedAt = Date.now();
    const [delivery] = (await second.request('GET', `/v1/tenants/${tenant.id}/deliveries?eventId=${event.id}`)).body.data;
    await waitFor(async () => (await getDelivery(second!, tenant.id, delivery.id)).status === 'succeeded', 40_000, 'the delivery to succeed on the other process');
    // a beat and a half after the victim's last beat, plus one beat of the checker: at most 25 s at the default
    expect(Date.now() - killedAt).toBeLessThan(30_000);
  }, 90_000);

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
});
