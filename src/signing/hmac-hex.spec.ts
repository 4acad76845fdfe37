import { createHmac, timingSafeEqual } from 'node:crypto';
import { hmacHexSignature } from './hmac-hex';
import { generateSecret } from './secrets';

// Written the way a Stripe-style receiver would, independent of the implementation under test.
function receiverVerifies(header: string, secret: string, body: string): boolean {
  const fields = header.split(',').map((field) => {
    const eq = field.indexOf('=');
    return [field.slice(0, eq), field.slice(eq + 1)] as const;
  });
  const t = fields.find(([key]) => key === 't')?.[1];
  if (t === undefined) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return fields
    .filter(([key]) => key === 'v1')
    .some(([, hex]) => {
      const given = Buffer.from(hex, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const body = '{"id":"evt_1","type":"invoice.paid","data":{"note":"é"}}';

describe('hmacHexSignature', () => {
  it('has the t=<ts>,v1=<hex> shape and verifies', () => {
    const secret = generateSecret();
    const header = hmacHexSignature([secret], 1_790_000_000, body);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(receiverVerifies(header, secret, body)).toBe(true);
  });

  it('keys the HMAC with the whole secret string, prefix included', () => {
    const secret = generateSecret();
    const header = hmacHexSignature([secret], 1_790_000_000, body);
    const withoutPrefix = createHmac('sha256', secret.slice('whsec_'.length))
      .update(`1790000000.${body}`)
      .digest('hex');
    expect(header).not.toContain(withoutPrefix);
    expect(header).toBe(
      `t=1790000000,v1=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`1790000000.${body}`).digest('hex')}`,
    );
  });

  it('during a rotation adds one v1 per secret, each verifiable', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const header = hmacHexSignature([current, previous], 1_790_000_000, body);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(receiverVerifies(header, current, body)).toBe(true);
    expect(receiverVerifies(header, previous, body)).toBe(true);
  });

  it('does not verify with another secret or a changed body', () => {
    const secret = generateSecret();
    const header = hmacHexSignature([secret], 1_790_000_000, body);
    expect(receiverVerifies(header, generateSecret(), body)).toBe(false);
    expect(receiverVerifies(header, secret, `${body} `)).toBe(false);
  });
});
