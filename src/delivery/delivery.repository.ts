import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { DELIVER_TASK } from '../deliveries/delivery-jobs';
import { DeliveryStatus } from '../deliveries/dto/list-deliveries.dto';
import { EndpointRow } from '../endpoints/endpoints.repository';
import { PayloadSummary } from './payload';

/** One query's worth: the delivery, the endpoint fields a send needs, and the event. */
export interface DeliveryContext
  extends Pick<EndpointRow, 'url' | 'secret' | 'previous_secrets' | 'signature_scheme' | 'headers' | 'summaries' | 'rate_limit_per_second'> {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  /** Scheduled attempts recorded so far: a scheduled job whose number is not above it already ran. */
  scheduled_attempts: number;
  endpoint_enabled: boolean;
  endpoint_deleted: boolean;
  event_type: string;
  data_json: string | null;
  summary: PayloadSummary | null;
  event_created_at: Date;
}

/** What one attempt did, and what it means for the delivery and its endpoint. */
export interface AttemptRecord {
  deliveryId: string;
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
  /** null keeps the delivery's status (a failed manual attempt). */
  newStatus: 'pending' | 'succeeded' | 'failed' | null;
  nextAttemptAt: Date | null;
  /** Scheduled attempt number of the retry job to add, or 0 for none. */
  retryAttempt: number;
  outcome: 'ok' | 'fail' | 'gone';
}

/** How long loads gather before one query fetches them all: jobs start over a few milliseconds. */
const LOAD_BATCH_MS = 2;

const LOAD_SQL = `
  select d.id, d.tenant_id, d.event_id, d.endpoint_id, d.status, d.scheduled_attempts,
         e.url, e.enabled as endpoint_enabled, e.deleted_at is not null as endpoint_deleted, e.secret, e.previous_secrets,
         e.signature_scheme, e.headers, e.summaries, e.rate_limit_per_second,
         ev.type as event_type, ev.data::text as data_json, ev.summary, ev.created_at as event_created_at
    from deliveries d
    join endpoints e on e.id = d.endpoint_id
    join events ev on ev.id = d.event_id
   where d.id = any($1::text[])`;

/**
 * Records a batch of attempts in ONE statement: the attempt rows, the deliveries' new state,
 * the retry jobs and the endpoints' health. A delivery appears at most once per batch.
 */
const RECORD_SQL = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::int[],
                       $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], $13::timestamptz[], $14::int[],
                       $15::text[], $16::text[])
    as t(delivery_id, attempt_id, trigger, started_at, duration_ms, request_url, response_status,
         response_body, body_encoding, truncated, error, new_status, next_attempt_at, retry_n, endpoint_id, outcome)
), d as (
  update deliveries dd
     set attempt_count = dd.attempt_count + 1,
         scheduled_attempts = dd.scheduled_attempts + (i.trigger = 'scheduled')::int,
         status = coalesce(i.new_status, dd.status),
         next_attempt_at = case when i.new_status is null then dd.next_attempt_at else i.next_attempt_at end,
         last_attempt_at = i.started_at,
         updated_at = now()
    from input i
   where dd.id = i.delivery_id
  returning dd.id, dd.attempt_count
), a as (
  insert into attempts (id, delivery_id, number, trigger, started_at, duration_ms, request_url, response_status,
                        response_body, response_body_encoding, response_body_truncated, error)
  select i.attempt_id, i.delivery_id, d.attempt_count, i.trigger, i.started_at, i.duration_ms, i.request_url,
         i.response_status, i.response_body, i.body_encoding, i.truncated, i.error
    from input i join d on d.id = i.delivery_id
  returning 1
), j as (
  select graphile_worker.add_jobs(array(
    select row('${DELIVER_TASK}', json_build_object('d', i.delivery_id, 'n', i.retry_n), null, i.next_attempt_at,
               null, null, null, null)::graphile_worker.job_spec
      from input i where i.retry_n > 0))
   -- add_jobs always NOTIFYs, and notifying commits are serialised: skip it when nothing is due
   where exists (select 1 from input where retry_n > 0)
), health as (
  select endpoint_id, bool_or(outcome = 'ok') as any_ok, bool_or(outcome = 'gone') as gone
    from input group by endpoint_id
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
  returning 1
)
select (select count(*) from a)::int as attempts, (select count(*) from j)::int as jobs, (select count(*) from ep)::int as endpoints`;

@Injectable()
export class DeliveryRepository {
  private pendingLoads: Array<{ id: string; resolve: (row: DeliveryContext | null) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly db: Db) {}

  /**
   * Loads delivery, endpoint and event in one query. Loads asked for in the same tick are
   * batched into one statement: with a local queue of jobs, many start together.
   */
  load(deliveryId: string): Promise<DeliveryContext | null> {
    return new Promise((resolve, reject) => {
      this.pendingLoads.push({ id: deliveryId, resolve, reject });
      if (this.pendingLoads.length === 1) setTimeout(() => this.flushLoads(), LOAD_BATCH_MS);
    });
  }

  private flushLoads(): void {
    const waiters = this.pendingLoads;
    this.pendingLoads = [];
    this.db.prepared<DeliveryContext>('delivery_load', LOAD_SQL, [[...new Set(waiters.map((w) => w.id))]]).then(
      (rows) => {
        const byId = new Map(rows.map((r) => [r.id, r]));
        waiters.forEach((w) => w.resolve(byId.get(w.id) ?? null));
      },
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
  }

  async recordBatch(records: AttemptRecord[], disableAfterMs: number): Promise<void> {
    const col = <K extends keyof AttemptRecord>(key: K) => records.map((r) => r[key]);
    await this.db.prepared('attempts_record', RECORD_SQL, [
      col('deliveryId'), col('attemptId'), col('trigger'), records.map((r) => r.startedAt.toISOString()), col('durationMs'),
      col('requestUrl'), col('responseStatus'), col('responseBody'), col('responseBodyEncoding'), col('responseBodyTruncated'),
      col('error'), col('newStatus'), records.map((r) => r.nextAttemptAt?.toISOString() ?? null), col('retryAttempt'),
      col('endpointId'), col('outcome'), disableAfterMs,
    ]);
  }

  /** A delivery that cannot be attempted (endpoint disabled or deleted, payload expired) ends without a request. */
  async finishWithoutAttempt(deliveryId: string, status: 'failed' | 'cancelled'): Promise<void> {
    await this.db.query(
      `update deliveries set status = $2, next_attempt_at = null, updated_at = now() where id = $1 and status = 'pending'`,
      [deliveryId, status]);
  }

  /** Stores the event's summary once; a concurrent writer's summary wins and is returned. */
  async storeSummary(eventId: string, summary: PayloadSummary): Promise<PayloadSummary> {
    const row = await this.db.one<{ summary: PayloadSummary }>(
      `update events set summary = coalesce(summary, $2::jsonb) where id = $1 returning summary`,
      [eventId, JSON.stringify(summary)]);
    return row?.summary ?? summary;
  }

  /**
   * Takes a send slot of the endpoint in a sliding one-second window: null when this request
   * may go now (and is counted), else the time a slot frees. A fixed per-second window would
   * let 2 x limit requests through around a second boundary. Deferred requests are not counted.
   */
  async takeRateSlot(endpointId: string, limit: number): Promise<Date | null> {
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtextextended('endpoint-rate:' || $1, 0))`, [endpointId]);
      const recent = await this.db.query<{ at: Date; count: number }>(
        `select window_start as at, count from endpoint_rate_windows
          where endpoint_id = $1 and window_start > clock_timestamp() - interval '1 second'
          order by window_start desc`, [endpointId], tx);
      let used = 0;
      for (const row of recent) {
        used += row.count;
        // Once this send (and all older ones) leave the window, fewer than `limit` remain.
        if (used >= limit) return new Date(row.at.getTime() + 1000);
      }
      await tx.query(
        `insert into endpoint_rate_windows (endpoint_id, window_start, count) values ($1, clock_timestamp(), 1)
         on conflict (endpoint_id, window_start) do update set count = endpoint_rate_windows.count + 1`, [endpointId]);
      return null;
    });
  }

  async deferJob(payload: object, runAt: Date): Promise<void> {
    await this.db.query(`select graphile_worker.add_job($1, $2::json, run_at := $3)`, [DELIVER_TASK, JSON.stringify(payload), runAt.toISOString()]);
  }
}
