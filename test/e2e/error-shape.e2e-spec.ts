import { createEndpoint, createTenant, startTestApp, TestApp } from '../support/app';

/**
 * SPEC §3: every error is `{ statusCode, error, message, details? }` with `message` one string,
 * whatever raised it: validation, the body parser, Fastify's router, the auth guard, a pipe.
 */
describe('one error shape', () => {
  let app: TestApp;
  let tenantId: string;
  let endpointId: string;
  beforeAll(async () => {
    app = await startTestApp({ MAX_PAYLOAD_BYTES: '8192' });
    tenantId = await createTenant(app);
    endpointId = (await createEndpoint(app, tenantId, { url: 'http://127.0.0.1:9/x' })).id;
  });
  afterAll(async () => app?.close());

  const json = { 'content-type': 'application/json' };

  interface Case {
    name: string;
    method: string;
    path: () => string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    token?: string | null;
    status: number;
    /** The fields `details` must name, in any order (field errors only). */
    fields?: string[];
  }

  const cases: Case[] = [
    { name: 'bad JSON', method: 'POST', path: () => `/v1/tenants/${tenantId}/endpoints`, rawBody: '{"url":', headers: json, status: 400 },
    { name: 'empty JSON body', method: 'POST', path: () => '/v1/tenants', rawBody: '', headers: json, status: 400 },
    { name: 'a prototype key', method: 'POST', path: () => '/v1/tenants', rawBody: '{"__proto__":{"x":1},"name":"a"}', headers: json, status: 400 },
    { name: 'form content type', method: 'POST', path: () => '/v1/tenants', rawBody: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
    { name: 'a charset other than UTF-8', method: 'POST', path: () => '/v1/tenants', rawBody: '{"name":"a"}', headers: { 'content-type': 'application/json; charset=latin1' }, status: 415 },
    { name: 'text on publish', method: 'POST', path: () => `/v1/tenants/${tenantId}/events`, rawBody: 'hello', headers: { 'content-type': 'text/plain' }, status: 400, fields: ['body'] },
    {
      name: 'two bad fields of an endpoint', method: 'POST', path: () => `/v1/tenants/${tenantId}/endpoints`,
      body: { url: 'not a url', enabled: 'yes' }, status: 400, fields: ['url', 'enabled'],
    },
    { name: 'an unknown field', method: 'POST', path: () => `/v1/tenants/${tenantId}/endpoints`, body: { url: 'http://127.0.0.1:9/y', colour: 'red' }, status: 400, fields: ['colour'] },
    { name: 'a bad nested field', method: 'PATCH', path: () => `/v1/tenants/${tenantId}/endpoints/${endpointId}`, body: { eventTypes: ['ok', 'not ok!'], headers: 5 }, status: 400, fields: ['eventTypes', 'headers'] },
    { name: 'two bad query values', method: 'GET', path: () => `/v1/tenants/${tenantId}/deliveries?limit=0&status=done`, status: 400, fields: ['limit', 'status'] },
    { name: 'a repeated query value', method: 'GET', path: () => `/v1/tenants/${tenantId}/deliveries?limit=1&limit=2`, status: 400, fields: ['limit'] },
    { name: 'a bad publish field', method: 'POST', path: () => `/v1/tenants/${tenantId}/events`, body: { type: 'a b', data: {} }, status: 400, fields: ['type'] },
    { name: 'a bad batch event', method: 'POST', path: () => `/v1/tenants/${tenantId}/events/batch`, body: { events: [{ type: 'a', data: {} }, { type: 'a', data: 1 }] }, status: 400, fields: ['events[1].data'] },
    { name: 'a bad Idempotency-Key', method: 'POST', path: () => `/v1/tenants/${tenantId}/events`, body: { type: 'a', data: {} }, headers: { 'idempotency-key': '' }, status: 400, fields: ['Idempotency-Key'] },
    { name: 'an oversized body', method: 'POST', path: () => `/v1/tenants/${tenantId}/events`, body: { type: 'a', data: { x: 'y'.repeat(9000) } }, status: 413 },
    { name: 'an unknown route', method: 'GET', path: () => '/v1/nothing-here', status: 404 },
    { name: 'an unknown method', method: 'DELETE', path: () => '/v1/tenants', status: 404 },
    { name: 'a bad id param', method: 'GET', path: () => `/v1/tenants/${tenantId}/deliveries/not-an-id`, status: 404 },
    { name: 'a bad tenant id', method: 'GET', path: () => '/v1/tenants/ten_nope/endpoints', status: 404 },
    { name: 'an id longer than any route parameter', method: 'GET', path: () => `/v1/tenants/${tenantId}/endpoints/${'a'.repeat(150)}`, status: 414 },
    { name: 'a request line over the header size limit', method: 'GET', path: () => `/v1/tenants/${'x'.repeat(20000)}`, status: 431 },
    { name: 'a URL that cannot be decoded', method: 'GET', path: () => `/v1/tenants/${tenantId}/deliveries/%E0%A4%A`, status: 400 },
    { name: 'no token', method: 'GET', path: () => '/v1/tenants', token: null, status: 401 },
    { name: 'an unknown token', method: 'GET', path: () => '/v1/tenants', token: 'whk_unknown', status: 401 },
  ];

  it.each(cases)('$name: $status with message one string', async (c) => {
    const res = await app.request(c.method, c.path(), { body: c.body, rawBody: c.rawBody, headers: c.headers, token: c.token });
    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = res.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(c.fields ? ['details', 'error', 'message', 'statusCode'] : expect.arrayContaining(['error', 'message', 'statusCode']));
    expect(body).toMatchObject({ statusCode: c.status, error: expect.any(String), message: expect.any(String) });
    expect(Object.keys(body).filter((k) => !['statusCode', 'error', 'message', 'details'].includes(k))).toEqual([]);
    expect((body.message as string).length).toBeGreaterThan(0);
    if (c.fields) {
      const details = body.details as Array<{ field: unknown; message: unknown }>;
      for (const d of details) expect(d).toEqual({ field: expect.any(String), message: expect.any(String) });
      expect([...new Set(details.map((d) => d.field))].sort()).toEqual([...c.fields].sort());
      for (const field of c.fields) expect(body.message).toContain(field);
    } else if (body.details !== undefined) {
      throw new Error(`details on a non-field error: ${JSON.stringify(body)}`);
    }
  });
});
