import { PoolClient } from 'pg';
import { newId } from '../../src/common/ids';
import { Db, type IndexRead, type Queryable } from '../../src/database/db';
import { EndpointsRepository } from '../../src/endpoints/endpoints.repository';
import { endQueuedDeliveries } from '../../src/queue/queue';
import { WorkerRepository } from '../../src/worker/worker.repository';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { nodes, type PlanNode, unpartitioned } from '../support/plans';

/**
 * The worker's statements on an endpoint's queue, and on the deliveries a recover or an
 * endpoint's delete moves, stay on indexes whatever the statistics say. Measured before: with
 * the queue analysed while nearly empty, each fetch of 16 due attempts read the endpoint's
 * whole queue with a bitmap scan and sorted it (30-80 ms a fetch with 100,000 queued), and each
 * recover batch joined its 1,000 deliveries by a hash join over the whole deliveries table.
 * Each statement is EXPLAINed (ANALYZE, rolled back) on QUEUED deliveries of one endpoint,
 * first with the statistics of empty tables, then with fresh ones.
 */
class RecordingDb extends Db {
  reads: Array<{ name: string; text: string; params: unknown[] }> = [];
  statements: Array<{ text: string; params: unknown[] }> = [];
  override queueReads<T>(fn: (read: IndexRead) => Promise<T>): Promise<T> {
    return super.queueReads((read) => fn(async (name, text, params) => {
      this.reads.push({ name, text, params });
      return read(name, text, params);
    }));
  }
  /** The statement matching this runs EXPLAINed (ANALYZE: it does its work); its plan is kept in `plan`. */
  explaining: RegExp | null = null;
  plan: PlanNode[] = [];
  override async query<T extends import('pg').QueryResultRow>(text: string, params?: unknown[], client?: Queryable): Promise<T[]> {
    this.statements.push({ text, params: params ?? [] });
    if (this.explaining?.test(text)) {
      this.plan = await explain(client ?? this.pool, text, params ?? []);
      return [];
    }
    return super.query<T>(text, params, client);
  }
}

const QUEUED = 20_000;
let db: TestDatabase;
let rec: RecordingDb;
const tenant = newId('ten');
const endpoint = newId('ep');
/** Queue rows oldest first: (due_at, delivery_id). */
let queue: Array<{ delivery_id: string; due_at: Date }> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  rec = new RecordingDb(db.pool);
  const q = (text: string, params?: unknown[]) => db.pool.query(text, params);
  await q(`insert into tenants (id, name) values ($1, 'queued')`, [tenant]);
  await q(`insert into endpoints (id, tenant_id, url, secret) values ($1, $2, 'http://127.0.0.1:9/', 'whsec_x')`, [endpoint, tenant]);
  // Statistics of empty tables: the stale case.
  await q(`analyze delivery_queue; analyze deliveries; analyze delivery_failures; analyze events; analyze event_payloads`);
  const ev = Array.from({ length: 2 * QUEUED }, () => newId('evt'));
  const dl = Array.from({ length: 2 * QUEUED }, () => newId('dlv'));
  await q(`insert into events (id, tenant_id, type) select e, $2, 'queued.x' from unnest($1::text[]) e`, [ev, tenant]);
  await q(`insert into event_payloads (event_id, data) select e, '{"n":1}' from unnest($1::text[]) e`, [ev]);
  // the first QUEUED deliveries are pending and queued (due over the last hour), the rest failed
  await q(
    `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts)
     select d, $3, e, $4, 'queued.x', case when n <= $5 then 'pending' else 'failed' end, 1, 1
       from unnest($1::text[], $2::text[]) with ordinality as t(d, e, n)`, [dl, ev, tenant, endpoint, QUEUED]);
  await q(
    `insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
     select d, 2, $2, $3, date_trunc('milliseconds', now()) - interval '1 hour' + n * interval '100 milliseconds'
       from unnest($1::text[]) with ordinality as t(d, n)`, [dl.slice(0, QUEUED), endpoint, tenant]);
  queue = (await q(`select delivery_id, due_at from delivery_queue order by due_at, delivery_id`)).rows;
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

/** How the plan reads a table: "Index Scan on <index> (<rows> rows)" per node that touches it. */
function readsOf(plan: PlanNode[], table: string): string[] {
  // a partition of the table counts as the table (the batches' deliveries are all of today's)
  return plan.filter((n) => n['Node Type'].endsWith('Scan') && (unpartitioned(n['Relation Name']) === table || (n['Node Type'] === 'Bitmap Index Scan' && unpartitioned(n['Index Name'])?.startsWith(`${table}_`))))
    .map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${unpartitioned(n['Index Name'])}` : ''} (${(n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1)} rows)`);
}

/** How the batch's deliveries were read, unless through their primary key (an index scan, or a bitmap of exactly those keys). */
function notByKey(reads: string[]): string[] {
  const byKey = ['Index Scan on deliveries_pkey (1000 rows)', 'Bitmap Heap Scan (1000 rows)', 'Bitmap Index Scan on deliveries_pkey (1000 rows)'];
  return reads.length === 0 ? ['not read at all'] : reads.filter((r) => !byKey.includes(r));
}

/** Hash joins (each builds over a whole input) and nodes that read rows to throw them away. */
function wasted(plan: PlanNode[]): string[] {
  return plan.filter((n) => n['Node Type'].startsWith('Hash') || (n['Rows Removed by Filter'] ?? 0) >= 100)
    .map((n) => `${n['Node Type']} ${n['Relation Name'] ?? ''} removed ${n['Rows Removed by Filter'] ?? 0}`);
}

/** EXPLAIN ANALYZE of a statement on a connection inside a transaction the caller rolls back. */
async function explain(client: Queryable, text: string, params: unknown[]): Promise<PlanNode[]> {
  const { rows } = await client.query(`explain (analyze, format json) ${text}`, params);
  return nodes(rows[0]['QUERY PLAN'][0].Plan);
}

/** Runs fn in a transaction that is always rolled back: the tables stay as seeded. */
async function rolledBack<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    return await fn(client);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

describe.each([['stale statistics'], ['fresh statistics']])('with %s', (stats) => {
  beforeAll(async () => {
    if (stats === 'fresh statistics') await db.pool.query(`analyze delivery_queue; analyze deliveries; analyze delivery_failures; analyze events; analyze event_payloads`);
  });

  it('a fetch of due attempts walks the queue index from its cursor and reads only what it returns', async () => {
    rec.reads = [];
    const after = queue[100];
    const { due } = await new WorkerRepository(rec).fetchDue(endpoint, [queue[101].delivery_id], {
      manual: 0, scheduled: 16, after: { dueAt: after.due_at, deliveryId: after.delivery_id },
    });
    // the 16 oldest after the cursor, less the one this driver holds already
    expect(due.map((d) => d.delivery_id)).toEqual(queue.slice(102, 118).map((r) => r.delivery_id));
    expect(rec.reads.map((r) => r.name)).toEqual(['delivery_fetch_due']);
    const [{ text, params }] = rec.reads;
    // EXPLAINed as the fetch runs: in Db.queueReads
    const plan = await rec.queueReads(async (read) =>
      nodes((await read<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>('queue_plans_explain', `explain (analyze, format json) ${text}`, params))[0]['QUERY PLAN'][0].Plan));
    expect(readsOf(plan, 'delivery_queue')).toEqual(['Index Scan on delivery_queue_due_idx (16 rows)']);
    expect(plan.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });

  it("a released endpoint's next drain comes from the oldest due time along the index", async () => {
    rec.statements = [];
    await new WorkerRepository(rec).release(endpoint, 'nobody', null);
    const next = rec.statements.find((s) => s.text.includes('delivery_queue'))!;
    const plan = await rolledBack((client) => explain(client, next.text, next.params));
    expect(readsOf(plan, 'delivery_queue')).toEqual([expect.stringMatching(/^Index (Only )?Scan on delivery_queue_due_idx \(1 rows\)$/)]);
  });

  it("a paced recover counts its endpoint's queue up to the cap along the index, in Db.queueReads", async () => {
    rec.reads = [];
    expect(await new EndpointsRepository(rec).queuedUpTo(endpoint, 10_000)).toBe(10_000);
    expect(rec.reads.map((r) => r.name)).toEqual(['endpoint_queued_up_to']);
    const [{ text, params }] = rec.reads;
    const plan = await rec.queueReads(async (read) =>
      nodes((await read<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>('queue_plans_explain_count', `explain (analyze, format json) ${text}`, params))[0]['QUERY PLAN'][0].Plan));
    expect(readsOf(plan, 'delivery_queue')).toEqual([expect.stringMatching(/^Index (Only )?Scan on delivery_queue_due_idx \(10000 rows\)$/)]);
    expect(plan.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });

  it('a recover batch finds its deliveries by key, not by a join over the deliveries table', async () => {
    rec.explaining = /update deliveries/;
    const plan = await rolledBack(async (client) => {
      await new EndpointsRepository(rec).reopenFailedBatch(client, endpoint, new Date(Date.now() - 3_600_000), null, 1000);
      return rec.plan;
    }).finally(() => (rec.explaining = null));
    expect(notByKey(readsOf(plan, 'deliveries'))).toEqual([]);
    expect(wasted(plan)).toEqual([]);
  });

  it("an endpoint's delete ends its queue in batches found by key", async () => {
    let plan: PlanNode[] = [];
    await rolledBack(async (client) => {
      // the statement that ends the deliveries runs EXPLAINed: its plan is the one that did the work
      const recording: Queryable = { query: (async (text: string, params: unknown[]) => {
        if (!text.includes('update deliveries')) return client.query(text, params);
        plan = await explain(client, text, params);
        return { rows: [] };
      }) as Queryable['query'] };
      expect(await endQueuedDeliveries(recording, endpoint, 'cancelled', 1000)).toBe(1000);
    });
    expect(notByKey(readsOf(plan, 'deliveries'))).toEqual([]);
    expect(wasted(plan)).toEqual([]);
  });
});

describe('Db.queueReads', () => {
  it('plans along indexes and without sorts (a cached plan that could sort took 10 ms a fetch where this takes 0.3)', async () => {
    const settings = await rec.queueReads((read) => read<Record<string, string>>('queue_plans_settings',
      `select current_setting('enable_sort') as sort, current_setting('enable_bitmapscan') as bitmap,
              current_setting('enable_seqscan') as seq, current_setting('transaction_read_only') as read_only`, []));
    expect(settings).toEqual([{ sort: 'off', bitmap: 'off', seq: 'off', read_only: 'on' }]);
  });

  it('the plan a connection caches for the fetch (a generic plan, as after five runs) walks the index too', async () => {
    rec.reads = [];
    await new WorkerRepository(rec).fetchDue(endpoint, [], { manual: 0, scheduled: 16 });
    const [{ text }] = rec.reads;
    const after = queue[200];
    const plan = await rec.queueReads(async (read) => {
      await read('queue_plans_prepare', `prepare queue_plans_fetch(text, text[], int, timestamptz, text) as ${text}`, []);
      try {
        await read('queue_plans_generic', 'set local plan_cache_mode = force_generic_plan', []);
        const [row] = await read<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>('queue_plans_execute',
          `explain (analyze, format json) execute queue_plans_fetch('${endpoint}', '{}', 16, '${after.due_at.toISOString()}', '${after.delivery_id}')`, []);
        return nodes(row['QUERY PLAN'][0].Plan);
      } finally {
        await read('queue_plans_deallocate', 'deallocate queue_plans_fetch', []);
      }
    });
    expect(readsOf(plan, 'delivery_queue')).toEqual(['Index Scan on delivery_queue_due_idx (16 rows)']);
    expect(plan.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });
});

describe('endQueuedDeliveries', () => {
  it('counts the rows it picked, so a loop over full batches ends every delivery, also one with a manual attempt queued beside its scheduled one', async () => {
    const ep = newId('ep');
    await db.pool.query(`insert into endpoints (id, tenant_id, url, secret) values ($1, $2, 'http://127.0.0.1:9/', 'whsec_x')`, [ep, tenant]);
    const ev = [newId('evt'), newId('evt'), newId('evt')];
    const dl = [newId('dlv'), newId('dlv'), newId('dlv')];
    await db.pool.query(`insert into events (id, tenant_id, type) select e, $2, 'queued.x' from unnest($1::text[]) e`, [ev, tenant]);
    await db.pool.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type) select d, $3, e, $4, 'queued.x' from unnest($1::text[], $2::text[]) t(d, e)`,
      [dl, ev, tenant, ep]);
    // each delivery's scheduled attempt first, then a manual attempt of each
    await db.pool.query(
      `insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
       select d, a, $2, $3, now() + (a * 10 + n) * interval '1 second' from unnest($1::text[]) with ordinality t(d, n), unnest(array[0, 2]) a
        order by a desc, n`, [dl, ep, tenant]);
    const batches: number[] = [];
    await rolledBack(async (client) => {
      // the worker's loop: another batch while the last one was full
      for (let n = 2; n === 2;) batches.push(n = await endQueuedDeliveries(client, ep, 'cancelled', 2));
      const left = await client.query(`select count(*)::int as n from delivery_queue where endpoint_id = $1`, [ep]);
      const statuses = await client.query(`select distinct status from deliveries where endpoint_id = $1`, [ep]);
      expect({ queued: left.rows[0].n, statuses: statuses.rows.map((r) => r.status) }).toEqual({ queued: 0, statuses: ['cancelled'] });
    });
    expect(batches.every((n) => n <= 2)).toBe(true);
  });
});
