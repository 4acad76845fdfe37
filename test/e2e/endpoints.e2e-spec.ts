import { createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

describe('endpoints API', () => {
  let app: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    app = await startTestApp();
    tenantId = await createTenant(app);
  });
  afterAll(async () => app?.close());

  const path = (suffix = '') => `/v1/tenants/${tenantId}/endpoints${suffix}`;

  it('creates an endpoint with defaults and never returns its secret in the object', async () => {
    const res = await app.request('POST', path(), { body: { url: 'https://example.com/hooks', eventTypes: ['invoice.*', 'user.created'] } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^ep_/), tenantId, url: 'https://example.com/hooks', description: null,
      eventTypes: ['invoice.*', 'user.created'], enabled: true, disabledReason: null, signatureScheme: 'standard-webhooks',
      headers: {}, summaries: true, rateLimitPerSecond: null, maxInFlight: 16, circuit: { state: 'closed', openedAt: null, nextProbeAt: null },
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
    const secret = await app.request('GET', path(`/${res.body.id}/secret`));
    expect(secret.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.body.secret.slice(6), 'base64').length).toBe(32);
  });

  it('accepts a given secret and the hex scheme; refuses a malformed secret naming the field', async () => {
    const secret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
    const ep = await createEndpoint(app, tenantId, { url: 'https://example.com/a', secret, signatureScheme: 'hmac-sha256-hex' });
    expect(ep.signatureScheme).toBe('hmac-sha256-hex');
    expect((await app.request('GET', path(`/${ep.id}/secret`))).body.secret).toBe(secret);
    for (const bad of ['plain', 'whsec_' + Buffer.alloc(8).toString('base64'), 'whsec_' + Buffer.alloc(65).toString('base64'), 'whsec_***']) {
      const res = await app.request('POST', path(), { body: { url: 'https://example.com/a', secret: bad } });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('secret');
    }
  });

  it('updates with PATCH, pages lists, deletes with 204', async () => {
    const ep = await createEndpoint(app, tenantId, { url: 'https://example.com/patch' });
    const patched = await app.request('PATCH', path(`/${ep.id}`), { body: { description: 'billing', enabled: false, rateLimitPerSecond: 5, headers: { 'X-Team': 'billing' } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: 'billing', enabled: false, disabledReason: 'manual', rateLimitPerSecond: 5, headers: { 'X-Team': 'billing' } });
    const reenabled = await app.request('PATCH', path(`/${ep.id}`), { body: { enabled: true, rateLimitPerSecond: null } });
    expect(reenabled.body).toMatchObject({ enabled: true, disabledReason: null, rateLimitPerSecond: null });

    const page1 = await app.request('GET', path('?limit=1'));
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await app.request('GET', path(`?limit=1&cursor=${page1.body.nextCursor}`));
    expect(page2.body.data[0].id).not.toBe(page1.body.data[0].id);

    expect((await app.request('DELETE', path(`/${ep.id}`))).status).toBe(204);
    expect((await app.request('GET', path(`/${ep.id}`))).status).toBe(404);
    expect((await app.request('PATCH', path(`/${ep.id}`), { body: { description: 'x' } })).status).toBe(404);
  });

  it('rotates the secret and enables a disabled endpoint', async () => {
    const ep = await createEndpoint(app, tenantId, { url: 'https://example.com/rotate', enabled: false });
    expect(ep).toMatchObject({ enabled: false, disabledReason: 'manual' });
    const before = (await app.request('GET', path(`/${ep.id}/secret`))).body.secret;
    const rotated = await app.request('POST', path(`/${ep.id}/secret/rotate`), { body: { gracePeriodSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(before);
    expect((await app.request('GET', path(`/${ep.id}/secret`))).body.secret).toBe(rotated.body.secret);
    expect((await app.request('POST', path(`/${ep.id}/secret/rotate`), { body: { gracePeriodSeconds: 604801 } })).status).toBe(400);

    const enabled = await app.request('POST', path(`/${ep.id}/enable`));
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://example.com', eventTypes: 'invoice.paid' }, 'eventTypes'],
    [{ url: 'https://example.com', eventTypes: ['bad type'] }, 'eventTypes'],
    [{ url: 'https://example.com', enabled: 'yes' }, 'enabled'],
    [{ url: 'https://example.com', signatureScheme: 'md5' }, 'signatureScheme'],
    [{ url: 'https://example.com', headers: { 'X-A': 'ok\r\nInjected: yes' } }, 'headers'],
    [{ url: 'https://example.com', headers: { 'webhook-signature': 'forged' } }, 'headers'],
    [{ url: 'https://example.com', headers: { 'Content-Type': 'text/plain' } }, 'headers'],
    [{ url: 'https://example.com', headers: { 'bad name': 'x' } }, 'headers'],
    [{ url: 'https://example.com', headers: { 'X-Number': 5 } }, 'headers'],
    [{ url: 'https://example.com', headers: { 'X-Mood': 'happy 😀' } }, 'headers.X-Mood'],
    [{ url: 'https://example.com', headers: { 'X-Name': 'café' } }, 'headers.X-Name'],
    [{ url: 'https://example.com', headers: { 'X-Tab': 'a\tb' } }, 'headers.X-Tab'],
    ...['Content-Encoding', 'Transfer-Encoding', 'Connection', 'Host', 'Content-Length', 'Keep-Alive', 'Upgrade', 'TE', 'Trailer', 'Proxy-Authenticate']
      .map((name) => [{ url: 'https://example.com', headers: { [name]: 'x' } }, 'headers'] as [Record<string, unknown>, string]),
    [{ url: 'https://example.com', rateLimitPerSecond: 0 }, 'rateLimitPerSecond'],
    [{ url: 'https://example.com', rateLimitPerSecond: 1.5 }, 'rateLimitPerSecond'],
    [{ url: 'https://example.com', summaries: 'no' }, 'summaries'],
    [{ url: 'https://example.com', unknown: true }, 'unknown'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const res = await app.request('POST', path(), { body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(res.body.message)).toContain(field);
  });

  it('keeps extra header values of visible ASCII and spaces as given', async () => {
    const headers = { 'X-Team': 'billing & ops (eu-1)', Authorization: 'Bearer abc.def~ghi' };
    const ep = await createEndpoint(app, tenantId, { url: 'https://example.com/headers', headers });
    expect(ep.headers).toEqual(headers);
  });

  it('recovers only when enabled and validates since', async () => {
    const ep = await createEndpoint(app, tenantId, { url: 'https://example.com/recover' });
    expect((await app.request('POST', path(`/${ep.id}/recover`), { body: { since: 'yesterday' } })).status).toBe(400);
    const ok = await app.request('POST', path(`/${ep.id}/recover`), { body: { since: '2026-01-01T00:00:00Z' } });
    expect(ok.status).toBe(202);
    expect(ok.body).toEqual({ deliveries: 0 });
  });
});

describe('MAX_ENDPOINTS_PER_TENANT', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MAX_ENDPOINTS_PER_TENANT: '5' });
  });
  afterAll(async () => app?.close());

  it('refuses one endpoint more than the limit with 409, also under concurrent creates, and counts deleted ones out', async () => {
    const tenantId = await createTenant(app);
    const other = await createTenant(app, 'other');
    const creates = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      app.request('POST', `/v1/tenants/${tenantId}/endpoints`, { body: { url: `https://example.com/${i}` } })));
    expect(creates.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = creates.filter((r) => r.status !== 201);
    expect(refused.map((r) => r.status)).toEqual(Array(7).fill(409));
    expect(refused[0].body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.stringContaining('MAX_ENDPOINTS_PER_TENANT') });
    // another tenant is not affected
    expect((await app.request('POST', `/v1/tenants/${other}/endpoints`, { body: { url: 'https://example.com/o' } })).status).toBe(201);
    const first = creates.find((r) => r.status === 201)!.body.id;
    expect((await app.request('DELETE', `/v1/tenants/${tenantId}/endpoints/${first}`)).status).toBe(204);
    expect((await app.request('POST', `/v1/tenants/${tenantId}/endpoints`, { body: { url: 'https://example.com/again' } })).status).toBe(201);
  });
});

describe('endpoint URLs that reach non-public addresses (SSRF)', () => {
  let app: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    app = await startTestApp({ ALLOW_PRIVATE_TARGETS: 'false' });
    tenantId = await createTenant(app);
  });
  afterAll(async () => app?.close());

  it.each([
    'http://127.0.0.1/x', 'http://localhost:3000/x', 'http://2130706433/', 'http://0x7f.1/', 'http://10.0.0.5/',
    'http://172.16.0.1/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data', 'http://100.64.0.1/',
    'http://[::1]/', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://foo.localhost/',
  ])('refuses %s with 400', async (url) => {
    const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints`, { body: { url } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('url');
  });

  it('refuses the same on PATCH', async () => {
    const ep = await createEndpoint(app, tenantId, { url: 'https://93.184.216.34/hook' });
    const res = await app.request('PATCH', `/v1/tenants/${tenantId}/endpoints/${ep.id}`, { body: { url: 'http://10.1.2.3/' } });
    expect(res.status).toBe(400);
  });
});
