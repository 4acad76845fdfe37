import { Queryable } from '../database/db';

/**
 * The one owner of the job queue's contract: task names, the payload codec, every enqueue
 * and every touch of graphile-worker's own schema. graphile-worker schedules endpoints, not
 * deliveries: a `drain` job says "this endpoint may have due work"; the deliveries themselves
 * wait in `delivery_queue` (see worker/endpoint-driver.ts).
 */
export const TASKS = { drain: 'drain', retention: 'retention', recover: 'recover' } as const;

export interface DrainPayload {
  endpointId: string;
}

/** Checks what graphile-worker hands back: a job row's payload is whatever was stored. */
export function decodeDrainPayload(payload: unknown): DrainPayload {
  const e = (payload as { e?: unknown } | null)?.e;
  if (typeof e !== 'string' || !/^ep_[0-9a-z]{26}$/.test(e)) throw new Error(`drain job payload without an endpoint id: ${JSON.stringify(payload)?.slice(0, 100)}`);
  return { endpointId: e };
}

/** The rest of a bulk recover (POST .../endpoints/{id}/recover): failed deliveries older than `before`. */
export interface RecoverPayload {
  endpointId: string;
  since: Date;
  before: string;
}

export function decodeRecoverPayload(payload: unknown): RecoverPayload {
  const p = (payload ?? {}) as { e?: unknown; s?: unknown; b?: unknown };
  const since = typeof p.s === 'string' ? new Date(p.s) : new Date(NaN);
  if (typeof p.e !== 'string' || !/^ep_[0-9a-z]{26}$/.test(p.e) || Number.isNaN(since.getTime()) || typeof p.b !== 'string' || !/^dlv_[0-9a-z]{26}$/.test(p.b)) {
    throw new Error(`recover job payload is malformed: ${JSON.stringify(payload)?.slice(0, 100)}`);
  }
  return { endpointId: p.e, since, before: p.b };
}

/** Queues the next batch of a bulk recover in `delayMs` on the caller's connection (in its transaction: durable with it). */
export async function scheduleRecover(client: Queryable, next: RecoverPayload, delayMs: number): Promise<void> {
  await client.query(`select graphile_worker.add_job($1, $2::json, run_at := now() + $3::int * interval '1 millisecond', max_attempts := 25)`,
    [TASKS.recover, JSON.stringify({ e: next.endpointId, s: next.since.toISOString(), b: next.before }), delayMs]);
}

export const drainJobKey = (endpointIdSql: string) => `'drain:' || ${endpointIdSql}`;

/**
 * SQL adding one drain job per row of `source` (which has `endpoint_id` and `run_at`
 * columns). A queued drain job of the endpoint is moved earlier, never later: an endpoint
 * whose drain is due now must not wait for a retry's later time. A running one stays and a
 * new one is queued behind it (graphile-worker's job_key semantics).
 */
export function addDrainJobsSql(source: string): string {
  return `graphile_worker.add_jobs(array(
    select row('${TASKS.drain}', json_build_object('e', s.endpoint_id), null,
               least(s.run_at, (select j.run_at from graphile_worker._private_jobs j
                                 where j.key = ${drainJobKey('s.endpoint_id')} and j.locked_at is null)),
               null, ${drainJobKey('s.endpoint_id')}, null, null)::graphile_worker.job_spec
      from ${source} s
     -- in key order: two statements waking the same endpoints lock their job rows in the same order
     order by s.endpoint_id))`;
}

/** Schedules drains of endpoints on the caller's connection (in its transaction). */
export async function scheduleDrains(client: Queryable, drains: Array<{ endpointId: string; runAt: Date | null }>): Promise<void> {
  if (drains.length === 0) return;
  await client.query(
    `select ${addDrainJobsSql(`(select t.e as endpoint_id, coalesce(t.r, now()) as run_at
                                   from unnest($1::text[], $2::timestamptz[]) as t(e, r))`)}`,
    [drains.map((d) => d.endpointId), drains.map((d) => d.runAt?.toISOString() ?? null)]);
}

/** Unlocks the jobs held by `workerIds` (a runner or process that is gone). */
export async function unlockWorkers(client: Queryable, workerIds: string[]): Promise<void> {
  if (workerIds.length === 0) return;
  await client.query(`select graphile_worker.force_unlock_workers($1::text[])`, [workerIds]);
}

/** Jobs waiting to run now (unlocked, due): endpoints waiting for a drain, plus housekeeping. */
export async function dueJobCount(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from graphile_worker._private_jobs where is_available and run_at <= now()`);
  return rows[0]?.n ?? 0;
}

/**
 * Ends up to `limit` of an endpoint's queued attempts without a request: they (and any other
 * queue row of their deliveries, say a manual attempt beside a scheduled one) leave the queue,
 * and their pending deliveries become `status`. Returns how many it picked: `limit` means more
 * may be queued. The one place for it: the drain of a disabled or deleted endpoint and an
 * endpoint's delete both use it.
 *
 * The rows are picked first, and the statement that takes them finds their deliveries by that
 * list of keys, a parameter it is planned with: PostgreSQL then reads only the partitions of
 * deliveries that hold them. A list computed inside the statement ("= any(array(select ...))")
 * is looked up in every partition: 130-190 ms against 3 ms for 1,000 keys over 40 partitions.
 * Only a plan made for the values prunes: keep it an unnamed statement (Db.query), not a
 * prepared one (Db.prepared), whose generic plan reads every partition.
 */
export async function endQueuedDeliveries(client: Queryable, endpointId: string, status: 'failed' | 'cancelled', limit: number): Promise<number> {
  const { rows: picked } = await client.query<{ delivery_id: string }>(
    `select delivery_id from delivery_queue where endpoint_id = $1 limit $2`, [endpointId, limit]);
  if (picked.length === 0) return 0;
  // The queue rows are the token: only the deliveries whose rows this statement took end. The
  // queue is read by a list the planner cannot count ("= any(array(select ...))"): a list of a
  // thousand keys planned with statistics taken while the queue was small reads it whole.
  await client.query(
    `with q as (
       delete from delivery_queue where delivery_id = any(array(select unnest($1::text[]))) returning delivery_id
     )
     update deliveries set status = $2, next_attempt_at = null, updated_at = now()
      where id = any($1::text[]) and id = any(array(select delivery_id from q)) and status = 'pending'`,
    [picked.map((r) => r.delivery_id), status]);
  return picked.length;
}
