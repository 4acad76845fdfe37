import { Db } from '../../src/database/db';
import { newId } from '../../src/common/ids';
import { createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';
import { waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * SPEC §7: the work of a dead worker runs again on a live one within WORKER_DEAD_AFTER. The
 * dead process is simulated in SQL: a drain lease it held (an endpoint it was draining), or a
 * drain job locked by one of its worker ids.
 */
describe('dead-worker recovery', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  beforeAll(async () => {
    app = await startTestApp({ WORKER_DEAD_AFTER: '1s', LOG_LEVEL: 'error' });
    receiver = await new TestReceiver().start();
    tenantId = await createTenant(app);
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  /** A pending delivery with its attempt queued, and (in the same transaction) `setup` run with the endpoint id. */
  async function pendingDelivery(path: string, setup: (endpointId: string) => string[]): Promise<{ eventId: string; deliveryId: string; endpointId: string }> {
    const endpointId = (await createEndpoint(app, tenantId, { url: `${receiver.url}${path}`, eventTypes: ['dead.*'] })).id;
    const eventId = newId('evt');
    const deliveryId = newId('dlv');
    await new Db(app.db.pool).transaction(async (client) => {
      await client.query(`insert into events (id, tenant_id, type) values ($1, $2, 'dead.job')`, [eventId, tenantId]);
      await client.query(`insert into event_payloads (event_id, data) values ($1, '{"n":1}')`, [eventId]);
      await client.query(
        `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at) values ($1, $2, $3, $4, 'dead.job', now())`,
        [deliveryId, tenantId, eventId, endpointId]);
      await client.query(`insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) values ($1, 1, $2, $3, now())`,
        [deliveryId, endpointId, tenantId]);
      for (const sql of setup(endpointId)) await client.query(sql, [endpointId]);
    });
    return { eventId, deliveryId, endpointId };
  }

  it('takes over an endpoint whose drain lease belongs to a process that stopped renewing it', async () => {
    const { eventId, deliveryId, endpointId } = await pendingDelivery('/dead-lease', () => [
      // the dead process was draining it, so no drain job is queued: only its lease says so
      `insert into endpoint_drains (endpoint_id, owner, lease_until) values ($1, 'proc-dead', now() + interval '300 milliseconds')`,
    ]);
    const done = await waitForStatus(app, tenantId, deliveryId, 'succeeded', 15_000);
    expect(done.attempts).toHaveLength(1);
    expect(receiver.forPath('/dead-lease').filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(1);
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select owner from endpoint_drains where endpoint_id = $1`, [endpointId]);
      return rows.length === 0 || rows[0].owner !== 'proc-dead';
    }, 5_000, 'the dead lease to be gone');
  });

  it('runs a drain job locked by a worker whose process heartbeat went stale', async () => {
    await app.db.pool.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen) values ('proc-stale', '{stale-worker}', now() - interval '10 minutes')`);
    const { eventId, deliveryId } = await pendingDelivery('/dead-job', () => [
      `select graphile_worker.add_job('drain', json_build_object('e', $1::text), job_key := 'drain:' || $1)`,
      `update graphile_worker._private_jobs set locked_by = 'stale-worker', locked_at = now(), attempts = 1 where key = 'drain:' || $1`,
    ]);
    const done = await waitForStatus(app, tenantId, deliveryId, 'succeeded', 15_000);
    expect(done.attempts).toHaveLength(1);
    expect(receiver.forPath('/dead-job').filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(1);
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select count(*)::int as n from worker_heartbeats where process_id = 'proc-stale'`);
      return rows[0].n === 0;
    }, 5_000, 'the stale heartbeat row to be removed');
  });

  it('leaves alone an endpoint that a live process drains', async () => {
    const { deliveryId, endpointId } = await pendingDelivery('/live', () => [
      `insert into endpoint_drains (endpoint_id, owner, lease_until) values ($1, 'proc-live', now() + interval '1 hour')`,
      `select graphile_worker.add_job('drain', json_build_object('e', $1::text), job_key := 'drain:' || $1)`,
    ]);
    // The drain job ran and found the lease held: nothing was sent.
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs where key = 'drain:' || $1::text`, [endpointId]);
      return rows[0].n === 0;
    }, 5_000, 'the drain job to run');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.forPath('/live')).toHaveLength(0);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)).body.status).toBe('pending');
    // once that process lets go, the next drain sends it
    await app.db.pool.query(`delete from endpoint_drains where endpoint_id = $1`, [endpointId]);
    await app.db.pool.query(`select graphile_worker.add_job('drain', json_build_object('e', $1::text), job_key := 'drain:' || $1)`, [endpointId]);
    await waitForStatus(app, tenantId, deliveryId, 'succeeded', 10_000);
  });
});
