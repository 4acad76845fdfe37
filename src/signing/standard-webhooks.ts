import { createHmac } from 'node:crypto';
import { secretKeyBytes } from './secrets';

export function standardWebhooksSignature(
  secrets: string[],
  msgId: string,
  timestampSec: number,
  body: string,
): string {
  const signedContent = `${msgId}.${timestampSec}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', secretKeyBytes(secret)).update(signedContent).digest('base64')}`)
    .join(' ');
}
