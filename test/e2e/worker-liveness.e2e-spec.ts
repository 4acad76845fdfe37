import { ChildProcess } from 'node:child_process';
import { newId } from '../../src/common/ids';
import { Db } from '../../src/database/db';
import { HeartbeatsRepository } from '../../src/worker/heartbeats.repository';
import { LIVENESS_LOCK_NS, LivenessSession } from '../../src/worker/liveness-session';
import { WorkerHeartbeat } from '../../src/worker/worker-heartbeat';
import { WorkerRepository } from '../../src/worker/worker.repository';
import { ADMIN_TOKEN, getDelivery, startTestAppOn, type TestApp } from '../support/app';
import { startChildApp } from '../support/child-app-process';
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

  const repo = () => new HeartbeatsRepository(new Db(db.pool));
  /** A process's row as its beat writes it (with `locked_on` as the server sees it), then made `agoMs` old. */
  const beatAgo = async (processId: string, workerIds: string[], agoMs: number) => {
    await repo().beat(processId, workerIds, 5_000); // a beat every 5 s: judged by locks after 12.5 s of silence
    await db.pool.query(`update worker_heartbeats set last_seen = now() - $2::int * interval '1 millisecond' where process_id = $1`, [processId, agoMs]);
  };
  const lockedOn = async (processId: string) => (await db.pool.query(
    `select locked_on = pg_postmaster_start_time() as here, locked_on is null as none from worker_heartbeats where process_id = $1`, [processId])).rows[0] as { here: boolean; none: boolean } | undefined;
  const lockHolders = async (processId: string) => (await db.pool.query(
    `select l.pid from pg_locks l where l.locktype = 'advisory' and l.granted and l.classid = ${LIVENESS_LOCK_NS}::oid and l.objid = (hashtext($1) & 2147483647)::oid`, [processId])).rows as Array<{ pid: number }>;

  it('a process silent for two and a half beats is dead once no session holds the lock it held on this server, and any process after WORKER_DEAD_AFTER', async () => {
    // WORKER_DEAD_AFTER 20 s: a beat every 5 s, judged by locks after 12.5 s of silence
    const dead: string[][] = [];
    const checker = new WorkerHeartbeat(new Db(db.pool), 'checker', 20_000, async () => undefined, new LivenessSession(db.url, 'checker'), async (ids) => void dead.push(ids));
    const sessions = Object.fromEntries(['victim', 'alive', 'restarted'].map((id) => [id, new LivenessSession(db.url, id)]));
    for (const session of Object.values(sessions)) await session.ensure();
    for (const id of ['victim', 'alive', 'restarted', 'lockless']) await beatAgo(id, [`worker-${id}`], 13_000);
    expect(await lockedOn('victim')).toEqual({ here: true, none: false });
    expect(await lockedOn('lockless')).toEqual({ here: null, none: true });
    // 'restarted' held its lock on a server that has restarted since (every lock is free after a restart)
    await db.pool.query(`update worker_heartbeats set locked_on = locked_on - interval '1 hour' where process_id = 'restarted'`);
    await sessions.restarted.close();
    // the victim's session ends, as a killed process's does
    await sessions.victim.close();
    await waitFor(async () => (await lockHolders('victim')).length === 0, 5_000, "the victim's lock to go");

    expect(await checker.reclaimDead()).toEqual(['worker-victim']);
    expect(dead).toEqual([['victim']]);
    for (const id of ['alive', 'restarted', 'lockless']) expect({ id, row: await lockedOn(id) !== undefined }).toEqual({ id, row: true });

    // silent past WORKER_DEAD_AFTER: dead, whatever its lock says
    await db.pool.query(`update worker_heartbeats set last_seen = now() - interval '21 seconds' where process_id in ('alive', 'restarted', 'lockless')`);
    expect((await checker.reclaimDead()).sort()).toEqual(['worker-alive', 'worker-lockless', 'worker-restarted']);
    await sessions.alive.close();
    await checker.stop();
  }, 30_000);

  it('a liveness session that lost its connection says so at once, and takes its lock again on the next check', async () => {
    const session = new LivenessSession(db.url, 'reconnecting');
    let lost = 0;
    session.onLost = () => void lost++;
    await session.ensure();
    const [{ pid }] = await lockHolders('reconnecting');
    await db.pool.query('select pg_terminate_backend($1)', [pid]);
    await waitFor(async () => (await lockHolders('reconnecting')).length === 0, 5_000, 'the lock to go with its session');
    // told at once (WorkerHeartbeat then clears its row's locked_on: judged by silence only until it holds the lock again)
    await waitFor(() => lost === 1, 5_000, 'the loss to be told');
    await session.ensure();
    const again = await lockHolders('reconnecting');
    expect(again).toHaveLength(1);
    expect(again[0].pid).not.toBe(pid);
    await session.close();
    await waitFor(async () => (await lockHolders('reconnecting')).length === 0, 5_000, 'the lock to go at close');
  });

  it('a liveness session whose lock was let go while its connection stayed (a pooler recycling it) takes it again', async () => {
    const session = new LivenessSession(db.url, 'recycled');
    let lost = 0;
    session.onLost = () => void lost++;
    await session.ensure();
    const [{ pid }] = await lockHolders('recycled');
    // what a pooler closing the server connection behind this client amounts to: the lock is gone, the client is not
    await (session as unknown as { client: { query(sql: string): Promise<unknown> } }).client.query('select pg_advisory_unlock_all()');
    expect(await lockHolders('recycled')).toEqual([]);
    await session.ensure();
    expect(lost).toBe(1);
    const again = await lockHolders('recycled');
    expect(again).toHaveLength(1);
    expect(again[0].pid).not.toBe(pid);
    await session.close();
  });

  it("a process's row says its lock is not held as soon as its liveness session is lost", async () => {
    const beating = new WorkerHeartbeat(new Db(db.pool), 'losing', 60_000, async () => undefined, new LivenessSession(db.url, 'losing'));
    await beating.start(); // beats, then takes its lock
    await beating.beat();
    expect(await lockedOn('losing')).toEqual({ here: true, none: false });
    const [{ pid }] = await lockHolders('losing');
    await db.pool.query('select pg_terminate_backend($1)', [pid]);
    await waitFor(async () => (await lockedOn('losing'))?.none === true, 5_000, 'locked_on to be cleared');
    await beating.stop();
  });

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
    const started = await startChildApp(db.url, env);
    const proc = started.process;
    child = proc;
    const port = Number(new URL(started.baseUrl).port);
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
    // the child beats with its lock held (its first beat comes before its lock)
    await sleep(11_000);
    expect((await db.pool.query(`select locked_on = pg_postmaster_start_time() as here from worker_heartbeats where process_id = $1`, [leases[0].owner])).rows).toEqual([{ here: true }]);
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    const killedAt = Date.now();
    const [delivery] = (await second.request('GET', `/v1/tenants/${tenant.id}/deliveries?eventId=${event.id}`)).body.data;
    await waitFor(async () => (await getDelivery(second!, tenant.id, delivery.id)).status === 'succeeded', 45_000, 'the delivery to succeed on the other process');
    // two and a half beats after the child's last beat, plus one beat of the other process: at most 35 s at the default (WORKER_DEAD_AFTER alone: 50-70 s)
    expect(Date.now() - killedAt).toBeLessThan(42_000);
  }, 120_000);

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
});
