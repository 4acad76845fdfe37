import { idAtOrAfter, newId } from '../../src/common/ids';
import { createLogPartitions, PAYLOAD_TABLES, RunSql, spansOf, utcDay } from '../../src/database/log-partitions';
import { sql } from './database';

const SEED_BATCH = 5_000;

/**
 * `count` events of `type` for one endpoint of a tenant, each with its payload, the summary
 * publish stores when no model is configured (so the worker makes none) and one delivery,
 * written `SEED_BATCH` at a time. `deliveries` is the statement that writes the deliveries
 * (and whatever goes with them) after the events: $1 the event ids, $2 the delivery ids, $3
 * the tenant, $4 the endpoint, $5 the type.
 */
async function seedEvents(databaseUrl: string, tenantId: string, endpointId: string, count: number, type: string, deliveries: string): Promise<void> {
  for (let done = 0; done < count; done += SEED_BATCH) {
    const events = Array.from({ length: Math.min(SEED_BATCH, count - done) }, () => newId('evt'));
    await sql(databaseUrl,
      `with ev as (insert into events (id, tenant_id, type, summary)
                   select e, $3, $5, json_build_object('text', 'A ' || $5 || ' event.', 'source', 'offline', 'model', null)::jsonb
                     from unnest($1::text[]) e returning id),
            payload as (insert into event_payloads (event_id, data) select e, '{"n":1}' from unnest($1::text[]) e)
       ${deliveries}`,
      [events, events.map(() => newId('dlv')), tenantId, endpointId, type]);
  }
}

/**
 * `count` failed deliveries of one endpoint, for a recover (issue 9 points 4 and 5): its rate is
 * compared with the 1 -> 1 figure of the same run.
 */
export async function seedFailedDeliveries(databaseUrl: string, tenantId: string, endpointId: string, count: number): Promise<void> {
  await seedEvents(databaseUrl, tenantId, endpointId, count, 'bench.recover',
    `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts)
     select d, $3, e, $4, $5, 'failed', 8, 8 from unnest($2::text[], $1::text[]) as t(d, e)`);
}

/**
 * The queue under the statistics that once made it collapse: graphile-worker's jobs table and
 * the service's own delivery_queue analysed while (nearly) empty, so the planner believes them
 * tiny when the recover fills them. Returns how many rows each held.
 */
export async function analyseEmptyQueues(databaseUrl: string): Promise<{ jobs: number; queued: number }> {
  const [counts] = await sql<{ jobs: number; queued: number }>(databaseUrl,
    `select (select count(*) from graphile_worker._private_jobs)::int as jobs, (select count(*) from delivery_queue)::int as queued`);
  await sql(databaseUrl, `analyze graphile_worker._private_jobs`);
  await sql(databaseUrl, `analyze delivery_queue`);
  return counts;
}

/**
 * A backlog of `count` pending deliveries of one endpoint, queued for an hour from now (so only
 * a delete ends them): what deleting an endpoint with a large backlog costs (issue 9 point 5).
 */
export async function seedQueuedBacklog(databaseUrl: string, tenantId: string, endpointId: string, count: number): Promise<void> {
  await seedEvents(databaseUrl, tenantId, endpointId, count, 'bench.backlog',
    `, dl as (insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at)
              select d, $3, e, $4, $5, now() + interval '1 hour' from unnest($2::text[], $1::text[]) as t(d, e)
              returning id)
     insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
     select id, 1, $4, $3, now() + interval '1 hour' from dl`);
}

/**
 * A whole UTC day of `count` payloads and as many response bodies, `daysAgo` days back, in
 * partitions of their own (src/database/log-partitions.ts): what the next retention run drops
 * while a recover and a delete go on (issue 9 point 5). Returns the partitions made.
 */
export async function seedExpiredDay(databaseUrl: string, daysAgo: number, count: number): Promise<string[]> {
  const day = utcDay(new Date(Date.now() - daysAgo * 86_400_000));
  const run: RunSql = (text, params) => sql(databaseUrl, text, params);
  const made = await createLogPartitions(run, day, day, spansOf(PAYLOAD_TABLES, 1));
  // ids of one time of that day; the 16 characters after it count up in hex (Crockford base32 holds 0-9 and a-f)
  const at = new Date(day.getTime() + 3_600_000);
  await sql(databaseUrl, `insert into event_payloads (event_id, data) select $1 || lpad(to_hex(g), 16, '0'), '{"n":1}' from generate_series(1, $2::int) g`,
    [idAtOrAfter('evt', at), count]);
  await sql(databaseUrl, `insert into attempt_bodies (attempt_id, body) select $1 || lpad(to_hex(g), 16, '0'), 'ok' from generate_series(1, $2::int) g`,
    [idAtOrAfter('att', at), count]);
  return made;
}
