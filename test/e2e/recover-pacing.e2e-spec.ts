import { newId } from '../../src/common/ids';
import { Db } from '../../src/database/db';
import { EndpointsRepository } from '../../src/endpoints/endpoints.repository';
import { RECOVER_AHEAD, RECOVER_BATCH, RECOVER_POLL_MS, recoverJob, recoverStep } from '../../src/endpoints/recover';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * A recover runs at most RECOVER_AHEAD deliveries ahead of its endpoint's drain: the worker's
 * step queues the next batch only while fewer are queued, and otherwise looks again later.
 */
let db: TestDatabase;
let repo: EndpointsRepository;
const tenant = newId('ten');
const endpoint = newId('ep');
const since = new Date(Date.now() - 3_600_000);
let failed: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  repo = new EndpointsRepository(new Db(db.pool));
  const q = (text: string, params?: unknown[]) => db.pool.query(text, params);
  await q(`insert into tenants (id, name) values ($1, 'recovering')`, [tenant]);
  await q(`insert into endpoints (id, tenant_id, url, secret) values ($1, $2, 'http://127.0.0.1:9/', 'whsec_x')`, [endpoint, tenant]);
  // RECOVER_AHEAD deliveries queued (pending), then two batches' worth of failed ones to recover
  const n = RECOVER_AHEAD + 2 * RECOVER_BATCH;
  const ev = Array.from({ length: n }, () => newId('evt'));
  const dl = Array.from({ length: n }, () => newId('dlv'));
  failed = dl.slice(RECOVER_AHEAD);
  await q(`insert into events (id, tenant_id, type) select e, $2, 'r.x' from unnest($1::text[]) e`, [ev, tenant]);
  await q(
    `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status)
     select d, $3, e, $4, 'r.x', case when n <= $5 then 'pending' else 'failed' end from unnest($1::text[], $2::text[]) with ordinality t(d, e, n)`,
    [dl, ev, tenant, endpoint, RECOVER_AHEAD]);
  await q(`insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) select d, 1, $2, $3, now() from unnest($1::text[]) d`,
    [dl.slice(0, RECOVER_AHEAD), endpoint, tenant]);
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const recoverJobs = async () => (await db.pool.query(
  `select payload->>'b' as before, (extract(epoch from run_at - now()) * 1000)::int as in_ms
     from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'recover' order by j.id`)).rows;
const reopened = async () => (await db.pool.query(`select count(*)::int as n from deliveries where id = any($1) and status = 'pending'`, [failed])).rows[0].n;

it(`the worker's step waits while ${RECOVER_AHEAD} are queued for the endpoint, and queues the next batch once fewer are`, async () => {
  const before = 'dlv_zzzzzzzzzzzzzzzzzzzzzzzzzz'; // the rest: every failed delivery
  await recoverJob(new Db(db.pool), repo, { endpointId: endpoint, since, before });
  // nothing reopened; the same step again in about RECOVER_POLL_MS
  expect(await reopened()).toBe(0);
  const [waiting] = await recoverJobs();
  expect(waiting.before).toBe(before);
  expect(waiting.in_ms).toBeGreaterThan(RECOVER_POLL_MS / 2);
  expect(waiting.in_ms).toBeLessThanOrEqual(RECOVER_POLL_MS);

  // the drain sends one: fewer than RECOVER_AHEAD queued, so the next step queues a batch and its successor now
  await db.pool.query(`delete from delivery_queue where delivery_id = (select delivery_id from delivery_queue where endpoint_id = $1 limit 1)`, [endpoint]);
  expect(await repo.queuedUpTo(endpoint, RECOVER_AHEAD)).toBe(RECOVER_AHEAD - 1);
  await recoverJob(new Db(db.pool), repo, { endpointId: endpoint, since, before });
  expect(await reopened()).toBe(RECOVER_BATCH);
  const jobs = await recoverJobs();
  expect(jobs).toHaveLength(2);
  expect(jobs[1].in_ms).toBeLessThanOrEqual(0);

  // the API's first step is not paced: it answers a recover call with its first batch queued
  await recoverStep(db.pool, repo, endpoint, since, jobs[1].before, null);
  expect(await reopened()).toBe(2 * RECOVER_BATCH);
});
