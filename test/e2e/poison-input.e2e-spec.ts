import { newId } from '../../src/common/ids';
import { InvalidInputError } from '../../src/common/errors';
import { PublishBatcher } from '../../src/events/publish-batcher';
import { ADMIN_TOKEN, createTenant, startTestApp, TestApp } from '../support/app';

/**
 * Publishes are group-committed: one tenant's value that PostgreSQL refuses must never fail
 * the requests batched with it (SPEC §6). Each poison is refused on its own with a 4xx.
 */
describe('poison input', () => {
  let app: TestApp;
  let victim: string;
  let attacker: string;
  beforeAll(async () => {
    app = await startTestApp();
    victim = await createTenant(app, 'victim');
    attacker = await createTenant(app, 'attacker');
  });
  afterAll(async () => app?.close());

  async function post(path: string, body: string | Uint8Array, contentType = 'application/json'): Promise<{ status: number; body: any }> {
    const res = await fetch(app.baseUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': contentType },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  const deep = (levels: number) => `{"type":"t","data":${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}}`;
  const poisons: Array<{ name: string; path: string; body: string | Uint8Array; contentType?: string; status: number; field: RegExp }> = [
    { name: 'a lone low surrogate', path: 'events', body: '{"type":"t","data":{"id":"\\udc00"}}', status: 400, field: /^data\.id /i },
    { name: 'a lone high surrogate in a key', path: 'events', body: '{"type":"t","data":{"k\\ud83d":1}}', status: 400, field: /^data\["k/i },
    { name: 'a NUL in a value', path: 'events', body: '{"type":"t","data":{"s":"a\\u0000b"}}', status: 400, field: /^data\.s .*NUL/ },
    { name: 'data nested 60,000 deep', path: 'events', body: `{"type":"t","data":{"a":${'['.repeat(60_000)}${']'.repeat(60_000)}}}`, status: 400, field: /nests deeper than/ },
    { name: 'data nested 33 deep', path: 'events', body: deep(33), status: 400, field: /^data(\.a){32} nests deeper than 32/ },
    { name: 'a NUL in a batch idempotency key', path: 'events/batch', body: '{"events":[{"type":"t","data":{}},{"type":"t","data":{},"idempotencyKey":"a\\u0000b"}]}', status: 400, field: /^events\[1\]\.idempotencyKey /i },
    { name: 'bytes that are not UTF-8', path: 'events', body: Buffer.concat([Buffer.from('{"type":"t","data":{"s":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]), status: 400, field: /not valid UTF-8/ },
    { name: 'a latin1 charset', path: 'events', body: '{"type":"t","data":{}}', contentType: 'application/json; charset=latin1', status: 415, field: /charset latin1/ },
  ];

  it.each(poisons)('refuses $name with a 4xx naming the place', async ({ path, body, contentType, status, field }) => {
    const res = await post(`/v1/tenants/${attacker}/${path}`, body, contentType);
    expect(res.status).toBe(status);
    expect(typeof res.body.message).toBe('string');
    expect(res.body.message).toMatch(field);
  });

  it('accepts data exactly MAX_JSON_DEPTH deep and an explicit utf-8 charset', async () => {
    expect((await post(`/v1/tenants/${attacker}/events`, deep(32))).status).toBe(202);
    expect((await post(`/v1/tenants/${attacker}/events`, '{"type":"t","data":{"e":"\\ud83d\\udca5"}}', 'application/json; charset=UTF-8')).status).toBe(202);
  });

  it('refuses NUL and malformed ids in query filters with a 400', async () => {
    for (const query of ['endpointId=%00', 'eventId=evt_%00', 'endpointId=ep_x']) {
      const res = await app.request('GET', `/v1/tenants/${attacker}/deliveries?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/endpointId|eventId/);
    }
  });

  it('lets none of 600 concurrent valid publishes of another tenant fail while poison arrives', async () => {
    const victimResults: number[] = [];
    const poisonResults: number[] = [];
    const valid = Array.from({ length: 600 }, (_, i) => post(`/v1/tenants/${victim}/events`, JSON.stringify({ type: 'order.created', data: { i } }))
      .then((r) => victimResults.push(r.status)));
    const poison = Array.from({ length: 60 }, (_, i) => {
      const p = poisons[i % poisons.length];
      return post(`/v1/tenants/${attacker}/${p.path}`, p.body, p.contentType).then((r) => poisonResults.push(r.status));
    });
    await Promise.all([...valid, ...poison]);
    expect(victimResults.filter((s) => s !== 202)).toEqual([]);
    expect(poisonResults.filter((s) => s < 400 || s >= 500)).toEqual([]);
    const listed = await app.request('GET', `/v1/tenants/${victim}/events?limit=100`);
    expect(listed.status).toBe(200);
  });

  it('retries a failed grouped statement one request at a time, so only the culprit fails', async () => {
    // Past every check of the HTTP layer: text that PostgreSQL refuses as json, in the same batch as good requests.
    const batcher = app.app.get(PublishBatcher);
    const request = (dataJson: string) => ({ id: newId('evt'), tenantId: victim, type: 'direct.test', dataJson, idempotencyKey: null, summary: null });
    const good = Array.from({ length: 20 }, () => batcher.submitAll([request('{"ok":true}')]));
    const bad = batcher.submitAll([request('{"broken":')]);
    const results = await Promise.allSettled([...good, bad]);
    expect(results.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill('fulfilled'));
    const last = results[20];
    expect(last.status).toBe('rejected');
    expect((last as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
  });
});
