import { randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
// Buffer.from(..., 'base64') silently skips invalid characters, so the shape is checked first.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export function isValidSecret(s: string): boolean {
  if (!s.startsWith(PREFIX)) return false;
  const encoded = s.slice(PREFIX.length);
  if (!STANDARD_BASE64.test(encoded)) return false;
  const length = Buffer.from(encoded, 'base64').length;
  return length >= MIN_KEY_BYTES && length <= MAX_KEY_BYTES;
}

export function secretKeyBytes(s: string): Buffer {
  const encoded = s.startsWith(PREFIX) ? s.slice(PREFIX.length) : s;
  return Buffer.from(encoded, 'base64');
}
