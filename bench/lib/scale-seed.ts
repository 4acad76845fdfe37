/**
 * Seed SQL for `npm run bench -- --scale` (issue 9, point 7): grows one tenant's delivery log
 * directly in SQL, one transaction per batch (generate_series, no per-row round trip), with
 * rows shaped as the service writes them:
 *
 * - ids in the service's layout (src/common/ids.ts): prefix, 10 Crockford base32 characters of
 *   the millisecond time, 16 random characters (here md5 hex digits, which are Crockford
 *   characters); a delivery id is made from its event id by the service's own deliveryIdSql
 *   (src/common/ids.ts), as the publish statement does;
 * - created_at a few ms after the id's time, spread evenly over the history's span, oldest first;
 * - events: `data` (in event_payloads) as published text (the bench's invoice body, varied per event), the
 *   offline summary the service stored for a real event of the same type;
 * - deliveries: 3 of 4 events go to 1 endpoint, 1 of 4 to 4 endpoints (1.75 deliveries per
 *   event); statuses mostly succeeded, some failed and cancelled (their delivery_failures rows
 *   are written by the service's insert trigger), a few pending (a queue row for attempt 2,
 *   due in a day, so the worker leaves them alone);
 * - one attempt per delivery, shaped like the worker's record (src/worker/worker.repository.ts):
 *   request_url of the endpoint, request_headers with the keys of a real attempt
 *   (webhook-timestamp, webhook-signature), a response body and status per outcome.
 *
 * Every schema detail the seed depends on is in this file, so a schema change (side tables,
 * partitions) is adapted in one place.
 */
import { Client } from 'pg';
import { deliveryIdSql } from '../../src/common/ids';

/** Share of deliveries per status, by a hash of the delivery's index (deterministic). */
export const STATUS_MIX = { pending: 0.0002, cancelled: 0.0015, failed: 0.01 } as const;

/** Event types and their weight; the last one is rare (1 event in RARE_EVERY). */
export const COMMON_TYPE = 'invoice.paid';
export const RARE_TYPE = 'account.closed';
export const RARE_EVERY = 20_000;
const TYPE_BUCKETS: Array<[string, number]> = [
  ['invoice.paid', 50],
  ['invoice.created', 20],
  ['customer.updated', 15],
  ['payment.failed', 10],
  ['subscription.renewed', 5],
];
export const EVENT_TYPES = [...TYPE_BUCKETS.map(([t]) => t), RARE_TYPE];

/** Deliveries made by the first `events` events of the seed (3 of 4 events: 1, the 4th: 4). */
export function deliveriesOfEvents(events: number): number {
  const full = Math.floor(events / 4);
  const rest = events % 4;
  return full * 7 + (rest >= 1 ? 4 : 0) + Math.max(0, rest - 1);
}

/** The fewest events whose deliveries reach `deliveries`. */
export function eventsForDeliveries(deliveries: number): number {
  let lo = 0;
  let hi = Math.ceil(deliveries) + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (deliveriesOfEvents(mid) >= deliveries) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const B32 = `'0123456789abcdefghjkmnpqrstvwxyz'`;

/** SQL: the 10-character Crockford base32 time part of an id, from a bigint ms expression. */
function b32Time(ms: string): string {
  const digits: string[] = [];
  for (let i = 9; i >= 0; i--) digits.push(`substr(${B32}, ((${ms} >> ${5 * i}) & 31)::int + 1, 1)`);
  return digits.join(' || ');
}

/** The service's data text of one seeded event (the bench's invoice body, JSON.stringify layout). */
function dataTemplate(): string {
  return JSON.stringify({
    invoiceId: '@INV@',
    customerId: '@CUS@',
    customerName: 'Ada Lovelace Ltd',
    amount: '@AMOUNT@',
    currency: 'EUR',
    status: 'paid',
    paidAt: '@AT@',
    lines: [
      { sku: 'plan-pro', quantity: 1, unitAmount: 4200 },
      { sku: 'seats', quantity: '@SEATS@', unitAmount: 800 },
    ],
    metadata: { orderRef: '@ORD@', channel: 'web' },
  });
}

function dataSql(): string {
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  let expr = lit(dataTemplate());
  const subs: Array<[string, string]> = [
    ['"@AMOUNT@"', `(1000 + e % 9000)::text`],
    ['"@SEATS@"', `(1 + e % 20)::text`],
    ['@INV@', `'in_' || lpad(to_hex(e), 8, '0')`],
    ['@CUS@', `'cus_' || to_hex(e * 7919)`],
    ['@AT@', `to_char(to_timestamp(ms / 1000.0) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`],
    ['@ORD@', `'ord-' || e`],
  ];
  for (const [marker, sql] of subs) expr = `replace(${expr}, ${lit(marker)}, ${sql})`;
  return expr;
}

/** What the seed copies from the rows the service wrote for real events (see bench/scale.ts). */
export interface SeedTemplates {
  tenantId: string;
  /** The tenant's endpoints, in id order, with their URLs. */
  endpoints: Array<{ id: string; url: string }>;
  /** Event type -> the summary the service stored for a real event of that type. */
  summaries: Record<string, unknown>;
  /** The keys of a real attempt's request_headers, with a sample value each. */
  requestHeaders: Record<string, string>;
}

export interface SeedSpan {
  /** ms of the oldest seeded row, and of the newest the whole seed (all decades) will reach. */
  startMs: number;
  endMs: number;
  /** Deliveries the whole seed will reach (time is spread over it). */
  totalDeliveries: number;
  /** Makes the random parts of the ids of one run distinct from another's. */
  salt: string;
}

/** Tables the seed writes and the bench reports. */
export const LOG_TABLES = ['events', 'event_payloads', 'deliveries', 'attempts', 'attempt_bodies', 'delivery_failures', 'delivery_queue'] as const;

/**
 * Per-table autovacuum off on the seeded tables (their plain tables and any partitions), so
 * "stale statistics" stay what the bench says they are. The queue keeps the service's settings.
 */
export async function disableAutovacuum(client: Client): Promise<string[]> {
  const tables = ['events', 'event_payloads', 'deliveries', 'attempts', 'attempt_bodies', 'delivery_failures'];
  const { rows } = await client.query<{ name: string }>(
    `select c.oid::regclass::text as name from pg_class c
      where c.relkind = 'r' and c.oid in (${tables.map((t) => relationsOf(`'${t}'`)).join(' union ')})`);
  for (const r of rows) await client.query(`alter table ${r.name} set (autovacuum_enabled = false)`);
  return rows.map((r) => r.name);
}

/**
 * SQL: the oids of a table and of its partitions, if it has any (pg_partition_tree lists nothing
 * for a plain table). Sizes and row estimates sum over these.
 */
export function relationsOf(tableExpr: string): string {
  return `select relid from pg_partition_tree(${tableExpr}) union select (${tableExpr})::regclass`;
}

/** Columns of a table (the schema moves while issue 9 is worked on). */
export async function columnsOf(client: Client, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1`, [table]);
  return new Set(rows.map((r) => r.column_name));
}

export interface BatchResult {
  events: number;
  deliveries: number;
  ms: number;
  /** ms per step: the batch's rows, events, deliveries (with their trigger), attempts, queue, commit */
  steps: Record<string, number>;
}

/** SQL of the request_headers of an attempt: the template's keys, a timestamp and a signature that vary per attempt. */
function requestHeadersSql(template: Record<string, string>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(template)) {
    const k = `'${key.replace(/'/g, "''")}'`;
    if (/^\d+$/.test(value)) parts.push(`${k}, (started_ms / 1000)::text`);
    else if (/^v1,/.test(value) || /signature/i.test(key)) {
      // "v1,<base64 of 32 bytes>" (standard-webhooks), one per active secret, space separated
      const count = value.split(' ').length;
      const one = (i: number) => `'v1,' || encode(sha256(convert_to(attempt_id || '${i}', 'UTF8')), 'base64')`;
      parts.push(`${k}, ${Array.from({ length: count }, (_, i) => one(i)).join(` || ' ' || `)}`);
    } else parts.push(`${k}, '${value.replace(/'/g, "''")}'`);
  }
  return parts.length ? `jsonb_build_object(${parts.join(', ')})` : 'null';
}

/**
 * Adds the events [e0, e1) of the seed (their deliveries, attempts and queue rows) in one
 * transaction. Event e's time is startMs + deliveriesOfEvents(e) / totalDeliveries * span, so
 * the log's time grows with its size and every decade appends the newest rows.
 */
export async function seedBatch(client: Client, t: SeedTemplates, span: SeedSpan, e0: number, e1: number): Promise<BatchResult> {
  const started = Date.now();
  const n = t.endpoints.length;
  let typeCase = `case when e % ${RARE_EVERY} = ${RARE_EVERY >> 1} then '${RARE_TYPE}'`;
  let acc = 0;
  for (const [type, weight] of TYPE_BUCKETS) {
    acc += weight;
    typeCase += ` when (e * 37) % 100 < ${acc} then '${type}'`;
  }
  typeCase += ` else '${COMMON_TYPE}' end`;
  const summaryCase = `case type ${EVENT_TYPES.map((type) => `when '${type}' then '${JSON.stringify(t.summaries[type] ?? t.summaries[COMMON_TYPE] ?? null).replace(/'/g, "''")}'`).join(' ')} end`;
  const [pending, cancelled, failed] = [STATUS_MIX.pending, STATUS_MIX.pending + STATUS_MIX.cancelled, STATUS_MIX.pending + STATUS_MIX.cancelled + STATUS_MIX.failed]
    .map((share) => Math.round(share * 1_000_000));
  const attemptCols = await columnsOf(client, 'attempts');
  const steps: Record<string, number> = {};
  let mark = Date.now();
  const step = (name: string) => {
    const t = Date.now();
    steps[name] = t - mark;
    mark = t;
  };
  await client.query('begin');
  try {
    // One row per delivery: its event, endpoint, status and every id, computed once.
    await client.query(`
      create temp table bench_batch on commit drop as
      with ev as (
        select e, (e / 4) * 7 + case when e % 4 = 0 then 0 else 3 + e % 4 end as d0,
               case when e % 4 = 0 then 4 else 1 end as k
          from generate_series($1::bigint, $2::bigint - 1) e
      ), evt as (
        select e, d0, k, ($3::bigint + floor(d0::float8 / $5 * ($4::bigint - $3::bigint)))::bigint as ms,
               substr(md5('e' || e || $6::text), 1, 16) as rnd
          from ev
      ), typed as (
        select evt.*, 'evt_' || ${b32Time('ms')} || rnd as event_id, ${typeCase} as type from evt
      )
      select t.e, t.ms, t.event_id, t.type, rn, t.d0 + rn as d,
             ${deliveryIdSql('t.event_id', 'rn')} as delivery_id,
             ($7::text[])[1 + ((t.e + rn * 3) % ${n})] as endpoint_id,
             ($8::text[])[1 + ((t.e + rn * 3) % ${n})] as url,
             case when ((t.d0 + rn) * 2654435761) % 1000000 < ${pending} then 'pending'
                  when ((t.d0 + rn) * 2654435761) % 1000000 < ${cancelled} then 'cancelled'
                  when ((t.d0 + rn) * 2654435761) % 1000000 < ${failed} then 'failed'
                  else 'succeeded' end as status,
             2 + (t.d0 + rn) % 37 as duration_ms,
             t.ms + 4 as started_ms,
             'att_' || ${b32Time('(t.ms + 4)')} || substr(md5('a' || (t.d0 + rn) || $6::text), 1, 16) as attempt_id
        from typed t, generate_series(0, t.k - 1) rn`,
    [e0, e1, span.startMs, span.endMs, span.totalDeliveries, span.salt, t.endpoints.map((x) => x.id), t.endpoints.map((x) => x.url)]);
    step('rows');
    const at = (msExpr: string) => `to_timestamp((${msExpr}) / 1000.0)`;
    // events: created_at 1 ms after the id's time (the id is made before the insert)
    const ev = await client.query(`
      insert into events (id, tenant_id, type, summary, created_at)
      select event_id, $1, type, (${summaryCase})::jsonb, ${at('ms + 1')}
        from bench_batch where rn = 0`, [t.tenantId]);
    // the payload in its day's partition (src/database/log-partitions.ts)
    await client.query(`insert into event_payloads (event_id, data) select event_id, (${dataSql()})::json from bench_batch where rn = 0`);
    step('events');
    // deliveries: created in the publish transaction, updated by the attempt record
    const dl = await client.query(`
      insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts,
                              next_attempt_at, last_attempt_at, created_at, updated_at)
      select delivery_id, $1, event_id, endpoint_id, type, status, 1, 1,
             case when status = 'pending' then now() + interval '1 day' + (d % 3600) * interval '1 second' end,
             ${at('started_ms')}, ${at('ms + 1')}, ${at('started_ms + duration_ms + 1')}
        from bench_batch`, [t.tenantId]);
    step('deliveries');
    const optional = (col: string, sql: string) => (attemptCols.has(col) ? [[col, sql] as const] : []);
    const attemptColumns: Array<readonly [string, string]> = [
      ['id', 'attempt_id'], ['delivery_id', 'delivery_id'], ['number', '1'], ['trigger', `'scheduled'`],
      ['started_at', at('started_ms')], ['duration_ms', 'duration_ms'], ['request_url', 'url'],
      ['response_status', `case status when 'succeeded' then 200 when 'failed' then 410 else 503 end`],
      ['response_body_encoding', `'utf8'`], ['response_body_truncated', 'false'], ['error', 'null'],
      ...optional('endpoint_id', 'endpoint_id'),
      ...optional('request_headers', requestHeadersSql(t.requestHeaders)),
    ];
    await client.query(`
      insert into attempts (${attemptColumns.map(([c]) => c).join(', ')})
      select ${attemptColumns.map(([, v]) => v).join(', ')} from bench_batch`);
    await client.query(`
      insert into attempt_bodies (attempt_id, body)
      select attempt_id, case status when 'succeeded' then 'ok' when 'failed' then 'gone' else 'busy' end from bench_batch`);
    step('attempts');
    // a pending delivery waits for its second attempt, tomorrow
    await client.query(`
      insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
      select delivery_id, 2, endpoint_id, $1, now() + interval '1 day' + (d % 3600) * interval '1 second'
        from bench_batch where status = 'pending'`, [t.tenantId]);
    step('queue');
    await client.query('commit');
    step('commit');
    return { events: ev.rowCount ?? 0, deliveries: dl.rowCount ?? 0, ms: Date.now() - started, steps };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
