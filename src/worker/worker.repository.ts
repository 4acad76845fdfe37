import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { PAYLOAD_OF } from '../database/log-partitions';
import { EndpointRow } from '../endpoints/endpoints.repository';
import { addDrainJobsSql, endQueuedDeliveries, scheduleDrains } from '../queue/queue';
import { Circuit, CircuitState } from './circuit';
import type { Summary } from '../summaries/summary.engine';

/** The endpoint as its driver needs it: where and how to send, and its limits. */
export interface EndpointState
  extends Pick<EndpointRow, 'id' | 'tenant_id' | 'url' | 'secret' | 'previous_secrets' | 'signature_scheme' | 'headers' | 'summaries' | 'rate_limit_per_second' | 'enabled'> {
  deleted: boolean;
  max_in_flight: number | null;
  circuit_state: CircuitState;
  circuit_opened_at: Date | null;
  circuit_next_probe_at: Date | null;
  circuit_failures: number;
  circuit_step: number;
  /** When the last attempts of a rate-limited endpoint started (its sliding window, kept across owners). */
  rate_window: Date[] | null;
}

/** One due attempt: its queue row and what the attempt needs of the delivery and event. */
export interface DueAttempt {
  delivery_id: string;
  /** The queue row's key: the scheduled attempt number, or 0 for a manual attempt. */
  attempt: number;
  due_at: Date;
  tenant_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  event_type: string;
  data_json: string | null;
  summary: Summary | null;
  event_created_at: Date;
}

/** What one attempt did, and what it means for the delivery and its endpoint. */
export interface AttemptRecord {
  deliveryId: string;
  /** The queue row this attempt consumed (see DueAttempt.attempt). */
  queueAttempt: number;
  endpointId: string;
  attemptId: string;
  trigger: 'scheduled' | 'manual';
  startedAt: Date;
  durationMs: number;
  requestUrl: string;
  responseStatus: number | null;
  responseBody: string | null;
  responseBodyEncoding: 'utf8' | 'base64' | null;
  responseBodyTruncated: boolean;
  error: string | null;
  /** The headers of the request that differ per attempt (timestamp, signatures); the rest is rebuilt on read. */
  requestHeaders?: Record<string, string> | null;
  /** null keeps the delivery's status (a failed manual attempt). */
  newStatus: 'pending' | 'succeeded' | 'failed' | null;
  /** When the next scheduled attempt is due (newStatus pending). */
  nextAttemptAt: Date | null;
  outcome: 'ok' | 'fail' | 'gone';
}

export interface RecordResult {
  /** Attempts whose queue row was still there: recorded. Others were recorded by someone else already. */
  recorded: Set<string>;
  /** Endpoints this batch disabled (410, or failing past ENDPOINT_DISABLE_AFTER). */
  disabled: Set<string>;
}

const ENDPOINT_STATE = `e.id, e.tenant_id, e.url, e.enabled, e.deleted_at is not null as deleted, e.secret, e.previous_secrets,
  e.signature_scheme, e.headers, e.summaries, e.rate_limit_per_second, e.max_in_flight, e.circuit_state,
  e.circuit_opened_at, e.circuit_next_probe_at, e.circuit_failures, e.circuit_step, e.rate_window`;

/** The lease is taken when free, expired, or ours already; the endpoint's state comes with it. */
const ACQUIRE_SQL = `
with lease as (
  insert into endpoint_drains (endpoint_id, owner, lease_until) values ($1, $2, now() + $3::bigint * interval '1 millisecond')
  on conflict (endpoint_id) do update set owner = excluded.owner, lease_until = excluded.lease_until
   where endpoint_drains.lease_until < now() or endpoint_drains.owner = excluded.owner
  returning 1
)
select ${ENDPOINT_STATE} from endpoints e where e.id = $1 and exists (select 1 from lease)`;

/**
 * Due attempts of one endpoint, oldest first, skipping those this driver holds already; the
 * endpoint's state on every row (and alone when nothing is due). Manual attempts (attempt 0)
 * are fetched apart, through a small partial index, so they never wait behind a backlog.
 */
const fetchSql = (which: 'manual' | 'scheduled') => `
select ${ENDPOINT_STATE},
       q.delivery_id, q.attempt, q.due_at, d.tenant_id as delivery_tenant_id, d.event_id, d.status, ev.type as event_type,
       ${PAYLOAD_OF('d.event_id')} as data_json, ev.summary, ev.created_at as event_created_at
  from endpoints e
  left join lateral (
    select q.delivery_id, q.attempt, q.due_at from delivery_queue q
     where q.endpoint_id = e.id and q.due_at <= now() and q.delivery_id <> all($2::text[])
       and ${which === 'manual' ? 'q.attempt = 0' : 'q.attempt > 0'}
       and (q.due_at, q.delivery_id) > ($4::timestamptz, $5::text)
     order by q.due_at, q.delivery_id
     limit $3
  ) q on true
  left join deliveries d on d.id = q.delivery_id
  left join events ev on ev.id = d.event_id
 where e.id = $1`;

/**
 * Records a batch of attempts in ONE statement. The queue row of an attempt is its token:
 * only attempts whose row is still there are recorded (a second owner after a lost lease
 * changes nothing twice). It writes the attempt rows, the deliveries' new state (a HOT
 * update: no index covers those columns), the next scheduled attempt of a failed one, and
 * the endpoints' health; it returns what was recorded and which endpoints it disabled.
 */
const RECORD_SQL = `
with input as (
  select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::text[], $8::int[],
                       $9::text[], $10::text[], $11::bool[], $12::text[], $13::text[], $14::timestamptz[], $15::text[], $16::text[],
                       $18::text[])
    as t(delivery_id, queue_attempt, attempt_id, trigger, started_at, duration_ms, request_url, response_status,
         response_body, body_encoding, truncated, error, new_status, next_due, endpoint_id, outcome, request_headers)
), taken as (
  -- Every lookup goes through "= any($1)": an index condition whatever the statistics say. A
  -- join with the unnest() input is planned as a hash join over the whole (churning) queue
  -- once the queue was last analysed large, and costs a scan per batch.
  delete from delivery_queue q
   where q.delivery_id = any($1::text[])
     and exists (select 1 from input i where i.delivery_id = q.delivery_id and i.queue_attempt = q.attempt)
  returning q.delivery_id, q.attempt, q.tenant_id
), rec as (
  select i.*, t.tenant_id from input i join taken t on t.delivery_id = i.delivery_id and t.attempt = i.queue_attempt
), d as (
  update deliveries dd
     set attempt_count = dd.attempt_count + 1,
         scheduled_attempts = dd.scheduled_attempts + (r.queue_attempt > 0)::int,
         status = coalesce(r.new_status, dd.status),
         next_attempt_at = case when r.new_status is null then dd.next_attempt_at else r.next_due end,
         last_attempt_at = r.started_at,
         updated_at = now()
    from rec r
   where dd.id = any($1::text[]) and dd.id = r.delivery_id
  returning dd.id, dd.attempt_count
), a as (
  insert into attempts (id, delivery_id, number, trigger, started_at, duration_ms, request_url, response_status,
                        response_body_encoding, response_body_truncated, error, endpoint_id, request_headers)
  select r.attempt_id, r.delivery_id, d.attempt_count, r.trigger, r.started_at, r.duration_ms, r.request_url,
         r.response_status, r.body_encoding, r.truncated, r.error, r.endpoint_id, r.request_headers::jsonb
    from rec r join d on d.id = r.delivery_id
  returning 1
), body as (
  -- the body lives in its day's partition, which retention drops whole (src/database/log-partitions.ts)
  insert into attempt_bodies (attempt_id, body)
  select r.attempt_id, r.response_body from rec r join d on d.id = r.delivery_id where r.response_body is not null
), requeue as (
  -- only for a delivery still there (retention may have dropped its partition meanwhile)
  insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
  select r.delivery_id, r.queue_attempt + 1, r.endpoint_id, r.tenant_id, r.next_due
    from rec r join d on d.id = r.delivery_id where r.new_status = 'pending' and r.queue_attempt > 0
  on conflict do nothing
  returning 1
), finished as (
  -- a delivery that ended (say a manual attempt succeeded) leaves the queue entirely
  delete from delivery_queue q using rec r
   where q.delivery_id = any($1::text[]) and q.delivery_id = r.delivery_id and q.attempt <> r.queue_attempt
     and r.new_status in ('succeeded', 'failed')
  returning 1
), health as (
  select endpoint_id, bool_or(outcome = 'ok') as any_ok, bool_or(outcome = 'gone') as gone
    from rec group by endpoint_id
), verdict as (
  -- failing_since is null while healthy, so every comparison with it is wrapped in coalesce
  select h.endpoint_id, h.any_ok, h.gone,
         coalesce(not h.any_ok and e.failing_since < now() - $17::bigint * interval '1 millisecond', false) as failing_too_long
    from health h join endpoints e on e.id = h.endpoint_id
), ep as (
  update endpoints e
     set failing_since = case when v.any_ok then null else coalesce(e.failing_since, now()) end,
         enabled = e.enabled and not (v.gone or v.failing_too_long),
         disabled_reason = case
           when not e.enabled then e.disabled_reason
           when v.gone then 'gone'
           when v.failing_too_long then 'failing'
           else e.disabled_reason end,
         updated_at = now()
    from verdict v
   where e.id = v.endpoint_id
     and (v.gone
          or (v.any_ok and e.failing_since is not null)
          or (not v.any_ok and e.failing_since is null)
          or (e.enabled and v.failing_too_long))
  returning e.id, e.enabled
)
select (select coalesce(array_agg(delivery_id || ':' || queue_attempt), '{}') from rec) as recorded,
       (select coalesce(array_agg(id), '{}') from ep where not enabled) as disabled,
       (select count(*) from a)::int as attempts, (select count(*) from requeue)::int as requeued,
       (select count(*) from finished)::int as finished`;

/** Where a scan of an endpoint's queue goes on from. */
export interface QueueCursor {
  dueAt: Date;
  deliveryId: string;
}

const EPOCH = new Date(0);

export const attemptKey = (deliveryId: string, queueAttempt: number) => `${deliveryId}:${queueAttempt}`;

type FetchRow = EndpointState & Partial<Omit<DueAttempt, 'tenant_id'>> & { delivery_tenant_id: string | null };

@Injectable()
export class WorkerRepository {
  constructor(private readonly db: Db) {}

  /** Takes the endpoint's drain lease for `owner`; null when another live process holds it (or the endpoint is gone). */
  async acquire(endpointId: string, owner: string, leaseMs: number): Promise<EndpointState | null> {
    return this.db.one<EndpointState>(ACQUIRE_SQL, [endpointId, owner, leaseMs]);
  }

  /**
   * Gives the lease up, then (in a second statement, whose snapshot follows the release)
   * schedules the endpoint's next drain at its earliest due attempt, not before `notBefore`
   * (an open circuit's probe). A rate-limited endpoint's window goes with the endpoint, so
   * the next owner (in any process) goes on from it. A drain job that saw the lease still held ran before the
   * release committed, so whatever it was woken for is visible to the second statement.
   */
  async release(endpointId: string, owner: string, notBefore: Date | null, rateWindow: Date[] | null = null): Promise<void> {
    if (rateWindow) await this.db.query(`update endpoints set rate_window = $2 where id = $1`, [endpointId, rateWindow]);
    await this.db.query(`delete from endpoint_drains where endpoint_id = $1 and owner = $2`, [endpointId, owner]);
    // The oldest due time along the queue's index (an aggregate would read the whole queue).
    await this.db.query(
      `with next as (select q.endpoint_id, greatest(q.due_at, $2::timestamptz) as run_at
                       from delivery_queue q where q.endpoint_id = $1 order by q.due_at limit 1)
       select ${addDrainJobsSql('next')} where exists (select 1 from next)`,
      [endpointId, notBefore?.toISOString() ?? null]);
  }

  /** A drain of the endpoint in `ms`. */
  async wakeLater(endpointId: string, ms: number): Promise<void> {
    await scheduleDrains(this.db.pool, [{ endpointId, runAt: new Date(Date.now() + ms) }]);
  }

  /** Extends this process's leases; returns the endpoints it still holds (a lease that expired meanwhile is lost). */
  async renew(owner: string, leaseMs: number): Promise<Set<string>> {
    const rows = await this.db.query<{ endpoint_id: string }>(
      `update endpoint_drains set lease_until = now() + $2::bigint * interval '1 millisecond' where owner = $1 returning endpoint_id`,
      [owner, leaseMs]);
    return new Set(rows.map((r) => r.endpoint_id));
  }

  /** The leases of processes found dead (WorkerHeartbeat): drop them and wake their endpoints. Returns how many. */
  async reclaimLeasesOf(owners: string[]): Promise<number> {
    return this.dropLeasesWhere('owner = any($1::text[])', [owners]);
  }

  /** Leases past their time belong to dead processes: drop them and wake their endpoints. Returns how many. */
  async reclaimExpiredLeases(): Promise<number> {
    return this.dropLeasesWhere('lease_until < now()', []);
  }

  /** Deletes the leases `condition` picks and queues a drain job for each of their endpoints. */
  private async dropLeasesWhere(condition: string, params: unknown[]): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `with dead as (
         delete from endpoint_drains where ${condition} returning endpoint_id
       ), jobs as (
         select ${addDrainJobsSql('(select endpoint_id, now() as run_at from dead)')} where exists (select 1 from dead)
       )
       select (select count(*) from dead)::int as n, (select count(*) from jobs)::int as jobs`, params);
    return rows[0]?.n ?? 0;
  }

  /**
   * The endpoint's state, then up to `manual` due manual attempts and `scheduled` due
   * scheduled ones, oldest first, none of `held`, the scheduled ones past `after` (the last
   * one a previous batch returned: the queue churns, and an index scan from its start would
   * walk every entry of rows deleted since the last vacuum).
   */
  async fetchDue(endpointId: string, held: string[], limits: { manual: number; scheduled: number; after?: QueueCursor | null }): Promise<{ endpoint: EndpointState | null; due: DueAttempt[] }> {
    const start = [EPOCH, ''];
    const rows = await this.db.queueReads(async (read) => {
      const got: FetchRow[] = [];
      if (limits.manual > 0) got.push(...(await read<FetchRow>('delivery_fetch_manual', fetchSql('manual'), [endpointId, held, limits.manual, ...start])));
      if (limits.scheduled > 0 || got.length === 0) {
        const after = limits.after ? [limits.after.dueAt, limits.after.deliveryId] : start;
        got.push(...(await read<FetchRow>('delivery_fetch_due', fetchSql('scheduled'), [endpointId, held, Math.max(0, limits.scheduled), ...after])));
      }
      return got;
    });
    if (rows.length === 0) return { endpoint: null, due: [] };
    const last = rows[rows.length - 1];
    const endpoint: EndpointState = {
      id: last.id, tenant_id: last.tenant_id, url: last.url, enabled: last.enabled, deleted: last.deleted,
      secret: last.secret, previous_secrets: last.previous_secrets, signature_scheme: last.signature_scheme,
      headers: last.headers, summaries: last.summaries, rate_limit_per_second: last.rate_limit_per_second,
      max_in_flight: last.max_in_flight, circuit_state: last.circuit_state, circuit_opened_at: last.circuit_opened_at,
      circuit_next_probe_at: last.circuit_next_probe_at, circuit_failures: last.circuit_failures, circuit_step: last.circuit_step,
      rate_window: last.rate_window,
    };
    // A queue row whose delivery is gone (its partition dropped by LOG_RETENTION_DAYS while a
    // retry or a record wrote it) would be fetched, and wake the drain, for ever: it goes.
    const orphans = rows.filter((r) => r.delivery_id && !r.event_id).map((r) => r.delivery_id!);
    if (orphans.length > 0) await this.dropOrphanQueueRows(orphans);
    const due = rows.filter((r) => r.delivery_id && r.event_id).map((r) => ({
      delivery_id: r.delivery_id!, attempt: r.attempt!, due_at: r.due_at!, tenant_id: r.delivery_tenant_id!, event_id: r.event_id!, status: r.status!,
      event_type: r.event_type!, data_json: r.data_json ?? null, summary: r.summary ?? null, event_created_at: r.event_created_at!,
    }));
    return { endpoint, due };
  }

  async recordBatch(records: AttemptRecord[], disableAfterMs: number): Promise<RecordResult> {
    const col = <K extends keyof AttemptRecord>(key: K) => records.map((r) => r[key]);
    const rows = await this.db.prepared<{ recorded: string[]; disabled: string[] }>('attempts_record', RECORD_SQL, [
      col('deliveryId'), col('queueAttempt'), col('attemptId'), col('trigger'), records.map((r) => r.startedAt.toISOString()),
      col('durationMs'), col('requestUrl'), col('responseStatus'), col('responseBody'), col('responseBodyEncoding'),
      col('responseBodyTruncated'), col('error'), col('newStatus'), records.map((r) => r.nextAttemptAt?.toISOString() ?? null),
      col('endpointId'), col('outcome'), disableAfterMs,
      records.map((r) => (r.requestHeaders ? JSON.stringify(r.requestHeaders) : null)),
    ]);
    return { recorded: new Set(rows[0]?.recorded ?? []), disabled: new Set(rows[0]?.disabled ?? []) };
  }

  /**
   * Ends up to `limit` queued deliveries of an endpoint that cannot be attempted (disabled:
   * failed; deleted: cancelled) without a request; returns how many. Bounded, so a backlog
   * of any size ends in steps.
   */
  async endQueued(endpointId: string, status: 'failed' | 'cancelled', limit: number): Promise<number> {
    return endQueuedDeliveries(this.db.pool, endpointId, status, limit);
  }


  /** Deletes the queue rows of these deliveries that are gone (none that is there). */
  async dropOrphanQueueRows(deliveryIds: string[]): Promise<void> {
    await this.db.query(
      `delete from delivery_queue q where q.delivery_id = any($1::text[])
          and not exists (select 1 from deliveries d where d.id = q.delivery_id)`, [deliveryIds]);
  }

  /** One attempt that cannot be made (its payload expired): it ends as failed, without a request. */
  async endOne(deliveryId: string, queueAttempt: number): Promise<void> {
    await this.db.query(
      `with q as (delete from delivery_queue where delivery_id = $1 and attempt = $2 returning 1)
       update deliveries set status = 'failed', next_attempt_at = null, updated_at = now()
        where id = $1 and status = 'pending' and $2 > 0 and exists (select 1 from q)`,
      [deliveryId, queueAttempt]);
  }

  /** The circuit as the endpoint object shows it (SPEC §10); written when its state changes. */
  async saveCircuit(endpointId: string, circuit: Circuit): Promise<void> {
    await this.db.query(
      `update endpoints set circuit_state = $2, circuit_opened_at = $3, circuit_next_probe_at = $4, circuit_failures = $5, circuit_step = $6
        where id = $1`,
      [endpointId, circuit.state, circuit.openedAt, circuit.nextProbeAt, circuit.failures, circuit.step]);
  }

  /** Stores the event's summary once; a concurrent writer's summary wins and is returned. */
  async storeSummary(eventId: string, summary: Summary): Promise<Summary> {
    const row = await this.db.one<{ summary: Summary }>(
      `update events set summary = coalesce(summary, $2::jsonb) where id = $1 returning summary`,
      [eventId, JSON.stringify(summary)]);
    return row?.summary ?? summary;
  }
}
