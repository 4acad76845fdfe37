import { createApiKey, createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

describe('portal sessions (SPEC §11)', () => {
  let app: TestApp;
  let tenantId: string;
  let otherTenant: string;

  beforeAll(async () => {
    app = await startTestApp();
    tenantId = await createTenant(app, 'acme');
    otherTenant = await createTenant(app, 'other');
  });
  afterAll(async () => app.close());

  const session = async (body: Record<string, unknown> = {}, token?: string) => {
    const res = await app.request('POST', `/v1/tenants/${tenantId}/portal-sessions`, { body, token });
    expect(res.status).toBe(201);
    return res.body as { id: string; url: string; token: string; expiresAt: string; readOnly: boolean };
  };

  it('an admin or the tenant key makes a session: a pts_ token in the fragment of a /portal/ URL, stored only hashed', async () => {
    const { key } = await createApiKey(app, tenantId);
    const made = await session({ ttl: '2h', readOnly: true }, key);
    expect(made.id).toMatch(/^pts_[0-9a-z]{26}$/);
    expect(made.token).toMatch(/^pts_/);
    expect(made.token).not.toBe(made.id);
    expect(made.readOnly).toBe(true);
    const ttl = Date.parse(made.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(2 * 3600e3 - 60e3);
    expect(ttl).toBeLessThanOrEqual(2 * 3600e3 + 1e3);
    const url = new URL(made.url, 'http://x');
    expect(url.pathname).toBe('/portal/');
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect(fragment.get('token')).toBe(made.token);
    expect(fragment.get('tenant')).toBe(tenantId);
    expect(fragment.get('readOnly')).toBe('1');
    expect(fragment.get('expiresAt')).toBe(made.expiresAt);
    const { rows } = await app.db.pool.query<{ token_hash: string }>('select token_hash from portal_sessions where id = $1', [made.id]);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(made.token);
  });

  it('defaults to PORTAL_SESSION_TTL (1h) and refuses a bad ttl or field with a 400 naming it', async () => {
    const made = await session();
    expect(Math.abs(Date.parse(made.expiresAt) - Date.now() - 3600e3)).toBeLessThan(60e3);
    expect(made.readOnly).toBe(false);
    for (const [body, field] of [
      [{ ttl: '25h' }, 'ttl'], [{ ttl: 'soon' }, 'ttl'], [{ ttl: 5 }, 'ttl'], [{ ttl: '10s' }, 'ttl'],
      [{ readOnly: 'yes' }, 'readOnly'], [{ scope: 'all' }, 'scope'],
    ] as const) {
      const res = await app.request('POST', `/v1/tenants/${tenantId}/portal-sessions`, { body });
      expect(res.status).toBe(400);
      expect(typeof res.body.message).toBe('string');
      expect(res.body.message).toContain(field);
    }
  });

  it('another tenant key gets 404, and an unknown tenant is 404', async () => {
    const other = await createApiKey(app, otherTenant);
    const res = await app.request('POST', `/v1/tenants/${tenantId}/portal-sessions`, { body: {}, token: other.key });
    expect(res.status).toBe(404);
    const missing = await app.request('POST', `/v1/tenants/ten_00000000000000000000000000/portal-sessions`, { body: {} });
    expect(missing.status).toBe(404);
  });

  it('reaches only its tenant endpoint, event and delivery routes: 403 on tenants and api-keys, 404 elsewhere', async () => {
    const { token } = await session();
    const get = (path: string) => app.request('GET', path, { token });
    expect((await get(`/v1/tenants/${tenantId}/endpoints`)).status).toBe(200);
    expect((await get(`/v1/tenants/${tenantId}/events`)).status).toBe(200);
    expect((await get(`/v1/tenants/${tenantId}/deliveries`)).status).toBe(200);
    expect((await get(`/v1/tenants/${otherTenant}/endpoints`)).status).toBe(404);
    expect((await get(`/v1/tenants`)).status).toBe(403);
    expect((await get(`/v1/tenants/${tenantId}`)).status).toBe(403);
    expect((await get(`/v1/tenants/${tenantId}/api-keys`)).status).toBe(403);
    expect((await app.request('POST', `/v1/tenants/${tenantId}/api-keys`, { token, body: {} })).status).toBe(403);
    expect((await app.request('POST', `/v1/tenants/${tenantId}/portal-sessions`, { token, body: {} })).status).toBe(404);
    expect((await app.request('POST', `/v1/tenants/${tenantId}/events`, { token, body: { type: 'a.b', data: {} } })).status).toBe(404);
    const created = await app.request('POST', `/v1/tenants/${tenantId}/endpoints`, { token, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(created.status).toBe(201);
  });

  it('a read-only session reads but every write is 403', async () => {
    const endpoint = await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/ro' });
    const { token } = await session({ readOnly: true });
    const base = `/v1/tenants/${tenantId}/endpoints`;
    expect((await app.request('GET', `${base}/${endpoint.id}`, { token })).status).toBe(200);
    expect((await app.request('GET', `${base}/${endpoint.id}/secret`, { token })).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', base, { url: 'http://127.0.0.1:9/x' }],
      ['PATCH', `${base}/${endpoint.id}`, { description: 'x' }],
      ['DELETE', `${base}/${endpoint.id}`, undefined],
      ['POST', `${base}/${endpoint.id}/secret/rotate`, {}],
      ['POST', `${base}/${endpoint.id}/test`, {}],
      ['POST', `${base}/${endpoint.id}/recover`, { since: new Date().toISOString() }],
      ['POST', `/v1/tenants/${tenantId}/deliveries/dlv_00000000000000000000000000/retry`, undefined],
    ] as const) {
      const res = await app.request(method, path, { token, body });
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(res.body.message).toContain('read-only');
    }
  });

  it('a revoked or expired session is 401; revoking is 204, then 404 for an unknown id', async () => {
    const made = await session();
    const path = `/v1/tenants/${tenantId}/endpoints`;
    expect((await app.request('GET', path, { token: made.token })).status).toBe(200);
    expect((await app.request('DELETE', `/v1/tenants/${tenantId}/portal-sessions/${made.id}`)).status).toBe(204);
    expect((await app.request('GET', path, { token: made.token })).status).toBe(401);
    expect((await app.request('DELETE', `/v1/tenants/${otherTenant}/portal-sessions/${made.id}`)).status).toBe(404);
    expect((await app.request('DELETE', `/v1/tenants/${tenantId}/portal-sessions/pts_00000000000000000000000000`)).status).toBe(404);

    const old = await session();
    await app.db.pool.query(`update portal_sessions set expires_at = now() - interval '1 second' where id = $1`, [old.id]);
    const expired = await app.request('GET', path, { token: old.token });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toContain('expired');
    expect((await app.request('GET', path, { token: 'pts_made-up' })).status).toBe(401);
  });
});
