import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { deliveriesOf, onlyDelivery, waitForStatus } from '../support/deliveries';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';

/** SPEC §4 "What a receiver gets": the body, the ids and the headers. */
describe('delivery payload', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver({ RETRY_SCHEDULE: '300ms,300ms', RETRY_JITTER: '0', LOG_LEVEL: 'warn' }, (ctx) => ({ app, receiver, tenantId } = ctx));

  it('sends exactly {id,type,timestamp,data,summary} with data as published, key order kept', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/shape`, eventTypes: ['shape.*'] });
    // Not alphabetical, nested, unicode (also U+2028, which JSON.stringify keeps raw), negative and fractional numbers.
    const raw = '{"type":"shape.checked","data":{"zeta":1,"alpha":{"y":[3,1,{"b":true,"a":null}],"x":"é ✓ \u2028 \\"q\\""},"mid":-0.5,"empty":{},"list":[]}}';
    const res = await app.request('POST', `/v1/tenants/${tenantId}/events`, { rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const event = res.body;

    const [req] = await waitFor(() => receiver.forPath('/shape').length > 0 && receiver.forPath('/shape'));
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(Object.keys(body)).toEqual(['id', 'type', 'timestamp', 'data', 'summary']);
    expect(body.id).toBe(event.id);
    expect(body.type).toBe('shape.checked');
    expect(body.timestamp).toBe(event.createdAt);
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    // Byte-identical data: the exact JSON text of what was published, in the published key order.
    const publishedData = JSON.stringify(JSON.parse(raw).data);
    expect(req.body).toContain(`"data":${publishedData},"summary":`);
    expect(Object.keys(body.data)).toEqual(['zeta', 'alpha', 'mid', 'empty', 'list']);
    expect(Object.keys(body.summary).sort()).toEqual(['model', 'source', 'text']);
    expect(body.summary.source).toBe('offline');
    expect(typeof body.summary.text).toBe('string');
    expect(body.summary.text.length).toBeGreaterThan(0);
    expect(body.summary.text.length).toBeLessThanOrEqual(280);
  });

  it('fans out to three endpoints with the same webhook-id and the same body', async () => {
    const paths = ['/fan-a', '/fan-b', '/fan-c'];
    for (const p of paths) await createEndpoint(app, tenantId, { url: `${receiver.url}${p}`, eventTypes: ['fan.out'] });
    const event = await publish(app, tenantId, 'fan.out', { n: 1, who: 'everyone' });
    expect(event.deliveries).toBe(3);

    const reqs = await waitFor(() => {
      const got = paths.map((p) => receiver.forPath(p));
      return got.every((g) => g.length === 1) && got.map((g) => g[0]);
    });
    for (const r of reqs) {
      expect(r.headers['webhook-id']).toBe(event.id);
      expect(r.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['user-agent']).toBeTruthy();
      expect(r.body).toBe(reqs[0].body);
    }
    const deliveries = await deliveriesOf(app, tenantId, event.id);
    expect(deliveries).toHaveLength(3);
    for (const d of deliveries) await waitForStatus(app, tenantId, d.id, 'succeeded');
  });

  it('carries the same body and webhook-id on a retry', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/retry-same`, eventTypes: ['retry.same'] });
    receiver.respondWith((req, res) => {
      const seen = receiver.forPath('/retry-same').length;
      res.writeHead(req.path === '/retry-same' && seen === 1 ? 500 : 200).end('x');
    });
    try {
      const event = await publish(app, tenantId, 'retry.same', { order: 'o_1', lines: [{ sku: 'a', qty: 2 }] });
      const reqs = await waitFor(() => receiver.forPath('/retry-same').length === 2 && receiver.forPath('/retry-same'));
      expect(reqs[0].headers['webhook-id']).toBe(event.id);
      expect(reqs[1].headers['webhook-id']).toBe(event.id);
      expect(reqs[1].body).toBe(reqs[0].body);
      const d = await onlyDelivery(app, tenantId, event.id);
      const done = await waitForStatus(app, tenantId, d.id, 'succeeded');
      expect(done.attempts.map((a: any) => a.responseStatus)).toEqual([500, 200]);
    } finally {
      receiver.respondWith((_req, res) => void res.writeHead(200).end('ok'));
    }
  });

  it('leaves summary out for an endpoint with summaries: false', async () => {
    await createEndpoint(app, tenantId, { url: `${receiver.url}/no-summary`, eventTypes: ['plain.event'], summaries: false });
    await createEndpoint(app, tenantId, { url: `${receiver.url}/with-summary`, eventTypes: ['plain.event'] });
    const event = await publish(app, tenantId, 'plain.event', { a: 1 });
    const [plain] = await waitFor(() => receiver.forPath('/no-summary').length > 0 && receiver.forPath('/no-summary'));
    const [full] = await waitFor(() => receiver.forPath('/with-summary').length > 0 && receiver.forPath('/with-summary'));
    expect(Object.keys(JSON.parse(plain.body))).toEqual(['id', 'type', 'timestamp', 'data']);
    expect(plain.body).toBe(`{"id":"${event.id}","type":"plain.event","timestamp":"${event.createdAt}","data":{"a":1}}`);
    expect(JSON.parse(full.body).summary).toBeDefined();
  });

  it('sends the endpoint extra headers alongside its own', async () => {
    await createEndpoint(app, tenantId, {
      url: `${receiver.url}/headers?x=1`,
      eventTypes: ['hdr.event'],
      headers: { 'X-Api-Key': 'k-123', 'X-Tenant-Ref': 'acme-eu' },
    });
    const event = await publish(app, tenantId, 'hdr.event', { a: 1 });
    const [req] = await waitFor(() => receiver.forPath('/headers?x=1').length > 0 && receiver.forPath('/headers?x=1'));
    expect(req.headers['x-api-key']).toBe('k-123');
    expect(req.headers['x-tenant-ref']).toBe('acme-eu');
    expect(req.headers['webhook-id']).toBe(event.id);
    expect(req.headers['webhook-signature']).toMatch(/^v1,/);
    expect(req.headers['content-type']).toBe('application/json');
  });
});
