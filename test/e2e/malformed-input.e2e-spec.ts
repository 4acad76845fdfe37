import { createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

/** A few hundred malformed requests across every route: each gets a 4xx, never a 5xx. */
describe('malformed input never causes a 5xx', () => {
  let app: TestApp;
  let tenantId: string;
  let endpointId: string;
  beforeAll(async () => {
    app = await startTestApp({ MAX_PAYLOAD_BYTES: '8192' });
    tenantId = await createTenant(app);
    endpointId = (await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/x' })).id;
  });
  afterAll(async () => app?.close());

  const weirdValues: unknown[] = [
    null, true, false, 0, -1, 1.5, 1e308, '', ' ', 'x'.repeat(5000), '\u0000', '\r\n', '<script>', '../../etc/passwd',
    [], [1, 2], {}, { nested: { deep: [null] } }, '💥', 'whsec_', '2026-13-45T99:99:99Z', 'null', '{}',
  ];

  function routes(): Array<{ method: string; path: string; fields: string[] }> {
    const t = tenantId;
    const e = endpointId;
    return [
      { method: 'POST', path: '/v1/tenants', fields: ['name'] },
      { method: 'POST', path: `/v1/tenants/${t}/api-keys`, fields: ['name'] },
      { method: 'POST', path: `/v1/tenants/${t}/endpoints`, fields: ['url', 'description', 'eventTypes', 'enabled', 'secret', 'signatureScheme', 'headers', 'summaries', 'rateLimitPerSecond'] },
      { method: 'PATCH', path: `/v1/tenants/${t}/endpoints/${e}`, fields: ['url', 'eventTypes', 'enabled', 'secret', 'headers', 'rateLimitPerSecond'] },
      { method: 'POST', path: `/v1/tenants/${t}/endpoints/${e}/secret/rotate`, fields: ['secret', 'gracePeriodSeconds'] },
      { method: 'POST', path: `/v1/tenants/${t}/endpoints/${e}/recover`, fields: ['since'] },
      { method: 'POST', path: `/v1/tenants/${t}/events`, fields: ['type', 'data'] },
    ];
  }

  it('rejects malformed bodies with a 4xx naming the field', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const route of routes()) {
      for (const field of route.fields) {
        for (const value of weirdValues) {
          const body: Record<string, unknown> = route.path.endsWith('/events') ? { type: 'a.b', data: {} } : route.path.endsWith('/endpoints') ? { url: 'http://127.0.0.1:9/y' } : {};
          body[field] = value;
          const res = await app.request(route.method, route.path, { body });
          sent++;
          if (res.status >= 500) failures.push(`${route.method} ${route.path} ${field}=${JSON.stringify(value)?.slice(0, 40)} -> ${res.status}`);
          if (res.status === 400 && !JSON.stringify(res.body.message).includes(field) && !JSON.stringify(res.body.message).includes('Idempotency')) {
            failures.push(`${route.method} ${route.path} ${field}: 400 without the field name: ${JSON.stringify(res.body.message).slice(0, 120)}`);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(300);
    expect(failures).toEqual([]);
  });

  it('answers 4xx to broken JSON, wrong content types, odd query strings and ids', async () => {
    const t = tenantId;
    const cases: Array<{ method: string; path: string; rawBody?: string; headers?: Record<string, string> }> = [
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: '{"type":', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: 'type=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: 'hello', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: '[]', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: 'null', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: '"str"', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: `{"type":"a","data":{"x":"${'y'.repeat(9000)}"}}`, headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: `/v1/tenants/${t}/events`, rawBody: '{"type":"a","data":{"__proto__":{"polluted":true}}}', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: '/v1/tenants', rawBody: '', headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: '/v1/tenants' },
    ];
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-5', 'cursor=%00', 'cursor=zzz', 'cursor=' + 'a'.repeat(300), 'since=yesterday', 'until=1', 'status=done', 'type=a%20b', 'eventType=..', 'endpointId=' + 'x'.repeat(100)]) {
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/events?${q}` });
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/deliveries?${q}` });
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/endpoints?${q}` });
      cases.push({ method: 'GET', path: `/v1/tenants?${q}` });
    }
    for (const id of ['x', 'evt_%00', 'a'.repeat(150), '..%2F..%2F', 'ep_01m8er39twm11b9dragsfpkvz3']) {
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/events/${id}` });
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/deliveries/${id}` });
      cases.push({ method: 'POST', path: `/v1/tenants/${t}/deliveries/${id}/retry` });
      cases.push({ method: 'GET', path: `/v1/tenants/${t}/endpoints/${id}` });
      cases.push({ method: 'DELETE', path: `/v1/tenants/${t}/endpoints/${id}` });
      cases.push({ method: 'GET', path: `/v1/tenants/${id}` });
      cases.push({ method: 'POST', path: `/v1/tenants/${id}/events`, rawBody: '{"type":"a","data":{}}', headers: { 'content-type': 'application/json' } });
    }
    const failures: string[] = [];
    for (const c of cases) {
      const res = await app.request(c.method, c.path, { rawBody: c.rawBody, headers: c.headers });
      if (res.status < 400 || res.status >= 500) failures.push(`${c.method} ${c.path.slice(0, 80)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 100)}`);
      else expect(res.body).toMatchObject({ statusCode: res.status, message: expect.anything() });
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
