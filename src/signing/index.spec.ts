import { hmacHexSignature, signatureHeaders, standardWebhooksSignature } from './index';
import { generateSecret } from './secrets';

describe('signatureHeaders', () => {
  const secrets = [generateSecret(), generateSecret()];

  it('puts standard-webhooks signatures in webhook-signature', () => {
    expect(signatureHeaders('standard-webhooks', secrets, 'evt_1', 1_790_000_000, '{}')).toEqual({
      'webhook-signature': standardWebhooksSignature(secrets, 'evt_1', 1_790_000_000, '{}'),
    });
  });

  it('puts hmac-sha256-hex signatures in x-webhook-signature', () => {
    expect(signatureHeaders('hmac-sha256-hex', secrets, 'evt_1', 1_790_000_000, '{}')).toEqual({
      'x-webhook-signature': hmacHexSignature(secrets, 1_790_000_000, '{}'),
    });
  });
});
