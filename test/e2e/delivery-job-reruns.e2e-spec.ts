import { createEndpoint, createTenant, getDelivery, publish, startTestApp, TestApp } from '../support/app';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** A job that runs again after its attempt was recorded sends nothing and starts no second retry chain. */
describe('deliver jobs that run twice', () => {
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

  it('skips a scheduled attempt that was already recorded, and still runs the next one', async () => {
    receiver.respondWithStatuses([500, 200]);
    const tenantId = await createTenant(app);
    await createEndpoint(app, tenantId, { url: `${receiver.url}/rerun` });
    const event = await publish(app, tenantId, 'order.created', {});
    const { body } = await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${event.id}`);
    const deliveryId = body.data[0].id as string;
    await waitFor(async () => (await getDelivery(app, tenantId, deliveryId)).attemptCount === 1);

    // the first job again, as after a worker died between recording and completing it
    await app.db.pool.query(`select graphile_worker.add_job('deliver', json_build_object('ds', json_build_array($1::text), 'n', 1))`, [deliveryId]);
    await app.db.pool.query(`select graphile_worker.add_job('deliver', json_build_object('d', $1::text, 'n', 1))`, [deliveryId]);

    const done = await waitFor(async () => {
      const d = await getDelivery(app, tenantId, deliveryId);
      return d.status === 'succeeded' && d;
    }, 10_000, 'the scheduled retry');
    await waitFor(async () => {
      const r = await app.db.pool.query(`select count(*)::int as n from graphile_worker._private_jobs`);
      return r.rows[0].n === 0;
    }, 10_000, 'an empty queue');
    expect(receiver.forPath('/rerun')).toHaveLength(2);
    expect(done.attempts.map((a: { number: number; trigger: string }) => [a.number, a.trigger])).toEqual([[1, 'scheduled'], [2, 'scheduled']]);
  });
});
