import { createHmac } from 'node:crypto';

export function hmacHexSignature(secrets: string[], timestampSec: number, body: string): string {
  const signedContent = `${timestampSec}.${body}`;
  // Stripe-style receivers key the HMAC with the secret string as-is, prefix included.
  const signatures = secrets.map(
    (secret) => `v1=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(signedContent).digest('hex')}`,
  );
  return [`t=${timestampSec}`, ...signatures].join(',');
}
