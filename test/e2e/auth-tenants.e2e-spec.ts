import { createApiKey, createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

describe('authentication, tenants and API keys', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app?.close());

  it('answers 401 without a token or with an unknown one', async () => {
    expect((await app.request('GET', '/v1/tenants', { token: null })).status).toBe(401);
    expect((await app.request('GET', '/v1/tenants', { token: 'nope' })).status).toBe(401);
    expect((await app.request('GET', '/v1/tenants', { token: 'whk_unknownkeyunknownkeyunknownkey' })).status).toBe(401);
    const res = await app.request('GET', '/v1/tenants', { headers: { authorization: 'Basic abc' }, token: null });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('creates, reads and pages tenants (newest first)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createTenant(app, `tenant ${i}`));
    const one = await app.request('GET', `/v1/tenants/${ids[0]}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ id: ids[0], name: 'tenant 0', createdAt: expect.stringMatching(/Z$/) });
    expect(ids[0]).toMatch(/^ten_[0-9a-z]{26}$/);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; nextCursor: string | null } } = await app.request('GET', `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((t) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    expect((await app.request('GET', '/v1/tenants/ten_01m8er2zwms2nxv1fsdsnb3bmz')).status).toBe(404);
  });

  it('shows a key once, stores only its hash, and revokes it at once', async () => {
    const tenantId = await createTenant(app);
    const created = await createApiKey(app, tenantId);
    expect(created.key).toMatch(/^whk_/);
    const stored = await app.db.pool.query(`select key_hash from api_keys where id = $1`, [created.id]);
    expect(stored.rows[0].key_hash).not.toContain(created.key);
    const all = await app.db.pool.query(`select * from api_keys`);
    expect(JSON.stringify(all.rows)).not.toContain(created.key);

    const list = await app.request('GET', `/v1/tenants/${tenantId}/api-keys`);
    expect(list.body.data).toEqual([{ id: created.id, tenantId, name: 'ci', createdAt: expect.any(String) }]);

    expect((await app.request('GET', `/v1/tenants/${tenantId}/endpoints`, { token: created.key })).status).toBe(200);
    expect((await app.request('DELETE', `/v1/tenants/${tenantId}/api-keys/${created.id}`)).status).toBe(204);
    expect((await app.request('GET', `/v1/tenants/${tenantId}/endpoints`, { token: created.key })).status).toBe(401);
    expect((await app.request('DELETE', `/v1/tenants/${tenantId}/api-keys/${created.id}`)).status).toBe(404);
  });

  it('confines a tenant key to its own tenant: 404 elsewhere, 403 on admin routes', async () => {
    const a = await createTenant(app, 'a');
    const b = await createTenant(app, 'b');
    const keyA = (await createApiKey(app, a)).key;
    const endpointB = await createEndpoint(app, b, { url: 'http://127.0.0.1:9/b' });

    expect((await app.request('GET', `/v1/tenants/${b}/endpoints`, { token: keyA })).status).toBe(404);
    expect((await app.request('GET', `/v1/tenants/${b}/endpoints/${endpointB.id}`, { token: keyA })).status).toBe(404);
    expect((await app.request('GET', `/v1/tenants/${a}/endpoints/${endpointB.id}`, { token: keyA })).status).toBe(404);
    expect((await app.request('GET', `/v1/tenants/${b}/endpoints/${endpointB.id}/secret`, { token: keyA })).status).toBe(404);
    expect((await app.request('POST', `/v1/tenants/${b}/events`, { token: keyA, body: { type: 'x', data: {} } })).status).toBe(404);
    expect((await app.request('GET', `/v1/tenants/${b}/deliveries`, { token: keyA })).status).toBe(404);
    expect((await app.request('DELETE', `/v1/tenants/${b}/endpoints/${endpointB.id}`, { token: keyA })).status).toBe(404);

    const forbidden = await app.request('GET', '/v1/tenants', { token: keyA });
    expect(forbidden.status).toBe(403);
    expect((await app.request('POST', '/v1/tenants', { token: keyA, body: { name: 'x' } })).status).toBe(403);
    expect((await app.request('POST', `/v1/tenants/${a}/api-keys`, { token: keyA, body: {} })).status).toBe(403);
    expect((await app.request('GET', `/v1/tenants/${b}`, { token: keyA })).status).toBe(403);

    // and the key works inside its own tenant
    expect((await app.request('POST', `/v1/tenants/${a}/events`, { token: keyA, body: { type: 'x', data: {} } })).status).toBe(202);
    expect((await app.request('GET', `/v1/tenants/${b}/endpoints/${endpointB.id}`)).status).toBe(200);
  });
});
