import { Injectable } from '@nestjs/common';
import { deliveryIdsOf, idAtOrAfter, idBounds, idTime } from '../common/ids';
import { Db } from '../database/db';
import { BODY_OF, PAYLOAD_OF } from '../database/log-partitions';
import { addDrainJobsSql } from '../queue/queue';
import type { Summary } from '../summaries/summary.engine';
import { AttemptResponse, DeliveryResponse } from './dto/delivery.response';
import { DeliveryStatus } from './delivery-status';

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  id: string;
  number: number;
  trigger: 'scheduled' | 'manual';
  started_at: Date;
  duration_ms: number;
  request_url: string;
  response_status: number | null;
  response_body: string | null;
  response_body_encoding: 'utf8' | 'base64' | null;
  response_body_truncated: boolean;
  error: string | null;
  expired: boolean;
  request_headers: Record<string, string> | null;
}

/** What rebuilding an attempt's request needs (deliveries/request-as-sent.ts). */
export interface RequestSourceRow {
  event_id: string;
  event_type: string;
  event_created_at: Date;
  data_json: string | null;
  summary: Summary | null;
  headers: Record<string, string>;
  summaries: boolean;
  signature_scheme: 'standard-webhooks' | 'hmac-sha256-hex';
  secret: string;
  previous_secrets: Array<{ secret: string }>;
}

export interface DeliveryFilter {
  endpointId?: string;
  eventId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  since?: string;
  until?: string;
}

/**
 * A held delivery (its endpoint's circuit is open) is attempted at the probe at the earliest:
 * that is its next attempt (SPEC §10). The endpoint join is one primary-key lookup per row.
 */
const COLUMNS = `d.id, d.tenant_id, d.event_id, d.endpoint_id, d.event_type, d.status, d.attempt_count,
  case when d.status = 'pending' and e.circuit_state <> 'closed' then greatest(d.next_attempt_at, e.circuit_next_probe_at)
       else d.next_attempt_at end as next_attempt_at,
  d.last_attempt_at, d.created_at`;
const FROM = `deliveries d join endpoints e on e.id = d.endpoint_id`;

type ListDriver = 'event' | 'pending' | 'ended' | 'ended_endpoint' | 'endpoint' | 'type' | 'tenant';

function listDriver(f: DeliveryFilter): ListDriver {
  if (f.eventId) return 'event';
  if (f.status === 'pending') return 'pending';
  if (f.status === 'failed' || f.status === 'cancelled') return f.endpointId ? 'ended_endpoint' : 'ended';
  if (f.endpointId) return 'endpoint';
  if (f.eventType) return 'type';
  return 'tenant';
}

/** Evaluated once, before the scan: another tenant's endpoint id reads nothing (and walks nothing). */
const OWN_ENDPOINT = 'exists (select 1 from endpoints own where own.id = $2 and own.tenant_id = $1)';

/** SQL: `column` in [low, high), a null bound being none (planned with the values: a partition outside goes unread). */
const IN_BOUNDS = (column: string, low: string, high: string) => `(${low}::text is null or ${column} >= ${low}) and (${high}::text is null or ${column} < ${high})`;

/** Which rows the driving index yields, newest first; the other filters apply to them. */
const DRIVERS: Record<ListDriver, { from: string; where: string; order: string }> = {
  // An event's few deliveries, found by its index and then sorted: planned alone (offset 0), so the
  // primary key's order cannot tempt the planner into walking the log from its newest row. The id
  // bounds inside it hold the event's time (list narrows them), so one partition is read.
  event: {
    from: `(select e.id from deliveries e where e.event_id = $3 and ${IN_BOUNDS('e.id', '$9', '$8')} offset 0) x`,
    where: 'true', order: 'x.id desc',
  },
  pending: { from: 'delivery_queue x', where: 'x.tenant_id = $1 and x.attempt > 0', order: 'x.tenant_id desc, x.delivery_id desc' },
  ended: { from: 'delivery_failures x', where: 'x.tenant_id = $1 and x.status = $5', order: 'x.tenant_id desc, x.status desc, x.delivery_id desc' },
  ended_endpoint: { from: 'delivery_failures x', where: `x.endpoint_id = $2 and x.status = $5 and ${OWN_ENDPOINT}`, order: 'x.endpoint_id desc, x.status desc, x.delivery_id desc' },
  endpoint: { from: 'deliveries x', where: `x.endpoint_id = $2 and ${OWN_ENDPOINT}`, order: 'x.endpoint_id desc, x.id desc' },
  type: { from: 'deliveries x', where: 'x.tenant_id = $1 and x.event_type = $4', order: 'x.tenant_id desc, x.event_type desc, x.id desc' },
  tenant: { from: 'deliveries x', where: 'x.tenant_id = $1', order: 'x.tenant_id desc, x.id desc' },
};

/**
 * The most index entries one page reads. A filter the driving index does not hold (an
 * endpoint and a rare event type, say) could otherwise walk a tenant's whole history to fill
 * a page; with the budget spent, the page ends early and its cursor continues the walk.
 */
export const SCAN_BUDGET = 1000;

/** The driving index's walk: at most SCAN_BUDGET keys below the cursor ($8) and above `since` ($9). */
function walkSql(driver: ListDriver): string {
  const { from, where, order } = DRIVERS[driver];
  const key = from.startsWith('delivery_') ? 'x.delivery_id' : 'x.id';
  return `select ${key} as id from ${from}
           where ${where} and ${IN_BOUNDS(key, '$9', '$8')}
           order by ${order} limit ${SCAN_BUDGET}`;
}

/**
 * A page: the walk's keys, each looked up, filtered, until $10 rows match (or the walk ends).
 * The lateral lookup (offset 0 keeps it a subquery) makes the walk drive: the planner cannot
 * turn it round and rescan the walk for each row of another index.
 */
function listSql(driver: ListDriver): string {
  return `select ${COLUMNS}
    from (${walkSql(driver)}) k
    cross join lateral (select * from deliveries d0 where d0.id = k.id offset 0) d
    join endpoints e on e.id = d.endpoint_id
   where d.tenant_id = $1
     and ($2::text is null or d.endpoint_id = $2)
     and ($3::text is null or d.event_id = $3)
     and ($4::text is null or d.event_type = $4)
     and ($5::text is null or d.status = $5)
     and ($6::timestamptz is null or d.created_at >= $6)
     and ($7::timestamptz is null or d.created_at < $7)
   order by k.id desc limit $10`;
}

/** Where a walk that spent its budget stopped (null when it reached the end). */
function walkEndSql(driver: ListDriver): string {
  // the unused CTE gives every parameter its type; the walk uses only some of them
  return `with params as (select $1::text, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $7::timestamptz, $8::text, $9::text)
    select case when count(*) = ${SCAN_BUDGET} then min(id) end as scan_end from (${walkSql(driver)}) k`;
}

/** Id bounds narrowed to the ids the deliveries of `eventId` can have, when it is one. */
function narrowToEvent(bounds: { low: string | null; high: string | null }, eventId: string | undefined): { low: string | null; high: string | null } {
  const event = eventId === undefined ? null : deliveryIdsOf(eventId);
  if (!event) return bounds;
  return {
    low: bounds.low === null || bounds.low < event.low ? event.low : bounds.low,
    high: bounds.high === null || bounds.high > event.high ? event.high : bounds.high,
  };
}

export interface DeliveryListing {
  rows: DeliveryRow[];
  /** Set when a short page's walk spent SCAN_BUDGET: keys older than this id are still to be read. */
  scanEnd: string | null;
}

@Injectable()
export class DeliveriesRepository {
  constructor(private readonly db: Db) {}

  /**
   * One statement per driving index, chosen by the filters, so no plan depends on which
   * filters happen to be null or on how fresh the statistics are: a status of pending is read
   * from the queue, failed and cancelled from delivery_failures, then an event, an endpoint,
   * an event type, or the tenant's whole log. Time filters bound the id (ids sort by time;
   * an id is made before its row's created_at, so "until" is exact and "since" allows a
   * minute of lag) and the scan walks the index newest first from there, for at most
   * SCAN_BUDGET entries.
   */
  async list(tenantId: string, filter: DeliveryFilter, limit: number, before: string | null): Promise<DeliveryListing> {
    const { low, high } = narrowToEvent(idBounds('dlv', filter.since, filter.until, before), filter.eventId);
    const params = [tenantId, filter.endpointId ?? null, filter.eventId ?? null, filter.eventType ?? null, filter.status ?? null,
      filter.since ?? null, filter.until ?? null, high, low, limit];
    const driver = listDriver(filter);
    return this.db.indexReads(async (read) => {
      const rows = await read<DeliveryRow>(`deliveries_list_${driver}`, listSql(driver), params);
      if (rows.length >= limit) return { rows, scanEnd: null };
      // A short page: the end of the history, or of the walk's budget (then the next page goes on from there).
      const [end] = await read<{ scan_end: string | null }>(`deliveries_walk_end_${driver}`, walkEndSql(driver), params.slice(0, 9));
      return { rows, scanEnd: end?.scan_end ?? null };
    });
  }

  forEvent(eventId: string, limit: number): Promise<DeliveryRow[]> {
    const { low, high } = narrowToEvent({ low: null, high: null }, eventId);
    return this.db.query<DeliveryRow>(
      `select ${COLUMNS} from ${FROM} where d.event_id = $1 and ${IN_BOUNDS('d.id', '$3', '$4')} order by d.id limit $2`, [eventId, limit, low, high]);
  }

  async countForEvent(eventId: string): Promise<number> {
    const { low, high } = narrowToEvent({ low: null, high: null }, eventId);
    const row = await this.db.one<{ n: number }>(`select count(*)::int as n from deliveries d where d.event_id = $1 and ${IN_BOUNDS('d.id', '$2', '$3')}`, [eventId, low, high]);
    return row?.n ?? 0;
  }

  find(tenantId: string, id: string): Promise<DeliveryRow | null> {
    return this.db.one<DeliveryRow>(`select ${COLUMNS} from ${FROM} where d.tenant_id = $1 and d.id = $2`, [tenantId, id]);
  }

  attempts(deliveryId: string): Promise<AttemptRow[]> {
    // an attempt is made after its delivery: the partitions of attempts older than it (less a
    // day, for the clocks of other hosts) are not read
    const time = idTime(deliveryId);
    const after = time ? idAtOrAfter('att', new Date(time.getTime() - 86_400_000)) : null;
    return this.db.query<AttemptRow>(
      // an attempt below the retention mark has had its body dropped with its day (src/worker/retention.service.ts)
      `select a.id, a.number, a.trigger, a.started_at, a.duration_ms, a.request_url, a.response_status, ${BODY_OF('a.id')} as response_body,
              a.response_body_encoding, a.response_body_truncated, a.error, a.request_headers,
              a.id < coalesce((select expired_before from retention_marks where name = 'attempts'), '') as expired
         from attempts a
        where a.delivery_id = $1 and ($2::text is null or a.id >= $2) order by a.number, a.id`,
      [deliveryId, after],
    );
  }

  requestSource(deliveryId: string): Promise<RequestSourceRow | null> {
    return this.db.one<RequestSourceRow>(
      `select ev.id as event_id, ev.type as event_type, ev.created_at as event_created_at, ${PAYLOAD_OF('d.event_id')} as data_json, ev.summary,
              e.headers, e.summaries, e.signature_scheme, e.secret, e.previous_secrets
         from deliveries d join events ev on ev.id = d.event_id join endpoints e on e.id = d.endpoint_id
        where d.id = $1`,
      [deliveryId],
    );
  }

  /**
   * Queues one manual attempt now (attempt 0 in the delivery queue; a second retry while one
   * waits adds nothing) and wakes the endpoint's drain, in one statement.
   */
  async queueManualAttempt(deliveryId: string): Promise<void> {
    await this.db.query(
      `with q as (
         insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
         select id, 0, endpoint_id, tenant_id, now() from deliveries where id = $1
         on conflict do nothing
         returning endpoint_id
       )
       select ${addDrainJobsSql('(select endpoint_id, now() as run_at from q)')} where exists (select 1 from q)`,
      [deliveryId]);
  }

  /** What a manual retry needs to know before it queues an attempt. */
  retryTarget(tenantId: string, id: string): Promise<{ endpoint_enabled: boolean; endpoint_deleted: boolean; event_expired: boolean } | null> {
    return this.db.one(
      `select e.enabled as endpoint_enabled, e.deleted_at is not null as endpoint_deleted,
              not exists (select 1 from event_payloads p where p.event_id = d.event_id) as event_expired
         from deliveries d join endpoints e on e.id = d.endpoint_id
        where d.tenant_id = $1 and d.id = $2`,
      [tenantId, id],
    );
  }

  /** What the explanation needs to know of the delivery's endpoint. */
  explainTarget(tenantId: string, id: string): Promise<{ endpoint_enabled: boolean; disabled_reason: string | null } | null> {
    return this.db.one(
      `select e.enabled as endpoint_enabled, e.disabled_reason
         from deliveries d join endpoints e on e.id = d.endpoint_id
        where d.tenant_id = $1 and d.id = $2`,
      [tenantId, id],
    );
  }
}

export function toDelivery(row: DeliveryRow): DeliveryResponse {
  return {
    id: row.id,
    eventId: row.event_id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

export function toAttempt(row: AttemptRow): Omit<AttemptResponse, 'requestHeaders' | 'requestBody' | 'requestVerified'> {
  return {
    id: row.id,
    number: row.number,
    trigger: row.trigger,
    startedAt: row.started_at.toISOString(),
    durationMs: row.duration_ms,
    requestUrl: row.request_url,
    responseStatus: row.response_status,
    responseBody: row.response_body,
    responseBodyEncoding: row.response_body_encoding,
    responseBodyTruncated: row.response_body_truncated,
    error: row.error,
    expired: row.expired,
  };
}
