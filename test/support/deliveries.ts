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
