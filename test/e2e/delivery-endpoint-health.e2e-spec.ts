import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { getEndpoint, onlyDelivery, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** SPEC §4: ENDPOINT_DISABLE_AFTER, and POST /enable bringing an endpoint back. */
describe('endpoint health', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;
  let healthy = false;

  useAppWithReceiver(
    {
      RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
      RETRY_JITTER: '0',
      ENDPOINT_DISABLE_AFTER: '1s',
      LOG_LEVEL: 'error',
    },
    (ctx) => ({ app, receiver, tenantId } = ctx),
  );
  beforeAll(() => {
    receiver.respondWith((req, res) => {
      res.writeHead(healthy || req.path === '/steady' ? 200 : 500).end(healthy ? 'ok' : 'broken');
    });
  });

  it('disables an endpoint failing for longer than ENDPOINT_DISABLE_AFTER ("failing"); /enable lets deliveries flow again', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/failing`, eventTypes: ['health.*'] });
    const steady = await createEndpoint(app, tenantId, { url: `${receiver.url}/steady`, eventTypes: ['health.*'] });
    const event = await publish(app, tenantId, 'health.check', { a: 1 });
    expect(event.deliveries).toBe(2);

    const disabled = await waitFor(async () => {
      const e = await getEndpoint(app, tenantId, ep.id);
      return !e.enabled && e;
    }, 15_000, 'the endpoint to be disabled');
    expect(disabled.disabledReason).toBe('failing');
    // The failures went on for longer than a second before it was disabled.
    const reqs = receiver.forPath('/failing');
    expect(reqs.length).toBeGreaterThanOrEqual(2);
    expect(reqs[reqs.length - 1].receivedAt - reqs[0].receivedAt).toBeGreaterThanOrEqual(900);
    // The other endpoint of the tenant is untouched.
    expect(await getEndpoint(app, tenantId, steady.id)).toMatchObject({ enabled: true, disabledReason: null });

    // The pending delivery ends without another request, and new events skip the endpoint.
    const [delivery] = (await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${event.id}&endpointId=${ep.id}`)).body.data;
    const failed = await waitForStatus(app, tenantId, delivery.id, 'failed');
    expect(failed.attempts.length).toBe(reqs.length);
    expect(failed.attempts.length).toBeLessThan(9);
    const skipped = await publish(app, tenantId, 'health.check', { a: 2 });
    expect(skipped.deliveries).toBe(1);

    healthy = true;
    const enabled = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/enable`);
    expect(enabled.status).toBeLessThan(300);
    expect(enabled.body).toMatchObject({ id: ep.id, enabled: true, disabledReason: null });
    expect(await getEndpoint(app, tenantId, ep.id)).toMatchObject({ enabled: true, disabledReason: null });

    const again = await publish(app, tenantId, 'health.check', { a: 3 });
    expect(again.deliveries).toBe(2);
    const [d] = (await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${again.id}&endpointId=${ep.id}`)).body.data;
    const ok = await waitForStatus(app, tenantId, d.id, 'succeeded');
    expect(ok.attempts).toHaveLength(1);
    expect(receiver.forPath('/failing').at(-1)!.headers['webhook-id']).toBe(again.id);
    healthy = false;
  });

  it('one failure after a success does not disable: failure history restarts', async () => {
    healthy = true;
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/mostly-fine`, eventTypes: ['fine.*'] });
    const first = await publish(app, tenantId, 'fine.one', { a: 1 });
    await waitForStatus(app, tenantId, (await onlyDelivery(app, tenantId, first.id)).id, 'succeeded');
    healthy = false;
    const second = await publish(app, tenantId, 'fine.two', { a: 2 });
    const d = await onlyDelivery(app, tenantId, second.id);
    await waitFor(() => receiver.forPath('/mostly-fine').length >= 2);
    healthy = true;
    await waitForStatus(app, tenantId, d.id, 'succeeded');
    expect(await getEndpoint(app, tenantId, ep.id)).toMatchObject({ enabled: true, disabledReason: null });
  });
});
