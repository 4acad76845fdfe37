import { newId } from '../../src/common/ids';
import { createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';
import { waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * SPEC §7: the jobs of a dead worker run again on a live one within WORKER_DEAD_AFTER.
 * The dead worker is simulated in SQL: a pending delivery whose `deliver` job is locked by
 * a worker id that no live process owns.
 */
describe('dead-worker recovery', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  let endpointId: string;

  beforeAll(async () => {
    app = await startTestApp({ WORKER_DEAD_AFTER: '1s', LOG_LEVEL: 'error' });
    receiver = await new TestReceiver().start();
    tenantId = await createTenant(app);
    endpointId = (await createEndpoint(app, tenantId, { url: `${receiver.url}/dead`, eventTypes: ['dead.*'] })).id;
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  /** A published event whose only job is held by `lockedBy` since `lockedAgo`; all in one transaction, so no live worker takes it first. */
  async function pendingDeliveryLockedBy(lockedBy: string, lockedAgo: string): Promise<{ eventId: string; deliveryId: string }> {
    const eventId = newId('evt');
    const deliveryId = newId('dlv');
    const client = await app.db.pool.connect();
    try {
      await client.query('begin');
      await client.query(`insert into events (id, tenant_id, type, data) values ($1, $2, 'dead.job', '{"n":1}')`, [eventId, tenantId]);
      await client.query(
        `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at) values ($1, $2, $3, $4, 'dead.job', now())`,
        [deliveryId, tenantId, eventId, endpointId]);
      await client.query(`select graphile_worker.add_job('deliver', json_build_object('d', $1::text, 'n', 1))`, [deliveryId]);
      const locked = await client.query(
        `update graphile_worker._private_jobs set locked_by = $2, locked_at = now() - $3::interval, attempts = 1
          where payload->>'d' = $1 returning id`, [deliveryId, lockedBy, lockedAgo]);
      expect(locked.rowCount).toBe(1);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
    return { eventId, deliveryId };
  }

  it('runs a job locked long ago by a worker id no live process owns', async () => {
    const { eventId, deliveryId } = await pendingDeliveryLockedBy('dead-worker', '10 minutes');
    const done = await waitForStatus(app, tenantId, deliveryId, 'succeeded', 15_000);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ trigger: 'scheduled', responseStatus: 200 });
    const reqs = receiver.forPath('/dead').filter((r) => r.headers['webhook-id'] === eventId);
    expect(reqs).toHaveLength(1);
    const { rows } = await app.db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs where locked_by = 'dead-worker'`);
    expect(rows[0].n).toBe(0);
  });

  it('runs a job locked just now by a worker whose process heartbeat went stale', async () => {
    await app.db.pool.query(
      `insert into worker_heartbeats (process_id, worker_ids, last_seen) values ('proc-stale', '{stale-worker}', now() - interval '10 minutes')`);
    // locked_at is fresh: only the stale heartbeat says this worker is dead.
    const { eventId, deliveryId } = await pendingDeliveryLockedBy('stale-worker', '0 seconds');
    const done = await waitForStatus(app, tenantId, deliveryId, 'succeeded', 15_000);
    expect(done.attempts).toHaveLength(1);
    expect(receiver.forPath('/dead').filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(1);
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select count(*)::int as n from worker_heartbeats where process_id = 'proc-stale'`);
      return rows[0].n === 0;
    }, 5_000, 'the stale heartbeat row to be removed');
  });

  it('leaves alone a job locked by a live worker of this process', async () => {
    // The live process's own worker ids are in its heartbeat row.
    const live = await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select worker_ids from worker_heartbeats where last_seen > now() - interval '1 second'`);
      const ids = rows.flatMap((r) => r.worker_ids as string[]);
      return ids.length > 0 && ids;
    });
    const { deliveryId } = await pendingDeliveryLockedBy(live[0], '10 minutes');
    // Two dead-worker sweeps later (each 250 ms), the job is still locked and nothing was sent.
    const { rows: [hb] } = await app.db.pool.query(`select last_seen from worker_heartbeats where $1 = any(worker_ids)`, [live[0]]);
    await waitFor(async () => {
      const { rows } = await app.db.pool.query(`select last_seen from worker_heartbeats where $1 = any(worker_ids)`, [live[0]]);
      return rows[0] && rows[0].last_seen.getTime() >= hb.last_seen.getTime() + 400;
    }, 5_000, 'two more heartbeats');
    const { rows } = await app.db.pool.query(`select locked_by from graphile_worker._private_jobs where payload->>'d' = $1`, [deliveryId]);
    expect(rows).toEqual([{ locked_by: live[0] }]);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)).body.status).toBe('pending');
    await app.db.pool.query(`delete from graphile_worker._private_jobs where payload->>'d' = $1`, [deliveryId]);
  });
});
