/**
 * `npm run bench -- --scale[=1e7]` (issue 9, points 6 and 7): grows one tenant's delivery log
 * to the target in SQL batches (bench/lib/scale-seed.ts) and, at every decade from 1e5,
 * measures through the real HTTP API, one request at a time, every delivery-log and event-log
 * read with stale and with fresh statistics, a publish burst (publish p99, deliveries/s end
 * to end), and the bytes each delivery costs in every table of the log.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool as PgPool } from 'pg';
import { Pool } from 'undici';
import type { AppConfig } from '../../src/config/config';
import { Db } from '../../src/database/db';
import { createLogPartitions, HISTORY_TABLES, listPartitions, LOG_PARTITIONED_TABLES, LOG_PARTITIONS_COMPACT_LOCK, LogPartitioned, PAYLOAD_TABLES, partitionsBefore, partitionSpans, RunSql } from '../../src/database/log-partitions';
import { LogPartitionsService } from '../../src/database/log-partitions.service';
import { RetentionRepository } from '../../src/worker/retention.repository';
import { CLOSED_AFTER_MS, RetentionService } from '../../src/worker/retention.service';
import { DeliveriesRepository, DeliveryFilter } from '../../src/deliveries/deliveries.repository';
import { EventsRepository } from '../../src/events/events.repository';
import type { BucketStats } from '../receiver';
import { Publisher, eventBody } from './load';
import {
  COMMON_TYPE, EVENT_TYPES, LOG_TABLES, RARE_TYPE, STATUS_MIX, SeedSpan, SeedTemplates,
  deliveriesOfEvents, disableAutovacuum, eventsForDeliveries, relationsOf, seedBatch,
} from './scale-seed';
import { LatencySummary, round, summarise } from './stats';

export interface ScaleOptions {
  target: number;
  /** Days of history the whole seed spans (within RETENTION_DAYS, so retention leaves it alone). */
  days: number;
  /** Sequential requests per read (each read also stops after `readCapMs`). */
  samples: number;
  readCapMs: number;
  /** Deliveries per seed transaction. */
  batch: number;
  /** Publishes of the burst at each decade (each goes to every endpoint of the tenant). */
  burstEvents: number;
  endpoints: number;
}

export interface ScaleContext {
  apiOrigin: string;
  adminToken: string;
  databaseUrl: string;
  receiverOrigin: string;
  receiverStats(bucket: string): Promise<BucketStats>;
  waitForDeliveries(bucket: string, expected: number, timeoutMs: number): Promise<BucketStats>;
  assertAlive(): void;
  log(line: string): void;
  /** Called after every decade with the results so far (the run writes them, so a cut-short run keeps its decades). */
  onDecade?(partial: ScaleResults): void;
}

/** One read of the API: a path under the tenant with a query, or a walk along nextCursor. */
interface ReadDef {
  name: string;
  kind: 'deliveries' | 'events';
  query: Record<string, string>;
  /** Follow nextCursor this many pages; each page is one sample. */
  walk?: number;
}

export interface ReadResult extends LatencySummary {
  name: string;
  /** Rows on the first page (of 20), to show "nothing matches" and "few match". */
  rows: number;
  non200: number;
  path: string;
}

interface ExplainResult {
  read: string;
  statistics: 'stale' | 'fresh';
  p99: number | null;
  sql: string;
  params: unknown[];
  customPlan: string;
  genericPlan: string;
}

export interface TableSize {
  table: string;
  rows: number;
  totalBytes: number;
  heapBytes: number;
  indexBytes: number;
  toastBytes: number;
  bytesPerDelivery: number;
  /** Each index of the table (partitions summed by name) in bytes per delivery. */
  indexes: Record<string, number>;
}

export interface DecadeResult {
  decade: number;
  deliveries: number;
  events: number;
  attempts: number;
  statuses: Record<string, number>;
  seed: { seconds: number; deliveriesAdded: number; secondsPerMillion: number | null };
  statistics: { stale: string; staleReltuplesDeliveries: number; freshReltuplesDeliveries: number };
  reads: { stale: ReadResult[]; fresh: ReadResult[] };
  publish: { events: number; accepted: number; non2xx: number; responseMs: LatencySummary; deliveries: number; expected: number; deliveriesPerSec: number; seconds: number };
  sizes: TableSize[];
  /** Deliveries of every tenant when the sizes were taken (after seeding, before the reads and the burst). */
  deliveriesAtSizes: number;
  bytesPerDelivery: number;
  explains: ExplainResult[];
  loadAverage: number[];
}

export interface ScaleResults {
  options: ScaleOptions;
  tenantId: string;
  autovacuum: string;
  autovacuumOffFor: string[];
  statusMix: typeof STATUS_MIX;
  eventTypes: string[];
  rareType: string;
  decades: DecadeResult[];
  /** Retention at the final size: the oldest partition of each table dropped while a publish burst runs. */
  retention?: RetentionResult;
  /** After it: the indexes of the closed partitions packed while publish bursts run. */
  compaction?: CompactionResult;
}

export interface CompactionResult {
  indexes: number;
  partitions: string[];
  /** indexes of those partitions the run's budget left for the next (0: all packed) */
  left: number;
  ms: number;
  /** the rebuilt indexes' bytes */
  indexBytes: { before: number; after: number };
  /**
   * What a delivery costs once its partition is closed: every log table's partitions within the
   * time of the closed deliveries partitions (payloads and bodies too), over their deliveries.
   */
  closed: { deliveries: number; bytesPerDelivery: { before: number; after: number }; tables: Record<string, { before: number; after: number }> };
  publish: { events: number; non2xx: number; responseMs: LatencySummary; seconds: number };
}

export interface RetentionResult {
  partitions: string[];
  /** rows of the dropped partitions (counted before the drop) */
  rows: number;
  ms: number;
  publish: { events: number; non2xx: number; responseMs: LatencySummary; seconds: number };
}

const SLOW_MS = 50;

export async function runScale(ctx: ScaleContext, opts: ScaleOptions): Promise<ScaleResults> {
  const pg = new Client({ connectionString: ctx.databaseUrl });
  pg.on('error', () => undefined); // the database going away on SIGINT/SIGTERM is reported by the run, not thrown here
  await pg.connect();
  // The worker's hourly retention run would pack partitions the later decades still seed into
  // (closed by the clock, not by a live log's writes): held until the bench packs itself. Tried,
  // not waited for: a session waiting with a snapshot would stall a rebuild under way.
  while (!(await pg.query<{ locked: boolean }>(`select pg_try_advisory_lock($1) as locked`, [LOG_PARTITIONS_COMPACT_LOCK])).rows[0].locked) await sleep(1_000);
  const api = new Pool(ctx.apiOrigin, { connections: 1, pipelining: 1, keepAliveTimeout: 60_000 });
  const publishPool = new Pool(ctx.apiOrigin, { connections: 64, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    return await scale(ctx, opts, pg, api, publishPool);
  } finally {
    await api.close();
    await publishPool.close();
    await pg.end();
  }
}

async function scale(ctx: ScaleContext, opts: ScaleOptions, pg: Client, api: Pool, publishPool: Pool): Promise<ScaleResults> {
  const { log } = ctx;
  const auth = { authorization: `Bearer ${ctx.adminToken}`, 'content-type': 'application/json' };
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const res = await api.request({ path, method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, json: (text ? JSON.parse(text) : null) as T };
  };
  const must = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const r = await call<T>(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  };

  // The tenant, its endpoints, and real events of every type through the API: the rows the
  // service writes for them are what the seed copies (summaries, request headers).
  const tenant = await must<{ id: string }>('POST', '/v1/tenants', { name: 'bench scale' });
  for (let i = 0; i < opts.endpoints; i++) {
    await must('POST', `/v1/tenants/${tenant.id}/endpoints`, { url: `${ctx.receiverOrigin}/scale/e${i}`, description: `scale ${i}` });
  }
  const eventsPath = `/v1/tenants/${tenant.id}/events`;
  let expectedReal = 0;
  for (const type of EVENT_TYPES) {
    const events = Array.from({ length: 10 }, (_, i) => ({ type, data: (JSON.parse(eventBody(i)) as { data: unknown }).data }));
    const out = await must<{ data: Array<{ deliveries: number }> }>('POST', `${eventsPath}/batch`, { events });
    expectedReal += out.data.reduce((a, e) => a + e.deliveries, 0);
  }
  log(`scale: tenant ${tenant.id}, ${opts.endpoints} endpoints; ${EVENT_TYPES.length * 10} real events (${expectedReal} deliveries) to copy from`);
  const warm = await ctx.waitForDeliveries('scale', expectedReal, 60_000);
  if (warm.unique < expectedReal) throw new Error(`only ${warm.unique}/${expectedReal} warm-up deliveries arrived`);
  await waitForQueue(pg, 30_000);

  const { rows: endpoints } = await pg.query<{ id: string; url: string }>(`select id, url from endpoints where tenant_id = $1 order by id`, [tenant.id]);
  const { rows: summaryRows } = await pg.query<{ type: string; summary: unknown }>(
    `select distinct on (type) type, summary from events where tenant_id = $1 and summary is not null order by type, id`, [tenant.id]);
  const { rows: headerRows } = await pg.query<{ request_headers: Record<string, string> | null }>(
    `select request_headers from attempts where delivery_id in (select id from deliveries where tenant_id = $1) and request_headers is not null limit 1`, [tenant.id]);
  const templates: SeedTemplates = {
    tenantId: tenant.id,
    endpoints,
    summaries: Object.fromEntries(summaryRows.map((r) => [r.type, r.summary])),
    requestHeaders: headerRows[0]?.request_headers ?? {},
  };
  log(`scale: copying summaries of ${summaryRows.length} types, attempt request_headers keys ${Object.keys(templates.requestHeaders).join(', ') || '(none)'}`);
  // The real rows go once copied: their ids are newer than the whole seeded history, and seeded
  // rows inserted to the left of them would split every id-ordered index page in half (a live
  // log only ever appends at the right edge). The vacuum deletes their index pages.
  await deleteTenantLog(pg, tenant.id);
  await pg.query(`vacuum events, event_payloads, deliveries, attempts, attempt_bodies, delivery_failures, delivery_queue`);

  // The publish bursts go to a tenant of their own (12 endpoints too), so the measured tenant's log holds seeded rows only.
  const burstTenant = await must<{ id: string }>('POST', '/v1/tenants', { name: 'bench scale burst' });
  for (let i = 0; i < opts.endpoints; i++) {
    await must('POST', `/v1/tenants/${burstTenant.id}/endpoints`, { url: `${ctx.receiverOrigin}/burst/e${i}`, description: `burst ${i}` });
  }

  // Statistics of the empty log, then no autovacuum on the log's tables: "stale" at the first
  // decade means analysed empty, later the previous decade's.
  const [{ autovacuum }] = (await pg.query<{ autovacuum: string }>('show autovacuum')).rows;
  const now = Date.now();
  // the partitions of the whole history the seed will write, as RETENTION_DAYS=30 and LOG_RETENTION_DAYS=30 make them
  // (payloads a day each, log rows five)
  await createLogPartitions(async (text, params) => (await pg.query(text, params)).rows, new Date(now - opts.days * 86_400_000), new Date(now), partitionSpans(30, 30));
  await pg.query('analyze');
  const autovacuumOffFor = await disableAutovacuum(pg);
  log(`scale: server autovacuum = ${autovacuum}; turned off for ${autovacuumOffFor.join(', ')} so stale statistics stay stale; everything analysed empty`);

  const span: SeedSpan = {
    startMs: now - opts.days * 86_400_000,
    endMs: now - 60_000,
    totalDeliveries: opts.target,
    salt: Math.random().toString(36).slice(2, 8),
  };
  const decades: number[] = [];
  for (let d = 1e5; d < opts.target; d *= 10) decades.push(d);
  decades.push(opts.target);

  const summary = (): ScaleResults => ({
    options: opts, tenantId: tenant.id, autovacuum, autovacuumOffFor, statusMix: STATUS_MIX, eventTypes: EVENT_TYPES, rareType: RARE_TYPE, decades: results,
  });
  let seededEvents = 0;
  let analysedAt = 'an empty log (after the warm-up rows were deleted)';
  const results: DecadeResult[] = [];
  for (const decade of decades) {
    ctx.assertAlive();
    // Seed up to the decade.
    const goalEvents = eventsForDeliveries(decade);
    const seedStarted = Date.now();
    const addedBefore = deliveriesOfEvents(seededEvents);
    const perBatch = Math.max(1, eventsForDeliveries(opts.batch));
    while (seededEvents < goalEvents) {
      ctx.assertAlive();
      const e1 = Math.min(goalEvents, seededEvents + perBatch);
      const r = await seedBatch(pg, templates, span, seededEvents, e1);
      seededEvents = e1;
      const total = deliveriesOfEvents(seededEvents);
      log(`  seed: ${total.toLocaleString('en')} / ${decade.toLocaleString('en')} deliveries (+${r.deliveries.toLocaleString('en')} with ${r.events.toLocaleString('en')} events in ${(r.ms / 1000).toFixed(1)} s, ${Math.round(r.deliveries / (r.ms / 1000)).toLocaleString('en')}/s; ms: ${Object.entries(r.steps).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    }
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const added = deliveriesOfEvents(seededEvents) - addedBefore;
    const counts = await logCounts(pg, tenant.id);
    // Sizes as seeded, before the reads and the burst (whose queue churn is not vacuumed yet).
    const sizes = await tableSizes(pg, counts.allDeliveries);
    const bytesPerDelivery = round(sizes.reduce((a, x) => a + x.totalBytes, 0) / Math.max(1, counts.allDeliveries));
    log(`  size: ${bytesPerDelivery} B per delivery (${sizes.map((x) => `${x.table} ${x.bytesPerDelivery}`).join(', ')})`);
    log(`  indexes, B per delivery: ${sizes.flatMap((x) => Object.entries(x.indexes).map(([k, v]) => `${k} ${v}`)).join(', ')}`);
    log(`decade ${decade.toLocaleString('en')}: ${counts.deliveries.toLocaleString('en')} deliveries, ${counts.events.toLocaleString('en')} events, ${counts.attempts.toLocaleString('en')} attempts (seeded ${added.toLocaleString('en')} in ${seedSeconds.toFixed(1)} s); statuses ${JSON.stringify(counts.statuses)}`);

    // The reads' parameters, from the history as it is now.
    const newestMs = span.startMs + (deliveriesOfEvents(seededEvents) / opts.target) * (span.endMs - span.startMs);
    const params = await readParams(pg, tenant.id, endpoints.map((e) => e.id), span.startMs, newestMs);
    const reads = readDefs(params);

    const staleReltuples = await reltuples(pg, 'deliveries');
    log(`  reads with stale statistics (analysed at ${analysedAt}; the planner counts ${staleReltuples.toLocaleString('en')} deliveries)`);
    const stale = await measureReads(ctx, api, tenant.id, reads, opts);
    const explains = await explainSlow(pg, tenant.id, reads, stale, 'stale');
    const analyzeStarted = Date.now();
    await pg.query('analyze');
    const freshReltuples = await reltuples(pg, 'deliveries');
    log(`  analyze: ${((Date.now() - analyzeStarted) / 1000).toFixed(1)} s; reads with fresh statistics`);
    const fresh = await measureReads(ctx, api, tenant.id, reads, opts);
    explains.push(...(await explainSlow(pg, tenant.id, reads, fresh, 'fresh')));
    const staleNote = analysedAt;
    analysedAt = `the ${decade.toLocaleString('en')} decade`;

    // A publish burst against the grown tables (another tenant): every event goes to its 12 endpoints.
    const before = (await ctx.receiverStats('burst')).unique;
    const publisher = new Publisher(publishPool, ctx.adminToken);
    log(`  publish burst: ${opts.burstEvents} events x ${opts.endpoints} endpoints, 64 in flight`);
    const out = await publisher.burst(`/v1/tenants/${burstTenant.id}/events`, opts.burstEvents, 64, 60_000);
    const stats = await ctx.waitForDeliveries('burst', before + out.expectedDeliveries, 120_000);
    const delivered = stats.unique - before;
    const e2eMs = (stats.last ?? out.firstSendAt) - out.firstSendAt;
    const publish = {
      events: out.sent, accepted: out.accepted, non2xx: out.non2xx + out.networkErrors, responseMs: summarise(out.responseMs),
      deliveries: delivered, expected: out.expectedDeliveries, deliveriesPerSec: e2eMs > 0 ? round((delivered * 1000) / e2eMs) : 0, seconds: round(e2eMs / 1000, 1),
    };
    log(`  publish p50/p99 ${publish.responseMs.p50}/${publish.responseMs.p99} ms; ${delivered}/${out.expectedDeliveries} delivered at ${publish.deliveriesPerSec}/s end to end`);
    await waitForQueue(pg, 60_000);
    if (decade !== decades[decades.length - 1]) await dropBurst(pg, burstTenant.id, log);

    results.push({
      decade,
      deliveries: counts.deliveries,
      events: counts.events,
      attempts: counts.attempts,
      statuses: counts.statuses,
      seed: { seconds: round(seedSeconds, 1), deliveriesAdded: added, secondsPerMillion: added > 0 ? round(seedSeconds / (added / 1e6), 1) : null },
      statistics: { stale: staleNote, staleReltuplesDeliveries: staleReltuples, freshReltuplesDeliveries: freshReltuples },
      reads: { stale, fresh },
      publish,
      sizes,
      deliveriesAtSizes: counts.allDeliveries,
      bytesPerDelivery,
      explains,
      loadAverage: loadavg().map((l) => round(l, 2)),
    });
    ctx.onDecade?.(summary());
  }
  const retention = await measureRetention(pg, ctx.databaseUrl, new Publisher(publishPool, ctx.adminToken), `/v1/tenants/${burstTenant.id}/events`, opts.burstEvents, log);
  await waitForQueue(pg, 60_000);
  const compaction = await measureCompaction(pg, ctx.databaseUrl, new Publisher(publishPool, ctx.adminToken), `/v1/tenants/${burstTenant.id}/events`, opts.burstEvents, log);
  await waitForQueue(pg, 60_000);
  return { ...summary(), retention, ...(compaction ? { compaction } : {}) };
}

async function logCounts(pg: Client, tenantId: string) {
  const { rows: statusRows } = await pg.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from deliveries where tenant_id = $1 group by status order by status`, [tenantId]);
  const one = async (sqlText: string, params: unknown[] = []) => (await pg.query<{ n: number }>(sqlText, params)).rows[0].n;
  return {
    statuses: Object.fromEntries(statusRows.map((r) => [r.status, r.n])),
    deliveries: statusRows.reduce((a, r) => a + r.n, 0),
    allDeliveries: await one(`select count(*)::int as n from deliveries`),
    events: await one(`select count(*)::int as n from events where tenant_id = $1`, [tenantId]),
    attempts: await one(`select count(*)::int as n from attempts`),
  };
}

async function reltuples(pg: Client, table: string): Promise<number> {
  const { rows } = await pg.query<{ n: number }>(
    `select coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint::float8 as n from pg_class c where c.oid in (${relationsOf('$1::regclass')})`, [table]);
  return rows[0].n;
}

/**
 * A live log only appends at the right edge of its id-ordered indexes. The burst's rows are
 * newer than every seeded row, so the next decade's seed would insert to their left and split
 * those pages in half: they are deleted, and the ascending indexes led by an id or the tenant
 * are rebuilt, which packs them as right-edge appends do (90 %); the partitions that held them are
 * vacuumed. Indexes led by an endpoint or
 * an event type, and descending ones, take inserts in many places in a live log too: they stay.
 */
async function dropBurst(pg: Client, burstTenantId: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  await deleteTenantLog(pg, burstTenantId);
  // The partitions of now held the burst: vacuumed, so that they do not keep pages of rows that
  // are all gone. A live log never deletes its newest rows; statistics taken over such pages
  // ("no row in these 500 pages") would tell the planner, after the next seed fills them, that
  // a partition of 200,000 rows is empty. Only these: the rest keep the statistics of the decade.
  const run: RunSql = async (text, params) => (await pg.query(text, params)).rows;
  const now = Date.now();
  for (const table of LOG_PARTITIONED_TABLES) {
    const holding = (await listPartitions(run, table)).find((p) => p.from.getTime() <= now && now < p.to.getTime());
    if (holding) await pg.query(`vacuum ${holding.name}`);
  }
  const { rows } = await pg.query<{ name: string }>(
    `select i.indexrelid::regclass::text as name
       from pg_index i join pg_class t on t.oid = i.indrelid
       join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
      where t.relname ~ '^(events|deliveries|attempts|event_payloads|attempt_bodies)_p\\d{8}$' and t.relkind = 'r'
        and a.attname in ('id', 'tenant_id', 'delivery_id', 'event_id', 'attempt_id')
        and pg_get_indexdef(i.indexrelid) not ilike '% desc%'
      order by 1`);
  for (const r of rows) await pg.query(`reindex index ${r.name}`);
  log(`  burst rows deleted; rebuilt ${rows.map((r) => r.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A tenant's events and everything of theirs, table by table: the log's tables hang off each other by id with no foreign key to cascade. */
async function deleteTenantLog(pg: Client, tenantId: string): Promise<void> {
  await pg.query(`delete from attempt_bodies b using attempts a, deliveries d
                   where b.attempt_id = a.id and a.delivery_id = d.id and d.tenant_id = $1`, [tenantId]);
  await pg.query(`delete from event_payloads p using events e where p.event_id = e.id and e.tenant_id = $1`, [tenantId]);
  await pg.query(`delete from attempts a using deliveries d where a.delivery_id = d.id and d.tenant_id = $1`, [tenantId]);
  await pg.query(`delete from delivery_failures where tenant_id = $1`, [tenantId]);
  await pg.query(`delete from delivery_queue where tenant_id = $1`, [tenantId]);
  await pg.query(`delete from deliveries where tenant_id = $1`, [tenantId]);
  await pg.query(`delete from events where tenant_id = $1`, [tenantId]);
}

/**
 * Retention at the final size (issue 9 point 3): the oldest seeded day of payloads and bodies,
 * and of events, deliveries and attempts (as LOG_RETENTION_DAYS does), is detached and dropped
 * by the service's own code (RetentionService) while a publish burst runs, which shows the
 * drop's time and the publish p99 beside it.
 */
async function measureRetention(pg: Client, databaseUrl: string, publisher: Publisher, path: string, events: number, log: (line: string) => void): Promise<RetentionResult> {
  const run: RunSql = async (text, params) => (await pg.query(text, params)).rows;
  // the end of the oldest partition of payloads, and of log rows (which span more days)
  const payloadHorizon = (await listPartitions(run, 'event_payloads'))[0].to;
  const logHorizon = (await listPartitions(run, 'events'))[0].to;
  let counted = 0;
  for (const table of LOG_PARTITIONED_TABLES) {
    const horizon = PAYLOAD_TABLES.includes(table) ? payloadHorizon : logHorizon;
    for (const { name } of await partitionsBefore(run, table, horizon)) {
      counted += (await pg.query<{ n: number }>(`select count(*)::int as n from ${name}`)).rows[0].n;
    }
  }
  const pool = new PgPool({ connectionString: databaseUrl, max: 2 });
  try {
    const burst = publisher.burst(path, events, 64, 60_000);
    await sleep(200);
    const started = Date.now();
    const config = { retentionDays: 30, logRetentionDays: 30 } as AppConfig;
    const db = new Db(pool);
    const service = new RetentionService(new RetentionRepository(db), new LogPartitionsService(db, config), config);
    const dropped = [...(await service.dropPayloadsBefore(payloadHorizon)), ...(await service.dropLogBefore(logHorizon))];
    const ms = Date.now() - started;
    const out = await burst;
    const result = {
      partitions: dropped, rows: counted, ms,
      publish: { events: out.sent, non2xx: out.non2xx + out.networkErrors, responseMs: summarise(out.responseMs), seconds: round((Date.now() - started) / 1000, 1) },
    };
    log(`  retention: dropped ${result.partitions.join(', ')} (${counted.toLocaleString('en')} rows) in ${ms} ms; publish p50/p99 beside it ${result.publish.responseMs.p50}/${result.publish.responseMs.p99} ms`);
    return result;
  } finally {
    await pool.end();
  }
}

/**
 * The hourly retention run's packing of closed partitions (LogPartitionsService.compactBefore,
 * through RetentionService.compactClosed) at the final size, while publish bursts run back to
 * back: how long it takes, the bytes per delivery before and after, and the publish p99 beside it.
 */
async function measureCompaction(pg: Client, databaseUrl: string, publisher: Publisher, path: string, events: number, log: (line: string) => void): Promise<CompactionResult | null> {
  const run: RunSql = async (text, params) => (await pg.query(text, params)).rows;
  const { rows: [{ now }] } = await pg.query<{ now: Date }>(`select now()`);
  // the partitions the run packs (those that ended CLOSED_AFTER_MS ago); their time, and what else holds it
  const closedDeliveries = (await listPartitions(run, 'deliveries')).filter((p) => p.detach !== null && p.to.getTime() <= now.getTime() - CLOSED_AFTER_MS);
  if (closedDeliveries.length === 0) {
    log(`  packing: no partition ended ${CLOSED_AFTER_MS / 86_400_000} days ago (a longer --days has some); not measured`);
    return null;
  }
  const from = Math.min(...closedDeliveries.map((p) => p.from.getTime()));
  const to = Math.max(...closedDeliveries.map((p) => p.to.getTime()));
  const closedOf = async (table: LogPartitioned) => (await listPartitions(run, table)).filter((p) => p.detach !== null && p.from.getTime() >= from && p.to.getTime() <= to);
  let deliveries = 0;
  for (const p of closedDeliveries) deliveries += (await pg.query<{ n: number }>(`select count(*)::int as n from ${p.name}`)).rows[0].n;
  const closedBytes = async () => {
    const out: Record<string, number> = {};
    for (const table of LOG_PARTITIONED_TABLES) {
      const names = (await closedOf(table)).map((p) => p.name);
      out[table] = Number((await pg.query<{ b: string }>(`select coalesce(sum(pg_total_relation_size(c::regclass)), 0)::text as b from unnest($1::text[]) c`, [names])).rows[0].b);
    }
    return out;
  };
  const before = await closedBytes();
  await pg.query(`select pg_advisory_unlock($1)`, [LOG_PARTITIONS_COMPACT_LOCK]);
  const pool = new PgPool({ connectionString: databaseUrl, max: 2 });
  try {
    const started = Date.now();
    const config = { retentionDays: 30, logRetentionDays: 30 } as AppConfig;
    const db = new Db(pool);
    let done = false;
    const compacting = new RetentionService(new RetentionRepository(db), new LogPartitionsService(db, config), config).compactClosed(now).finally(() => {
      done = true;
    });
    const responseMs: number[] = [];
    let sent = 0;
    let non2xx = 0;
    while (!done) {
      const out = await publisher.burst(path, events, 64, 60_000);
      responseMs.push(...out.responseMs);
      sent += out.sent;
      non2xx += out.non2xx + out.networkErrors;
    }
    const rebuilt = await compacting;
    const ms = Date.now() - started;
    if (rebuilt.length === 0) throw new Error('packing rebuilt no index: it failed, or another process packed (see the warning above)');
    // the run's budget may have stopped it short: then the next run would go on
    const { rows: [{ left }] } = await pg.query<{ left: number }>(
      `select count(*)::int as left from pg_index x join pg_class i on i.oid = x.indexrelid
        where x.indrelid = any($1::regclass[]) and coalesce(obj_description(i.oid, 'pg_class'), '') not like 'packed: %'`,
      [(await Promise.all(HISTORY_TABLES.map(closedOf))).flat().map((p) => p.name)]);
    if (left > 0) log(`  packing: ${left} indexes of the closed partitions left for the next run (its 10-minute budget)`);
    const after = await closedBytes();
    const per = (bytes: number) => round(bytes / Math.max(1, deliveries));
    const sum = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
    const result: CompactionResult = {
      indexes: rebuilt.length,
      partitions: [...new Set(rebuilt.map((r) => r.partition))],
      left,
      ms,
      indexBytes: { before: rebuilt.reduce((a, r) => a + r.bytesBefore, 0), after: rebuilt.reduce((a, r) => a + r.bytesAfter, 0) },
      closed: {
        deliveries,
        bytesPerDelivery: { before: per(sum(before)), after: per(sum(after)) },
        tables: Object.fromEntries(LOG_PARTITIONED_TABLES.map((t) => [t, { before: per(before[t]), after: per(after[t]) }])),
      },
      publish: { events: sent, non2xx, responseMs: summarise(responseMs), seconds: round(ms / 1000, 1) },
    };
    const mib = (b: number) => Math.round(b / 2 ** 20);
    log(`  packing: ${result.indexes} indexes of ${result.partitions.length} closed partitions rebuilt in ${(ms / 1000).toFixed(1)} s (${mib(result.indexBytes.before)} -> ${mib(result.indexBytes.after)} MiB); ${result.closed.bytesPerDelivery.before} -> ${result.closed.bytesPerDelivery.after} B per delivery of the closed partitions; publish p50/p99 beside it ${result.publish.responseMs.p50}/${result.publish.responseMs.p99} ms (${sent} events)`);
    return result;
  } finally {
    await pool.end();
  }
}

/** Until no queue row is due (the seeded pending deliveries wait for tomorrow). */
async function waitForQueue(pg: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await pg.query<{ n: number }>(`select count(*)::int as n from delivery_queue where due_at <= now()`);
    if (rows[0].n === 0) break;
    await sleep(200);
  }
  await sleep(500);
}

async function tableSizes(pg: Client, deliveries: number): Promise<TableSize[]> {
  const out: TableSize[] = [];
  for (const table of LOG_TABLES) {
    const { rows } = await pg.query<{ total: string; heap: string; idx: string; toast: string; rows: number }>(
      `select coalesce(sum(pg_total_relation_size(p.relid)), 0)::text as total,
              coalesce(sum(pg_relation_size(p.relid)), 0)::text as heap,
              coalesce(sum(pg_indexes_size(p.relid)), 0)::text as idx,
              coalesce(sum(case when c.reltoastrelid <> 0 then pg_total_relation_size(c.reltoastrelid) else 0 end), 0)::text as toast,
              (select count(*)::int from ${table}) as rows
         from pg_class c cross join lateral (select c.oid as relid) p
        where c.oid in (${relationsOf('$1::regclass')}) and c.relkind = 'r'`, [table]);
    const r = rows[0];
    const { rows: idx } = await pg.query<{ name: string; bytes: string }>(
      `select i.indexrelid::regclass::text as name, pg_relation_size(i.indexrelid)::text as bytes
         from pg_index i where i.indrelid in (${relationsOf('$1::regclass')}) order by 1`, [table]);
    const indexes = Object.fromEntries(idx.map((x) => [x.name, round(Number(x.bytes) / Math.max(1, deliveries))]));
    out.push({
      indexes,
      table, rows: r.rows, totalBytes: Number(r.total), heapBytes: Number(r.heap), indexBytes: Number(r.idx), toastBytes: Number(r.toast),
      bytesPerDelivery: round(Number(r.total) / Math.max(1, deliveries)),
    });
  }
  return out;
}

interface ReadParams {
  endpointId: string;
  oldEventId: string;
  deepDeliveryCursor: string;
  deepEventCursor: string;
  oldestIso: string;
  oldestPlus1sIso: string;
  midIso: string;
  midPlus1mIso: string;
}

const cursorOf = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

/** Ids and times from the history as it is: an event and a cursor at 10 % of it (90 % of the log is newer). */
async function readParams(pg: Client, tenantId: string, endpointIds: string[], oldestMs: number, newestMs: number): Promise<ReadParams> {
  const deepMs = oldestMs + 0.1 * (newestMs - oldestMs);
  const midMs = oldestMs + 0.5 * (newestMs - oldestMs);
  const at = (ms: number) => new Date(ms).toISOString();
  const { rows: [ev] } = await pg.query<{ id: string }>(
    `select id from events where tenant_id = $1 and created_at <= $2 order by tenant_id desc, id desc limit 1`, [tenantId, at(deepMs)]);
  const { rows: [dl] } = await pg.query<{ id: string }>(
    `select id from deliveries where tenant_id = $1 and created_at <= $2 order by tenant_id desc, id desc limit 1`, [tenantId, at(deepMs)]);
  return {
    endpointId: endpointIds[3 % endpointIds.length],
    oldEventId: ev.id,
    deepDeliveryCursor: cursorOf(dl.id),
    deepEventCursor: cursorOf(ev.id),
    oldestIso: at(oldestMs),
    oldestPlus1sIso: at(oldestMs + 1000),
    midIso: at(midMs),
    midPlus1mIso: at(midMs + 60_000),
  };
}

/** Every read of issue 9 point 1: each filter, the combinations, time bounds that match nothing or few, deep pages. */
function readDefs(p: ReadParams): ReadDef[] {
  const d = (name: string, query: Record<string, string>, walk?: number): ReadDef => ({ name, kind: 'deliveries', query, walk });
  const e = (name: string, query: Record<string, string>, walk?: number): ReadDef => ({ name, kind: 'events', query, walk });
  const NOW = '@now';
  return [
    d('deliveries (no filter)', {}),
    d('deliveries limit=100', { limit: '100' }),
    d('status=failed', { status: 'failed' }),
    d('status=pending', { status: 'pending' }),
    d('status=succeeded', { status: 'succeeded' }),
    d('status=cancelled', { status: 'cancelled' }),
    d('endpointId', { endpointId: p.endpointId }),
    d('eventId (old event)', { eventId: p.oldEventId }),
    d(`eventType=${COMMON_TYPE} (common)`, { eventType: COMMON_TYPE }),
    d(`eventType=${RARE_TYPE} (rare)`, { eventType: RARE_TYPE }),
    d('since=<now> (nothing matches)', { since: NOW }),
    d('until=<oldest+1s> (few match)', { until: p.oldestPlus1sIso }),
    d('since=<mid>&until=<mid+1min>', { since: p.midIso, until: p.midPlus1mIso }),
    d('status=failed&endpointId', { status: 'failed', endpointId: p.endpointId }),
    d('status=pending&endpointId', { status: 'pending', endpointId: p.endpointId }),
    d('status=succeeded&endpointId', { status: 'succeeded', endpointId: p.endpointId }),
    d('endpointId&eventType (rare)', { endpointId: p.endpointId, eventType: RARE_TYPE }),
    d('status=failed&eventType (common)', { status: 'failed', eventType: COMMON_TYPE }),
    d('status=succeeded&eventType (rare)', { status: 'succeeded', eventType: RARE_TYPE }),
    d('endpointId&since=<now>', { endpointId: p.endpointId, since: NOW }),
    d('eventType (rare)&until=<oldest+1s>', { eventType: RARE_TYPE, until: p.oldestPlus1sIso }),
    d('cursor at 10 % of history', { cursor: p.deepDeliveryCursor }),
    d('cursor at 10 % + endpointId', { cursor: p.deepDeliveryCursor, endpointId: p.endpointId }),
    d('cursor at 10 % + status=failed', { cursor: p.deepDeliveryCursor, status: 'failed' }),
    d('cursor at 10 % + eventType (common)', { cursor: p.deepDeliveryCursor, eventType: COMMON_TYPE }),
    d('50 pages along nextCursor', {}, 50),
    d('50 pages along nextCursor, status=failed', { status: 'failed' }, 50),
    e('events (no filter)', {}),
    e(`events type=${COMMON_TYPE}`, { type: COMMON_TYPE }),
    e(`events type=${RARE_TYPE} (rare)`, { type: RARE_TYPE }),
    e('events since=<now>', { since: NOW }),
    e('events until=<oldest+1s>', { until: p.oldestPlus1sIso }),
    e('events type (rare)&since=<mid>', { type: RARE_TYPE, since: p.midIso }),
    e('events cursor at 10 %', { cursor: p.deepEventCursor }),
    e('events cursor at 10 % + type', { cursor: p.deepEventCursor, type: COMMON_TYPE }),
    e('events 50 pages along nextCursor', {}, 50),
  ];
}

function resolveQuery(query: Record<string, string>): Record<string, string> {
  const nowIso = new Date().toISOString();
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v === '@now' ? nowIso : v]));
}

function pathOf(tenantId: string, read: ReadDef, query: Record<string, string>): string {
  const qs = new URLSearchParams(query).toString();
  return `/v1/tenants/${tenantId}/${read.kind}${qs ? `?${qs}` : ''}`;
}

async function measureReads(ctx: ScaleContext, api: Pool, tenantId: string, reads: ReadDef[], opts: ScaleOptions): Promise<ReadResult[]> {
  const headers = { authorization: `Bearer ${ctx.adminToken}` };
  const get = async (path: string): Promise<{ ms: number; status: number; body: { data?: unknown[]; nextCursor?: string | null } | null }> => {
    const t0 = process.hrtime.bigint();
    const res = await api.request({ path, method: 'GET', headers });
    const text = await res.body.text();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    let body = null;
    try {
      body = JSON.parse(text) as { data?: unknown[]; nextCursor?: string | null };
    } catch {
      body = null;
    }
    return { ms, status: res.statusCode, body };
  };
  const out: ReadResult[] = [];
  for (const read of reads) {
    ctx.assertAlive();
    const samples: number[] = [];
    let non200 = 0;
    let rows = 0;
    const firstPath = pathOf(tenantId, read, resolveQuery(read.query));
    const deadline = Date.now() + opts.readCapMs;
    if (read.walk) {
      // Two walks: one to warm up, one measured; each page is one sample.
      for (let round = 0; round < 2; round++) {
        let cursor: string | null | undefined = read.query.cursor;
        for (let page = 0; page < read.walk; page++) {
          const query = resolveQuery({ ...read.query, ...(cursor ? { cursor } : {}) });
          const r = await get(pathOf(tenantId, read, query));
          if (r.status !== 200) non200++;
          if (round === 1) {
            samples.push(r.ms);
            rows += r.body?.data?.length ?? 0;
          }
          cursor = r.body?.nextCursor;
          if (!cursor) break;
        }
      }
    } else {
      for (let i = 0; i < 3; i++) await get(pathOf(tenantId, read, resolveQuery(read.query))); // warm-up
      for (let i = 0; i < opts.samples && (i < 10 || Date.now() < deadline); i++) {
        const r = await get(pathOf(tenantId, read, resolveQuery(read.query)));
        samples.push(r.ms);
        if (r.status !== 200) non200++;
        if (i === 0) rows = r.body?.data?.length ?? 0;
      }
    }
    const s = summarise(samples);
    const result: ReadResult = {
      name: read.name, rows, non200, path: firstPath,
      ...s, p50: roundMs(s.p50), p95: roundMs(s.p95), p99: roundMs(s.p99), max: roundMs(s.max), mean: roundMs(s.mean),
    };
    out.push(result);
    const flag = result.p99 !== null && result.p99 >= SLOW_MS ? '  <-- over 50 ms' : '';
    ctx.log(`    ${read.name.padEnd(42)} p50 ${String(result.p50).padStart(7)} p99 ${String(result.p99).padStart(7)} ms  (${result.count} requests, ${rows} rows${non200 ? `, ${non200} non-200` : ''})${flag}`);
  }
  return out;
}

const roundMs = (v: number | null) => (v === null ? null : round(v, 1));

/** The statement the service runs for a read, captured from its repository with a recording Db. */
function capture(tenantId: string, read: ReadDef, query: Record<string, string>): Promise<{ method: string; text: string; params: unknown[] } | null> {
  let captured: { method: string; text: string; params: unknown[] } | null = null;
  const db = new Proxy({}, {
    get: (_target, method: string) => (...args: unknown[]) => {
      const text = args.find((a): a is string => typeof a === 'string' && /\bselect\b/i.test(a));
      const params = args.find((a): a is unknown[] => Array.isArray(a)) ?? [];
      if (text && !captured) captured = { method, text, params };
      return Promise.resolve(method === 'one' ? null : []);
    },
  }) as unknown as Db;
  const cursorId = query.cursor ? Buffer.from(query.cursor, 'base64url').toString('utf8') : null;
  const limit = Number(query.limit ?? 20) + 1;
  const run = read.kind === 'deliveries'
    ? new DeliveriesRepository(db).list(tenantId, query as DeliveryFilter, limit, cursorId)
    : new EventsRepository(db).list(tenantId, query, limit, cursorId);
  return run.then(() => captured, () => captured);
}

/** EXPLAIN ANALYZE of every read whose p99 was 50 ms or more: the custom plan and the generic one (prepared statements switch to it). */
async function explainSlow(pg: Client, tenantId: string, reads: ReadDef[], results: ReadResult[], statistics: 'stale' | 'fresh'): Promise<ExplainResult[]> {
  const out: ExplainResult[] = [];
  for (const [i, r] of results.entries()) {
    if (r.p99 === null || r.p99 < SLOW_MS) continue;
    const read = reads[i];
    const st = await capture(tenantId, read, resolveQuery(read.query));
    if (!st) continue;
    const settings = st.method === 'preparedIndexRead' ? 'set local enable_seqscan = off; set local enable_bitmapscan = off;' : '';
    const plan = async (generic: boolean): Promise<string> => {
      await pg.query(`begin read only; ${settings} ${generic ? 'set local plan_cache_mode = force_generic_plan;' : ''}`);
      try {
        if (!generic) {
          const res = await pg.query<Record<string, string>>({ text: `explain (analyze, buffers) ${st.text}`, values: st.params });
          return res.rows.map((row) => row['QUERY PLAN']).join('\n');
        }
        await pg.query(`prepare bench_explain as ${st.text}`);
        const literal = (v: unknown) => (v === null || v === undefined ? 'null' : pg.escapeLiteral(v instanceof Date ? v.toISOString() : String(v)));
        const res = await pg.query<Record<string, string>>(`explain (analyze, buffers) execute bench_explain(${st.params.map(literal).join(', ')})`);
        return res.rows.map((row) => row['QUERY PLAN']).join('\n');
      } catch (error) {
        return `(explain failed: ${error instanceof Error ? error.message : String(error)})`;
      } finally {
        await pg.query('rollback');
        if (generic) await pg.query('deallocate bench_explain').catch(() => undefined);
      }
    };
    out.push({ read: r.name, statistics, p99: r.p99, sql: st.text, params: st.params, customPlan: await plan(false), genericPlan: await plan(true) });
  }
  return out;
}

/** The report: reads (p50/p99 per decade, stale and fresh) and the per-decade figures. */
export function formatScale(r: ScaleResults): string {
  const dec = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
  const cell = (x: ReadResult | undefined) => (x ? `${fmt(x.p50)} / ${fmt(x.p99)}${x.p99 !== null && x.p99 >= SLOW_MS ? ' !' : ''}` : '');
  const header = ['read (p50 / p99 ms)', ...r.decades.flatMap((d) => [`${dec(d.decade)} fresh`, `${dec(d.decade)} stale`]), `rows at ${dec(r.decades[r.decades.length - 1]?.decade ?? 0)}`];
  const names = r.decades[0]?.reads.fresh.map((x) => x.name) ?? [];
  const readRows = names.map((name) => [
    name,
    ...r.decades.flatMap((d) => [cell(d.reads.fresh.find((x) => x.name === name)), cell(d.reads.stale.find((x) => x.name === name))]),
    String(r.decades[r.decades.length - 1]?.reads.fresh.find((x) => x.name === name)?.rows ?? ''),
  ]);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const sizeOf = (d: DecadeResult, t: string) => d.sizes.find((s) => s.table === t);
  const figHeader = ['figure', ...r.decades.map((d) => dec(d.decade))];
  const fig = (name: string, f: (d: DecadeResult) => string) => [name, ...r.decades.map(f)];
  const figRows = [
    fig('deliveries of the tenant (at the reads)', (d) => d.deliveries.toLocaleString('en')),
    fig('events / attempts (at the reads)', (d) => `${d.events.toLocaleString('en')} / ${d.attempts.toLocaleString('en')}`),
    fig('failed / cancelled / pending', (d) => `${d.statuses.failed ?? 0} / ${d.statuses.cancelled ?? 0} / ${d.statuses.pending ?? 0}`),
    fig('seeding: s (s per million deliveries)', (d) => `${d.seed.seconds} (${d.seed.secondsPerMillion ?? '-'})`),
    fig('publish p50 / p99 ms (burst, 64 in flight)', (d) => `${fmt(d.publish.responseMs.p50)} / ${fmt(d.publish.responseMs.p99)}`),
    fig('burst deliveries/s end to end', (d) => `${d.publish.deliveriesPerSec.toLocaleString('en')} (${d.publish.deliveries}/${d.publish.expected})`),
    fig('bytes per delivery, all log tables', (d) => String(d.bytesPerDelivery)),
    ...LOG_TABLES.map((t) => fig(`  ${t}: B per delivery (heap+toast / indexes)`, (d) => {
      const s = sizeOf(d, t);
      return s ? `${s.bytesPerDelivery} (${round((s.heapBytes + s.toastBytes) / Math.max(1, d.deliveriesAtSizes))} / ${round(s.indexBytes / Math.max(1, d.deliveriesAtSizes))})` : '';
    })),
    ...LOG_TABLES.map((t) => fig(`  ${t}: MiB (rows)`, (d) => {
      const s = sizeOf(d, t);
      return s ? `${mib(s.totalBytes)} (${s.rows.toLocaleString('en')})` : '';
    })),
    fig('planner rows of deliveries, stale / fresh', (d) => `${d.statistics.staleReltuplesDeliveries.toLocaleString('en')} / ${d.statistics.freshReltuplesDeliveries.toLocaleString('en')}`),
    fig('load average (1 min) after the decade', (d) => String(d.loadAverage[0])),
  ];
  return [
    markdownTable(header, readRows, [0]),
    '',
    markdownTable(figHeader, figRows, [0]),
    '',
    ...(r.retention ? [`Retention at ${dec(r.decades[r.decades.length - 1]?.decade ?? 0)}: the oldest partition of each table (${r.retention.partitions.join(', ')}; ${r.retention.rows.toLocaleString('en')} rows) detached and dropped in ${r.retention.ms} ms while ${r.retention.publish.events} events were published: publish p50 / p99 ${fmt(r.retention.publish.responseMs.p50)} / ${fmt(r.retention.publish.responseMs.p99)} ms, ${r.retention.publish.non2xx} errors.`, ''] : []),
    ...(r.compaction ? [compactionLine(r.compaction, dec(r.decades[r.decades.length - 1]?.decade ?? 0)), ''] : []),
    `"!" = p99 of 50 ms or more. Stale = statistics of the previous decade (at 100k: analysed while the log was empty); server autovacuum ${r.autovacuum}, off for the log's tables during the run.`,
  ].join('\n');
}

function compactionLine(c: CompactionResult, at: string): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const tables = Object.entries(c.closed.tables).map(([t, x]) => `${t} ${x.before} -> ${x.after}`).join(', ');
  return `Packing at ${at} (each retention run rebuilds, once, the indexes of partitions no row enters any more): ${c.indexes} indexes of ${c.partitions.length} partitions, `
    + `${mib(c.indexBytes.before)} -> ${mib(c.indexBytes.after)} MiB, in ${(c.ms / 1000).toFixed(1)} s while ${c.publish.events} events were published `
    + `(publish p50 / p99 ${fmt(c.publish.responseMs.p50)} / ${fmt(c.publish.responseMs.p99)} ms, ${c.publish.non2xx} errors). `
    + `Bytes per delivery of the ${c.closed.deliveries.toLocaleString('en')} deliveries in closed partitions, all log tables: ${c.closed.bytesPerDelivery.before} -> ${c.closed.bytesPerDelivery.after} (${tables})`
    + (c.left > 0 ? `; ${c.left} indexes left for the next run.` : '.');
}

function fmt(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function markdownTable(header: string[], rows: string[][], leftAligned: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (leftAligned.includes(i) ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (leftAligned.includes(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
