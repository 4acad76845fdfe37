import { createEndpoint, publish, TestApp, useAppWithFakeLlm } from '../support/app';
import type { FakeLlmServer } from '../fakes/fake-llm-server';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** The LLM module wired into the real delivery path, against a fake OpenAI-compatible server. */
describe('summaries on deliveries', () => {
  let app: TestApp;
  let llm: FakeLlmServer;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithFakeLlm((fake) => ({
    LLM_PROVIDERS: 'openai:gpt-4o-mini',
    OPENAI_API_KEY: 'sk-test-never-logged',
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    LLM_SUMMARY_DEADLINE_MS: '800',
  }), (ctx) => ({ app, llm, receiver, tenantId } = ctx));

  it('attaches one model summary per event, the same on every endpoint, stored on the event', async () => {
    llm.setDefault({ kind: 'success', text: 'Invoice in_7 for 42 EUR was paid by the customer.' });
    for (const path of ['/s1', '/s2', '/s3']) await createEndpoint(app, tenantId, { url: `${receiver.url}${path}`, eventTypes: ['invoice.*'] });
    const event = await publish(app, tenantId, 'invoice.paid', { invoiceId: 'in_7', amount: 42, currency: 'EUR', email: 'payer@example.com' });

    const bodies = await waitFor(() => {
      const got = ['/s1', '/s2', '/s3'].flatMap((p) => receiver.forPath(p));
      return got.length === 3 && got.map((r) => JSON.parse(r.body));
    });
    for (const body of bodies) {
      expect(body.summary).toEqual({ text: 'Invoice in_7 for 42 EUR was paid by the customer.', source: 'llm', model: 'gpt-4o-mini' });
    }
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].rawBody).not.toContain('payer@example.com');
    const read = await app.request('GET', `/v1/tenants/${tenantId}/events/${event.id}`);
    expect(read.body.summary).toEqual({ text: 'Invoice in_7 for 42 EUR was paid by the customer.', source: 'llm', model: 'gpt-4o-mini' });
  });

  it('sends the delivery with the offline summary once the deadline passes', async () => {
    llm.setDefault({ kind: 'hang' });
    await createEndpoint(app, tenantId, { url: `${receiver.url}/slow`, eventTypes: ['order.shipped'] });
    const started = Date.now();
    await publish(app, tenantId, 'order.shipped', { orderId: 'o_9', carrier: 'DHL' });
    const [req] = await waitFor(() => receiver.forPath('/slow').length === 1 && receiver.forPath('/slow'));
    const body = JSON.parse(req.body);
    expect(body.summary).toMatchObject({ source: 'offline', model: null });
    expect(body.summary.text.length).toBeGreaterThan(0);
    // the deadline is 800 ms: generous room for a loaded machine, but far below a hung provider
    expect(req.receivedAt - started).toBeLessThan(3000);
  });

  it('makes no provider call when no endpoint of the event wants a summary', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/plain`, eventTypes: ['user.created'], summaries: false });
    await publish(app, tenantId, 'user.created', { userId: 'u_1' });
    const [req] = await waitFor(() => receiver.forPath('/plain').length === 1 && receiver.forPath('/plain'));
    expect(JSON.parse(req.body)).not.toHaveProperty('summary');
    expect(llm.requests).toHaveLength(0);
  });
});
