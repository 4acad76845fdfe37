import { idAtOrAfter, newId } from '../../src/common/ids';
import { createLogPartitions, LOG_PARTITIONED_TABLES, RunSql, spansOf } from '../../src/database/log-partitions';
import { getDelivery, TestApp } from './app';
import { waitFor } from './wait';

/** The deliveries of one event (newest first), as the API lists them. */
export async function deliveriesOf(app: TestApp, tenantId: string, eventId: string): Promise<any[]> {
  const res = await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${eventId}`);
  if (res.status !== 200) throw new Error(`deliveries: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** The only delivery of an event. */
export async function onlyDelivery(app: TestApp, tenantId: string, eventId: string): Promise<any> {
  const list = await deliveriesOf(app, tenantId, eventId);
  if (list.length !== 1) throw new Error(`expected one delivery of ${eventId}, got ${list.length}`);
  return list[0];
}

/** Polls a delivery until `check` holds, returning its detail (with attempts). */
export function waitForDelivery(app: TestApp, tenantId: string, deliveryId: string, check: (d: any) => boolean, timeoutMs = 10_000, what?: string): Promise<any> {
  return waitFor(async () => {
    const d = await getDelivery(app, tenantId, deliveryId);
    return check(d) && d;
  }, timeoutMs, what ?? `delivery ${deliveryId}`);
}

export function waitForStatus(app: TestApp, tenantId: string, deliveryId: string, status: string, timeoutMs = 10_000): Promise<any> {
  return waitForDelivery(app, tenantId, deliveryId, (d) => d.status === status, timeoutMs, `delivery ${deliveryId} to be ${status}`);
}

export async function getEndpoint(app: TestApp, tenantId: string, endpointId: string): Promise<any> {
  const res = await app.request('GET', `/v1/tenants/${tenantId}/endpoints/${endpointId}`);
  if (res.status !== 200) throw new Error(`endpoint: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A promise with its resolve function, to hold a receiver's answer until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Puts one attempt of a delivery in the queue (as publish, a retry or recover would) and wakes
 * its endpoint: for tests that build a delivery by hand.
 */
export async function queueAttempt(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, deliveryId: string, attempt = 1): Promise<void> {
  await db.query(
    `with q as (
       insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
       select id, $2, endpoint_id, tenant_id, now() from deliveries where id = $1
       returning endpoint_id
     )
     select graphile_worker.add_job('drain', json_build_object('e', endpoint_id), job_key := 'drain:' || endpoint_id) from q`,
    [deliveryId, attempt]);
}

/**
 * An event of type `ret.old` published `daysAgo` days ago (its day's partitions made), with one
 * delivery and one attempt that got a response body, written as the service writes them (ids
 * carry their time).
 */
export async function seedOldEvent(run: RunSql, tenantId: string, endpointId: string, daysAgo: number, status = 'succeeded'): Promise<{ eventId: string; deliveryId: string; attemptId: string }> {
  const at = new Date(Date.now() - daysAgo * 86_400_000);
  await createLogPartitions(run, at, at, spansOf(LOG_PARTITIONED_TABLES, 1));
  const eventId = idAtOrAfter('evt', at) + newId('evt').slice(-16);
  const deliveryId = idAtOrAfter('dlv', at) + newId('dlv').slice(-16);
  const attemptId = idAtOrAfter('att', at) + newId('att').slice(-16);
  await run(`insert into events (id, tenant_id, type, created_at) values ($1, $2, 'ret.old', $3)`, [eventId, tenantId, at]);
  await run(`insert into event_payloads (event_id, data) values ($1, '{"email":"someone@example.com","amount":5}')`, [eventId]);
  await run(`insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, created_at)
             values ($1, $2, $3, $4, 'ret.old', $5, 1, $6)`, [deliveryId, tenantId, eventId, endpointId, status, at]);
  await run(`insert into attempts (id, delivery_id, endpoint_id, number, trigger, started_at, duration_ms, request_url, response_status)
             values ($1, $2, $3, 1, 'scheduled', $4, 12, 'http://127.0.0.1:9/', 200)`, [attemptId, deliveryId, endpointId, at]);
  await run(`insert into attempt_bodies (attempt_id, body) values ($1, 'an old response')`, [attemptId]);
  return { eventId, deliveryId, attemptId };
}
