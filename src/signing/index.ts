import { hmacHexSignature } from './hmac-hex';
import { standardWebhooksSignature } from './standard-webhooks';

export { generateSecret, isValidSecret, secretKeyBytes } from './secrets';
export { standardWebhooksSignature } from './standard-webhooks';
export { hmacHexSignature } from './hmac-hex';

export const SIGNATURE_SCHEMES = ['standard-webhooks', 'hmac-sha256-hex'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

export function signatureHeaders(
  scheme: SignatureScheme,
  secrets: string[],
  msgId: string,
  timestampSec: number,
  body: string,
): Record<string, string> {
  switch (scheme) {
    case 'standard-webhooks':
      return { 'webhook-signature': standardWebhooksSignature(secrets, msgId, timestampSec, body) };
    case 'hmac-sha256-hex':
      return { 'x-webhook-signature': hmacHexSignature(secrets, timestampSec, body) };
  }
}
