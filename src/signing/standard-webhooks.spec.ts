import { Webhook } from 'standardwebhooks';
import { generateSecret } from './secrets';
import { standardWebhooksSignature } from './standard-webhooks';

const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { amount: 12, note: 'é ✓' } });
const msgId = 'evt_01JEXAMPLE';
const nowSec = (): number => Math.floor(Date.now() / 1000);

function headersFor(signature: string, timestampSec: number): Record<string, string> {
  return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec), 'webhook-signature': signature };
}

describe('standardWebhooksSignature', () => {
  it('verifies with the standardwebhooks library', () => {
    const secret = generateSecret();
    const ts = nowSec();
    const signature = standardWebhooksSignature([secret], msgId, ts, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headersFor(signature, ts))).toEqual(JSON.parse(body));
  });

  it('matches the library own signer byte for byte', () => {
    const secret = generateSecret();
    const ts = nowSec();
    expect(standardWebhooksSignature([secret], msgId, ts, body)).toBe(
      new Webhook(secret).sign(msgId, new Date(ts * 1000), body),
    );
  });

  it('during a rotation carries one signature per secret, each verifiable on its own', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const ts = nowSec();
    const signature = standardWebhooksSignature([current, previous], msgId, ts, body);
    const parts = signature.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(standardWebhooksSignature([current], msgId, ts, body));
    for (const secret of [current, previous]) {
      expect(() => new Webhook(secret).verify(body, headersFor(signature, ts))).not.toThrow();
    }
  });

  it('fails verification for a different secret, body, id or timestamp', () => {
    const secret = generateSecret();
    const ts = nowSec();
    const signature = standardWebhooksSignature([secret], msgId, ts, body);
    const webhook = new Webhook(secret);
    expect(() => new Webhook(generateSecret()).verify(body, headersFor(signature, ts))).toThrow();
    expect(() => webhook.verify(`${body} `, headersFor(signature, ts))).toThrow();
    expect(() => webhook.verify(body, { ...headersFor(signature, ts), 'webhook-id': 'evt_other' })).toThrow();
    expect(() => webhook.verify(body, headersFor(signature, ts + 1))).toThrow();
  });
});
