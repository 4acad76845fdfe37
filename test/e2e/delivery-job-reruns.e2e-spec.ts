import { AttemptRecord, WorkerRepository } from '../../src/worker/worker.repository';
import { newId } from '../../src/common/ids';
import { createEndpoint, createTenant, getDelivery, publish, startTestApp, TestApp } from '../support/app';
import { onlyDelivery } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/**
 * Delivery is at least once, never twice for one recorded attempt: drain jobs that run again
 * (or at once) send nothing more, and an attempt whose queue row is gone (recorded already by
 * another owner) changes nothing.
 */
describe('drain jobs that run twice and attempts recorded twice', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  beforeAll(async () => {
    app = await startTestApp({ RETRY_SCHEDULE: '1s,1s', LOG_LEVEL: 'error' });
    receiver = await new TestReceiver().start();
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
  });

  it('sends each scheduled attempt once however many drain jobs run for the endpoint', async () => {
    receiver.respondWithStatuses([500, 200]);
    const tenantId = await createTenant(app);
    const endpoint = await createEndpoint(app, tenantId, { url: `${receiver.url}/rerun` });
    const event = await publish(app, tenantId, 'order.created', {});
    const deliveryId = (await onlyDelivery(app, tenantId, event.id)).id as string;
    await waitFor(async () => (await getDelivery(app, tenantId, deliveryId)).attemptCount === 1);

    // more drain jobs for the endpoint, as after a duplicate publish wake-up or a rerun job
    for (let i = 0; i < 5; i++) {
      await app.db.pool.query(`select graphile_worker.add_job('drain', json_build_object('e', $1::text))`, [endpoint.id]);
    }
    const done = await waitFor(async () => {
      const d = await getDelivery(app, tenantId, deliveryId);
      return d.status === 'succeeded' && d;
    }, 10_000, 'the scheduled retry');
    await waitFor(async () => {
      const r = await app.db.pool.query(`select count(*)::int as n from delivery_queue`);
      return r.rows[0].n === 0;
    }, 10_000, 'an empty queue');
    expect(receiver.forPath('/rerun')).toHaveLength(2);
    expect(done.attempts.map((a: { number: number; trigger: string }) => [a.number, a.trigger])).toEqual([[1, 'scheduled'], [2, 'scheduled']]);
  });

  it('records an attempt once when it is recorded twice, and only what its queue row allows', async () => {
    receiver.respondWithStatuses([]);
    const tenantId = await createTenant(app);
    await createEndpoint(app, tenantId, { url: `${receiver.url}/twice`, enabled: false });
    const endpointId = (await app.request('GET', `/v1/tenants/${tenantId}/endpoints`)).body.data[0].id;
    const event = await publish(app, tenantId, 'order.created', {});
    expect(event.deliveries).toBe(0);
    const deliveryId = newId('dlv');
    await app.db.pool.query(
      `insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type) values ($1, $2, $3, $4, 'order.created');
       `.trim(), [deliveryId, tenantId, event.id, endpointId]);
    await app.db.pool.query(`insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at) values ($1, 1, $2, $3, now() + interval '1 hour')`,
      [deliveryId, endpointId, tenantId]);
    const record: AttemptRecord = {
      deliveryId, queueAttempt: 1, endpointId, attemptId: newId('att'), trigger: 'scheduled', startedAt: new Date(), durationMs: 5,
      requestUrl: `${receiver.url}/twice`, responseStatus: 200, responseBody: 'ok', responseBodyEncoding: 'utf8', responseBodyTruncated: false,
      error: null, newStatus: 'succeeded', nextAttemptAt: null, outcome: 'ok',
    };
    const repository = app.app.get(WorkerRepository);
    const first = await repository.recordBatch([record], 1e9);
    const second = await repository.recordBatch([{ ...record, attemptId: newId('att') }], 1e9);
    expect([...first.recorded]).toEqual([`${deliveryId}:1`]);
    expect([...second.recorded]).toEqual([]);
    const d = await getDelivery(app, tenantId, deliveryId);
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 1 });
    expect(d.attempts).toHaveLength(1);
  });
});
