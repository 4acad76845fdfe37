import { Queryable } from '../database/db';

export const DELIVER_TASK = 'deliver';

/**
 * The payload of a `deliver` job: `d` the delivery id, `n` the scheduled attempt number
 * (1..schedule length + 1) or `m: 1` for a manual attempt, which uses no slot of the schedule.
 */
export interface DeliverJobPayload {
  d: string;
  n?: number;
  m?: 1;
}

/**
 * The first attempts of one event's deliveries, up to 32 in one job (`ds`): a fan-out to ten
 * endpoints then costs the queue one job, not ten. Retries are single-delivery jobs again.
 */
export interface DeliverManyJobPayload {
  ds: string[];
  n: 1;
}

/** Splits either payload into single-delivery payloads. */
export function deliveriesOf(payload: DeliverJobPayload | DeliverManyJobPayload): DeliverJobPayload[] {
  return 'ds' in payload ? payload.ds.map((d) => ({ d, n: 1 })) : [payload];
}

export interface DeliverJob {
  deliveryId: string;
  attempt: number | 'manual';
  runAt?: Date | null;
}

/**
 * Enqueues deliver jobs with graphile_worker.add_jobs on the caller's connection, so they
 * commit or roll back with the caller's transaction (the JS addJob cannot join one).
 */
export async function enqueueDeliverJobs(client: Queryable, jobs: DeliverJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await client.query(ENQUEUE_SQL, [
    jobs.map((j) => j.deliveryId),
    jobs.map((j) => (j.attempt === 'manual' ? 0 : j.attempt)),
    jobs.map((j) => j.runAt?.toISOString() ?? null),
  ]);
}

export const ENQUEUE_SQL = `
  select graphile_worker.add_jobs(array(
    select row('${DELIVER_TASK}',
               case when t.n = 0 then json_build_object('d', t.d, 'm', 1) else json_build_object('d', t.d, 'n', t.n) end,
               null, t.r, null, null, null, null)::graphile_worker.job_spec
      from unnest($1::text[], $2::int[], $3::timestamptz[]) as t(d, n, r)))`;
