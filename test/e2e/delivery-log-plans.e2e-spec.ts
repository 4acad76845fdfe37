import { idAtOrAfter, newId } from '../../src/common/ids';
import { Db, type IndexRead } from '../../src/database/db';
import { DeliveriesRepository, DeliveryFilter, SCAN_BUDGET } from '../../src/deliveries/deliveries.repository';
import { createLogPartitions, LOG_PARTITIONED_TABLES, spansOf } from '../../src/database/log-partitions';
import { EventsRepository } from '../../src/events/events.repository';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { nodes, type PlanNode, unpartitioned } from '../support/plans';

/**
 * The delivery and event logs' reads use an index whatever the filters and whatever the
 * statistics say: each statement the repositories run is EXPLAINed on a seeded log, first
 * with statistics taken while the tables were empty, then with fresh ones.
 */
class RecordingDb extends Db {
  /** The first statement of the last read (the page; a short page's walk-end query follows it). */
  last: { text: string; params: unknown[] } | null = null;
  reads: Array<{ text: string; params: unknown[] }> = [];
  override async indexReads<T>(fn: (read: IndexRead) => Promise<T>): Promise<T> {
    this.reads = [];
    return super.indexReads((read) => fn(async (name, text, params) => {
      this.reads.push({ text, params });
      this.last = this.reads[0];
      return read(name, text, params);
    }));
  }
}

const ROWS = 30_000;
let db: TestDatabase;
let rec: RecordingDb;
let deliveries: DeliveriesRepository;
let events: EventsRepository;
const tenant = newId('ten');
const other = newId('ten');
const endpoints = [newId('ep'), newId('ep')];
let someEvent = '';
let oldestEvent = '';
let middle = '';

beforeAll(async () => {
  db = await createTestDatabase();
  rec = new RecordingDb(db.pool);
  deliveries = new DeliveriesRepository(rec);
  events = new EventsRepository(rec);
  const q = (text: string, params?: unknown[]) => db.pool.query(text, params);
  await q(`insert into tenants (id, name) values ($1, 'big'), ($2, 'small')`, [tenant, other]);
  for (const ep of endpoints) {
    await q(`insert into endpoints (id, tenant_id, url, secret) values ($1, $2, 'http://127.0.0.1:9/', 'whsec_x')`, [ep, tenant]);
  }
  // A month of day partitions before the seed's: every plan is made over as many partitions as
  // the payload tables of a service keeping 30 days have, more than its log tables have.
  await createLogPartitions(async (text, params) => (await q(text, params)).rows, new Date(Date.now() - 32 * 86_400_000), new Date(Date.now() - 2 * 86_400_000), spansOf(LOG_PARTITIONED_TABLES, 1));
  // Statistics of empty tables: the stale case.
  await q(`analyze events; analyze deliveries; analyze delivery_failures; analyze delivery_queue; analyze attempts; analyze event_payloads; analyze attempt_bodies`);
  const ev: string[] = [];
  const dl: string[] = [];
  // ids carry the time of their created_at, as the service's do (one row a second, up to now)
  const start = Date.now() - ROWS * 1000;
  for (let i = 1; i <= ROWS; i++) {
    const at = new Date(start + i * 1000);
    ev.push(idAtOrAfter('evt', at) + newId('evt').slice(-16));
    dl.push(idAtOrAfter('dlv', at) + newId('dlv').slice(-16));
  }
  middle = new Date(start + (ROWS / 2) * 1000).toISOString();
  someEvent = ev[ROWS / 3];
  oldestEvent = ev[0];
  await q(
    `insert into events (id, tenant_id, type, created_at)
     select e, $2, 'type.' || (n % 5), to_timestamp(($3::bigint + n * 1000) / 1000.0)
       from unnest($1::text[]) with ordinality as t(e, n)`, [ev, tenant, start]);
  await q(`insert into event_payloads (event_id, data) select e, '{}' from unnest($1::text[]) e`, [ev]);
  await q(
    `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, created_at)
     select d, $3, e, ($4::text[])[1 + n % 2], 'type.' || (n % 5),
            case when n % 300 = 0 then 'failed' when n % 1000 = 1 then 'pending' else 'succeeded' end, 1,
            to_timestamp(($5::bigint + n * 1000) / 1000.0)
       from unnest($1::text[], $2::text[]) with ordinality as t(d, e, n)`, [dl, ev, tenant, endpoints, start]);
  await q(
    `insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
     select id, 2, endpoint_id, tenant_id, now() + interval '1 hour' from deliveries where status = 'pending'`);
  // one attempt per delivery, its id of the delivery's time, as the worker writes them
  await q(
    `insert into attempts (id, delivery_id, endpoint_id, number, trigger, started_at, duration_ms, request_url, response_status)
     select 'att_' || substr(id, 5), id, endpoint_id, 1, 'scheduled', created_at, 12, 'http://127.0.0.1:9/', 200 from deliveries`);
  await q(`insert into attempt_bodies (attempt_id, body) select id, 'ok' from attempts`);
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

/** The most rows a plan node read and threw away, with the node (so a failure shows it). */
function removed(plan: PlanNode[]): number | string {
  const worst = plan.reduce((a, n) => ((n['Rows Removed by Filter'] ?? 0) > (a['Rows Removed by Filter'] ?? 0) ? n : a), plan[0]);
  const n = worst['Rows Removed by Filter'] ?? 0;
  return n < 200 ? n : `${n} rows removed by ${worst['Node Type']} on ${worst['Relation Name'] ?? '?'} ${JSON.stringify(worst).slice(0, 300)}`;
}

/** Sequential scans of the history (the small side tables may be read whole while they are small). */
function historyScans(plan: PlanNode[]): string[] {
  return plan.filter((n) => n['Node Type'] === 'Seq Scan' && HISTORY.test(n['Relation Name'] ?? '')).map((n) => n['Relation Name']!);
}
/** The log's tables and their partitions. */
const HISTORY = /^(deliveries|events|attempts|event_payloads|attempt_bodies)(_p\d+)?$/;

async function explainLast(statement = rec.last!): Promise<PlanNode[]> {
  const { text, params } = statement;
  const client = await db.pool.connect();
  try {
    // the settings the repository reads with (Db.preparedIndexRead)
    await client.query('begin read only; set local enable_seqscan = off; set local enable_bitmapscan = off; set local enable_hashjoin = off; set local enable_mergejoin = off');
    const { rows } = await client.query(`explain (analyze, format json) ${text}`, params);
    return nodes(rows[0]['QUERY PLAN'][0].Plan);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

const deliveryFilters: Array<[string, () => DeliveryFilter, string | null]> = [
  ['no filter', () => ({}), null],
  ['status=failed', () => ({ status: 'failed' }), null],
  ['status=cancelled (none)', () => ({ status: 'cancelled' }), null],
  ['status=pending', () => ({ status: 'pending' }), null],
  ['status=succeeded', () => ({ status: 'succeeded' }), null],
  ['endpointId', () => ({ endpointId: endpoints[0] }), null],
  ['eventId', () => ({ eventId: someEvent }), null],
  ['eventId of the oldest event', () => ({ eventId: oldestEvent }), null],
  ['eventType', () => ({ eventType: 'type.3' }), null],
  ['since=now (nothing matches)', () => ({ since: new Date(Date.now() + 1000).toISOString() }), null],
  ['until=long ago (nothing matches)', () => ({ until: '2001-01-01T00:00:00Z' }), null],
  ['status=failed&endpointId', () => ({ status: 'failed', endpointId: endpoints[1] }), null],
  ['cursor deep in the history', () => ({}), 'deep'],
];

describe.each([['stale statistics'], ['fresh statistics']])('with %s', (stats) => {
  beforeAll(async () => {
    if (stats === 'fresh statistics') await db.pool.query(`analyze events; analyze deliveries; analyze delivery_failures; analyze delivery_queue; analyze event_payloads; analyze attempt_bodies`);
  });

  it.each(deliveryFilters)('deliveries %s: an index, no filtered scan of the history', async (_name, filter, cursor) => {
    const before = cursor ? (await db.pool.query(`select id from deliveries order by id limit 1 offset 100`)).rows[0].id : null;
    const { rows } = await deliveries.list(tenant, filter(), 21, before);
    if (filter().status) expect(rows.every((r) => r.status === filter().status)).toBe(true);
    const plan = await explainLast();
    expect(historyScans(plan)).toEqual([]);
    expect(removed(plan)).toBeLessThan(200);
  });

  it("deliveries eventId: the event's index is read in the one partition of its time, not in every one", async () => {
    await deliveries.list(tenant, { eventId: someEvent }, 21, null);
    const plan = await explainLast();
    const partitions = await db.pool.query(`select count(*)::int as n from pg_inherits where inhparent = 'deliveries'::regclass`);
    expect(partitions.rows[0].n).toBeGreaterThan(30);
    // the walk's reads of deliveries (the page's lookups by id are pruned as they run)
    const walk = plan.filter((n) => unpartitioned(n['Relation Name']) === 'deliveries' && !/id = [kx]\.id/.test(n['Index Cond'] ?? ''));
    expect(walk.map((n) => n['Relation Name'])).toHaveLength(1);
  });

  it.each([
    ['no filter', {}],
    ['type', { type: 'type.2' }],
    ['since=now', { since: new Date(Date.now() + 1000).toISOString() }],
    ['until=long ago', { until: '2001-01-01T00:00:00Z' }],
    ['until=middle', 'middle'],
  ])('events %s: an index, no filtered scan', async (_name, filter) => {
    await events.list(tenant, filter === 'middle' ? { until: middle } : filter, 21, null);
    const plan = await explainLast();
    expect(historyScans(plan)).toEqual([]);
    expect(removed(plan)).toBeLessThan(200);
  });

  it('event payloads: one key lookup per listed event, not a join over the partitioned table', async () => {
    await events.list(tenant, { until: middle }, 21, null);
    const plan = await explainLast();
    const payloadReads = plan.filter((n) => /^event_payloads_p\d+$/.test(n['Relation Name'] ?? ''));
    expect(payloadReads.length).toBeGreaterThan(0);
    expect(plan.filter((n) => /Merge|Hash/.test(n['Node Type'])).map((n) => n['Node Type'])).toEqual([]);
    // rows read from the payload partitions, over every loop: the page's, no more
    expect(payloadReads.reduce((a, n) => a + (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 0), 0)).toBeLessThanOrEqual(21);
  });
});

describe('a filter no index holds (an endpoint and a rare event type)', () => {
  it('reads at most SCAN_BUDGET entries a page, and its cursors find every match and end', async () => {
    // three deliveries of endpoints[1], among the oldest, get a type no other has
    const { rows: rare } = await db.pool.query(
      `update deliveries set event_type = 'type.rare' where id in (select id from deliveries where endpoint_id = $1 order by id limit 3) returning id`, [endpoints[1]]);
    try {
      for (const [endpointId, expected] of [[endpoints[1], rare.map((r) => r.id).sort().reverse()], [endpoints[0], []]] as const) {
        const found: string[] = [];
        let before: string | null = null;
        let pages = 0;
        do {
          const listing = await deliveries.list(tenant, { endpointId, eventType: 'type.rare' }, 21, before);
          expect(rec.reads).toHaveLength(2);
          for (const statement of rec.reads) {
            const plan = (await explainLast(statement)) as Array<PlanNode & { 'Actual Rows'?: number; 'Actual Loops'?: number }>;
            const read = plan.filter((n) => unpartitioned(n['Relation Name']) === 'deliveries').map((n) => (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1));
            expect(historyScans(plan)).toEqual([]);
            expect(Math.max(...read)).toBeLessThanOrEqual(SCAN_BUDGET);
          }
          found.push(...listing.rows.map((r) => r.id));
          before = listing.scanEnd;
          pages++;
        } while (before !== null && pages < 100);
        expect(found).toEqual(expected);
        expect(pages).toBeGreaterThan(ROWS / 2 / SCAN_BUDGET - 1);
        expect(pages).toBeLessThan(ROWS / 2 / SCAN_BUDGET + 2);
      }
    } finally {
      await db.pool.query(`update deliveries set event_type = 'type.0' where event_type = 'type.rare'`);
    }
  });
});

describe('another tenant', () => {
  it.each([['endpointId', {}], ['status=failed&endpointId', { status: 'failed' as const }]])(
    'naming an endpoint that is not its own (%s) gets nothing, and no index is walked', async (_name, extra) => {
      expect(await deliveries.list(other, { endpointId: endpoints[0], ...extra }, 21, null)).toEqual({ rows: [], scanEnd: null });
      const plan = (await explainLast()) as Array<PlanNode & { 'Actual Rows'?: number }>;
      const scans = plan.filter((n) => ['deliveries', 'delivery_failures'].includes(unpartitioned(n['Relation Name']) ?? ''));
      expect(scans.map((n) => n['Actual Rows'] ?? 0)).toEqual(scans.map(() => 0));
    });
});

describe('delivery_failures follows the status', () => {
  it('a failed delivery is listed, a recovered one leaves, a cancelled one is listed again', async () => {
    const { rows } = await db.pool.query(`select id from deliveries where status = 'failed' limit 1`);
    const id = rows[0].id as string;
    const listed = async () => (await db.pool.query(`select status from delivery_failures where delivery_id = $1`, [id])).rows.map((r) => r.status);
    expect(await listed()).toEqual(['failed']);
    await db.pool.query(`update deliveries set status = 'pending' where id = $1`, [id]);
    expect(await listed()).toEqual([]);
    await db.pool.query(`update deliveries set status = 'cancelled' where id = $1`, [id]);
    expect(await listed()).toEqual(['cancelled']);
    expect((await deliveries.list(tenant, { status: 'cancelled' }, 10, null)).rows.map((r) => r.id)).toEqual([id]);
    await db.pool.query(`update deliveries set status = 'succeeded' where id = $1`, [id]);
    expect(await listed()).toEqual([]);
  });

  it('the attempt record path (pending to succeeded) stays a HOT update', async () => {
    const { rows } = await db.pool.query(`select id from deliveries where status = 'pending' limit 1`);
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      // this backend's counters of the partition holding it (they include its earlier, not yet flushed, statements)
      const { rows: [{ part }] } = await client.query(`select tableoid::regclass::text as part from deliveries where id = $1`, [rows[0].id]);
      const counts = async () => (await client.query(`select pg_stat_get_xact_tuples_updated($1::regclass)::int as upd,
                                                       pg_stat_get_xact_tuples_hot_updated($1::regclass)::int as hot`, [part])).rows[0];
      const before = await counts();
      await client.query(`update deliveries set status = 'succeeded', attempt_count = attempt_count + 1, last_attempt_at = now(), updated_at = now() where id = $1`, [rows[0].id]);
      const after = await counts();
      expect({ upd: after.upd - before.upd, hot: after.hot - before.hot }).toEqual({ upd: 1, hot: 1 });
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

describe('Db.indexReads', () => {
  it('runs its reads in one snapshot (repeatable read), so a page and its walk-end see the same rows', async () => {
    const seen = await new Db(db.pool).indexReads(async (read) => {
      const [first] = await read<{ n: number }>('plans_count_a', 'select count(*)::int as n from deliveries', []);
      await db.pool.query(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type) values ($1, $2, $3, $4, 'type.0')`,
        [newId('dlv'), tenant, someEvent, endpoints[0]]);
      const [second] = await read<{ n: number }>('plans_count_b', 'select count(*)::int as n from deliveries', []);
      const [iso] = await read<{ transaction_isolation: string }>('plans_iso', 'show transaction_isolation', []);
      const [settings] = await read<{ plans: string; parallel: string }>('plans_settings',
        `select current_setting('plan_cache_mode') as plans, current_setting('max_parallel_workers_per_gather') as parallel`, []);
      return { first: first.n, second: second.n, iso: iso.transaction_isolation, ...settings };
    });
    // custom plans only (a generic one guesses an average tenant), and no parallel workers
    expect(seen).toEqual({ first: seen.first, second: seen.first, iso: 'repeatable read', plans: 'force_custom_plan', parallel: '0' });
  });
});
