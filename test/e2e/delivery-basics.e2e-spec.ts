import { Webhook } from 'standardwebhooks';
import { createEndpoint, createTenant, getDelivery, publish, startTestApp, TestApp, useAppWithReceiver } from '../support/app';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

describe('delivery basics', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver({}, (ctx) => ({ app, receiver, tenantId } = ctx));

  it('delivers a signed event that standardwebhooks verifies', async () => {
    const endpoint = await createEndpoint(app, tenantId, { url: `${receiver.url}/basic` });
    const { secret } = (await app.request('GET', `/v1/tenants/${tenantId}/endpoints/${endpoint.id}/secret`)).body;
    const event = await publish(app, tenantId, 'invoice.paid', { invoiceId: 'in_1', amount: 4200, currency: 'EUR' });
    expect(event.deliveries).toBe(1);

    const [req] = await waitFor(() => receiver.forPath('/basic').length > 0 && receiver.forPath('/basic'));
    expect(req.headers['webhook-id']).toBe(event.id);
    expect(req.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret).verify(req.body, req.headers) as Record<string, unknown>;
    expect(verified).toMatchObject({ id: event.id, type: 'invoice.paid', data: { invoiceId: 'in_1', amount: 4200, currency: 'EUR' } });
    expect(verified.summary).toMatchObject({ source: 'offline', model: null });

    const deliveries = (await app.request('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${event.id}`)).body.data;
    const detail = await waitFor(async () => {
      const d = await getDelivery(app, tenantId, deliveries[0].id);
      return d.status === 'succeeded' && d;
    });
    expect(detail.attempts).toHaveLength(1);
    expect(detail.attempts[0]).toMatchObject({ number: 1, trigger: 'scheduled', responseStatus: 200, responseBody: 'ok', error: null });
  });

  it('sends the published bytes of data, key order and number text included', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/exact` });
    const raw = '{"type":"invoice.paid","data":{"b":1,"10":2,"id":98765432109876543210}}';
    const res = await app.request('POST', `/v1/tenants/${tenantId}/events`, { rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const [req] = await waitFor(() => receiver.forPath('/exact').length > 0 && receiver.forPath('/exact'));
    expect(req.body).toContain('"data":{"b":1,"10":2,"id":98765432109876543210}');
  });
});
