import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TENANT_KEY_PREFIX = 'whk_';
const PORTAL_TOKEN_PREFIX = 'pts_';

export function generateTenantKey(): string {
  return TENANT_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** A portal session's bearer token (SPEC §11); like a tenant key, only its hash is stored. */
export function generatePortalToken(): string {
  return PORTAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikePortalToken(token: string): boolean {
  return token.startsWith(PORTAL_TOKEN_PREFIX) && token.length < 200;
}

export function generateAdminToken(): string {
  return 'whadm_' + randomBytes(32).toString('base64url');
}

/** Keys are high-entropy random strings, so a plain SHA-256 is a sufficient one-way hash. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeTenantKey(token: string): boolean {
  return token.startsWith(TENANT_KEY_PREFIX) && token.length < 200;
}

/** Compares two hex digests of equal length without leaking where they differ. */
export function constantTimeEquals(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
