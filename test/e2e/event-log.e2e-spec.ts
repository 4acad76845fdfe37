import { ADMIN_TOKEN, createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

/** SPEC §3: the event log returns `data` byte for byte as published, whatever its shape. */
describe('the event log stays readable', () => {
  let app: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    app = await startTestApp({ MAX_JSON_DEPTH: '1000' });
    tenantId = await createTenant(app);
  });
  afterAll(async () => app?.close());

  async function publishRaw(raw: string): Promise<string> {
    const res = await fetch(`${app.baseUrl}/v1/tenants/${tenantId}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: raw,
    });
    const body = (await res.json()) as { id: string };
    if (res.status !== 202) throw new Error(`publish: ${res.status} ${JSON.stringify(body)}`);
    return body.id;
  }

  async function getText(path: string): Promise<{ status: number; text: string; type: string | null }> {
    const res = await fetch(app.baseUrl + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
  }

  it('returns data exactly as published in the event and in the list', async () => {
    const data = '{"b":1,"10":2,"e":1e400,"big":12345678901234567890,"f":1.50,"s":"\\u00e9\\n"}';
    const id = await publishRaw(`{"type":"exact.check","data":${data}}`);
    const one = await getText(`/v1/tenants/${tenantId}/events/${id}`);
    expect(one.status).toBe(200);
    expect(one.type).toMatch(/^application\/json/);
    expect(one.text).toContain(`"data":${data}`);
    expect(JSON.parse(one.text)).toMatchObject({ id, type: 'exact.check', deliveryCount: 0, deliveries: [], expired: false });
    const list = await getText(`/v1/tenants/${tenantId}/events?type=exact.check`);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`"data":${data}`);
  });

  it('reads back an event nested 1,000 deep, alone and in a page', async () => {
    const data = `{"a":${'['.repeat(998)}${']'.repeat(998)}}`;
    const id = await publishRaw(`{"type":"deep.one","data":${data}}`);
    const one = await getText(`/v1/tenants/${tenantId}/events/${id}`);
    expect(one.status).toBe(200);
    expect(one.text).toContain(data);
    const page = await getText(`/v1/tenants/${tenantId}/events?limit=100`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(data);
  });

  it('carries deliveryCount and at most the first 100 deliveries', async () => {
    for (let i = 0; i < 110; i++) await createEndpoint(app, tenantId, { url: `http://127.0.0.1:9/fan/${i}`, eventTypes: ['fan.out'] });
    const id = await publishRaw('{"type":"fan.out","data":{}}');
    const res = await app.request('GET', `/v1/tenants/${tenantId}/events/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.deliveryCount).toBe(110);
    expect(res.body.deliveries).toHaveLength(100);
    const ids = res.body.deliveries.map((d: { id: string }) => d.id);
    expect([...ids].sort()).toEqual(ids);
  });
});
