import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createEndpoint, publish, TestApp, useAppWithReceiver } from '../support/app';
import { TestReceiver, ReceivedRequest } from '../support/receiver';
import { waitFor } from '../support/wait';

/** An independent verifier for `x-webhook-signature: t=<unix>,v1=<hex>[,v1=<hex>...]`. */
function hmacHexVerifies(header: string, secret: string, body: string): boolean {
  const fields = header.split(',').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as const);
  const t = fields.find(([k]) => k === 't')?.[1];
  if (!t || !/^\d+$/.test(t)) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest();
  return fields.filter(([k]) => k === 'v1').some(([, hex]) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function standardVerifies(secret: string, req: ReceivedRequest): boolean {
  try {
    new Webhook(secret).verify(req.body, req.headers);
    return true;
  } catch {
    return false;
  }
}

/** SPEC §4 signatures, and their rotation (SPEC §3 Endpoints). */
describe('delivery signatures', () => {
  let app: TestApp;
  let receiver: TestReceiver;
  let tenantId: string;

  useAppWithReceiver({ LOG_LEVEL: 'error' }, (ctx) => ({ app, receiver, tenantId } = ctx));

  const secretOf = async (endpointId: string): Promise<string> =>
    (await app.request('GET', `/v1/tenants/${tenantId}/endpoints/${endpointId}/secret`)).body.secret;
  const rotate = async (endpointId: string, body: Record<string, unknown>): Promise<string> => {
    const res = await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${endpointId}/secret/rotate`, { body });
    expect(res.status).toBeLessThan(300);
    return res.body.secret;
  };
  const nextRequest = async (path: string, count: number): Promise<ReceivedRequest> =>
    (await waitFor(() => receiver.forPath(path).length >= count && receiver.forPath(path)))[count - 1];

  it('standard-webhooks: verified by the standardwebhooks library, and not with another secret', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/std`, eventTypes: ['sig.std'] });
    const secret = await secretOf(ep.id);
    const event = await publish(app, tenantId, 'sig.std', { amount: 12, note: 'é ✓' });
    const req = await nextRequest('/std', 1);
    expect(req.headers['webhook-id']).toBe(event.id);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    const verified = new Webhook(secret).verify(req.body, req.headers) as any;
    expect(verified.data).toEqual({ amount: 12, note: 'é ✓' });
    const other = (await app.request('POST', `/v1/tenants/${tenantId}/endpoints/${ep.id}/secret/rotate`, { body: { gracePeriodSeconds: 0 } })).body.secret;
    expect(standardVerifies(other, req)).toBe(false);
    expect(standardVerifies(secret, { ...req, body: req.body.replace('12', '13') })).toBe(false);
  });

  it('hmac-sha256-hex: t=..,v1=.. keyed with the whole secret string', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    await createEndpoint(app, tenantId, { url: `${receiver.url}/hex`, eventTypes: ['sig.hex'], signatureScheme: 'hmac-sha256-hex', secret });
    await publish(app, tenantId, 'sig.hex', { a: 'b' });
    const req = await nextRequest('/hex', 1);
    const header = req.headers['x-webhook-signature'];
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(req.headers['webhook-signature']).toBeUndefined();
    const t = header.slice(2, header.indexOf(','));
    expect(t).toBe(req.headers['webhook-timestamp']);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${req.body}`).digest('hex')}`);
    expect(hmacHexVerifies(header, secret, req.body)).toBe(true);
    // Not keyed with the decoded bytes, nor with the part after the prefix.
    const decodedKey = createHmac('sha256', Buffer.alloc(32, 9)).update(`${t}.${req.body}`).digest('hex');
    expect(header).not.toContain(decodedKey);
  });

  it('standard-webhooks rotation with a grace period: old and new secrets both verify; without one only the new', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/rot-std`, eventTypes: ['rot.std'] });
    const oldSecret = await secretOf(ep.id);
    const newSecret = await rotate(ep.id, { gracePeriodSeconds: 3600 });
    expect(newSecret).not.toBe(oldSecret);
    expect(await secretOf(ep.id)).toBe(newSecret);

    await publish(app, tenantId, 'rot.std', { n: 1 });
    const during = await nextRequest('/rot-std', 1);
    const signatures = during.headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    for (const s of signatures) expect(s).toMatch(/^v1,/);
    expect(standardVerifies(oldSecret, during)).toBe(true);
    expect(standardVerifies(newSecret, during)).toBe(true);

    // A second rotation with no grace: only the newest secret signs (the one-hour-old grace entry stays valid too).
    const newest = await rotate(ep.id, { gracePeriodSeconds: 0 });
    await publish(app, tenantId, 'rot.std', { n: 2 });
    const after = await nextRequest('/rot-std', 2);
    expect(standardVerifies(newest, after)).toBe(true);
    expect(standardVerifies(newSecret, after)).toBe(false);
  });

  it('rotation with gracePeriodSeconds: 0 signs with the new secret only', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/rot-zero`, eventTypes: ['rot.zero'] });
    const oldSecret = await secretOf(ep.id);
    const provided = `whsec_${Buffer.alloc(24, 5).toString('base64')}`;
    expect(await rotate(ep.id, { secret: provided, gracePeriodSeconds: 0 })).toBe(provided);
    await publish(app, tenantId, 'rot.zero', { n: 1 });
    const req = await nextRequest('/rot-zero', 1);
    expect(req.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(standardVerifies(provided, req)).toBe(true);
    expect(standardVerifies(oldSecret, req)).toBe(false);
  });

  it('hmac-sha256-hex rotation: two v1 entries during the grace period, one after a rotation without grace', async () => {
    const ep = await createEndpoint(app, tenantId, { url: `${receiver.url}/rot-hex`, eventTypes: ['rot.hex'], signatureScheme: 'hmac-sha256-hex' });
    const oldSecret = await secretOf(ep.id);
    const newSecret = await rotate(ep.id, { gracePeriodSeconds: 600 });
    await publish(app, tenantId, 'rot.hex', { n: 1 });
    const during = await nextRequest('/rot-hex', 1);
    expect(during.headers['x-webhook-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(hmacHexVerifies(during.headers['x-webhook-signature'], oldSecret, during.body)).toBe(true);
    expect(hmacHexVerifies(during.headers['x-webhook-signature'], newSecret, during.body)).toBe(true);

    const ep2 = await createEndpoint(app, tenantId, { url: `${receiver.url}/rot-hex0`, eventTypes: ['rot.hex0'], signatureScheme: 'hmac-sha256-hex' });
    const before = await secretOf(ep2.id);
    const fresh = await rotate(ep2.id, { gracePeriodSeconds: 0 });
    await publish(app, tenantId, 'rot.hex0', { n: 1 });
    const req = await nextRequest('/rot-hex0', 1);
    expect(req.headers['x-webhook-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(hmacHexVerifies(req.headers['x-webhook-signature'], fresh, req.body)).toBe(true);
    expect(hmacHexVerifies(req.headers['x-webhook-signature'], before, req.body)).toBe(false);
  });
});
