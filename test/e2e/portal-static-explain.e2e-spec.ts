import { AppWithReceiver, createEndpoint, useAppWithReceiver } from '../support/app';
import { waitForDelivery } from '../support/deliveries';
import { ensurePortalBuilt } from '../support/portal-build';

ensurePortalBuilt();

describe('the portal page and the explanation stream (SPEC §11)', () => {
  let ctx: AppWithReceiver;
  useAppWithReceiver({ PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com" }, (c) => (ctx = c));

  it('serves /portal/ with no-cache, a CSP with the configured frame-ancestors and no X-Frame-Options; assets are immutable', async () => {
    const page = await fetch(`${ctx.app.baseUrl}/portal/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'self' https://app.example.com");
    expect(page.headers.get('x-frame-options')).toBeNull();
    const html = await page.text();
    const asset = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${ctx.app.baseUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('streams an offline explanation of a failing delivery, token by token, then done; a read-only session may ask', async () => {
    ctx.receiver.respondWith((_req, res) => {
      res.writeHead(401).end('bad signature');
    });
    const ep = await createEndpoint(ctx.app, ctx.tenantId, { url: `${ctx.receiver.url}/explain` });
    const sent = await ctx.app.request('POST', `/v1/tenants/${ctx.tenantId}/endpoints/${ep.id}/test`, { body: {} });
    await waitForDelivery(ctx.app, ctx.tenantId, sent.body.deliveryId, (d) => d.attemptCount >= 1);
    const session = await ctx.app.request('POST', `/v1/tenants/${ctx.tenantId}/portal-sessions`, { body: { readOnly: true } });
    const res = await fetch(`${ctx.app.baseUrl}/v1/tenants/${ctx.tenantId}/deliveries/${sent.body.deliveryId}/explain`, {
      method: 'POST', headers: { authorization: `Bearer ${session.body.token}`, accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = await res.text();
    const tokens = [...body.matchAll(/event: token\ndata: (.*)\n\n/g)].map((m) => (JSON.parse(m[1]) as { text: string }).text);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.join('')).toContain('signature');
    expect(body).toContain('event: done\ndata: {"source":"offline","model":null}');

    const missing = await ctx.app.request('POST', `/v1/tenants/${ctx.tenantId}/deliveries/dlv_00000000000000000000000000/explain`);
    expect(missing.status).toBe(404);
  });
});
