import { InvalidInputError } from '../common/errors';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_HEADERS = 20;
const MAX_VALUE_LENGTH = 1024;
const MAX_TOTAL_BYTES = 8192;

/**
 * Headers the service sets itself, and those that describe the message or the connection
 * rather than the request (hop-by-hop, framing, encoding): an extra header may not set them.
 */
const RESERVED = new Set([
  'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-webhook-signature', 'content-type', 'content-length',
  'content-encoding', 'host', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect',
  'user-agent', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'http2-settings',
]);

/** Visible ASCII and spaces (RFC 9110 field-value without obs-text): what every HTTP client can send. */
const VALUE = /^[\x20-\x7e]*$/;

/** Validates an endpoint's extra headers: names are RFC 9110 tokens, values visible ASCII and spaces. */
export function validateCustomHeaders(input: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(input);
  if (entries.length > MAX_HEADERS) throw new InvalidInputError('headers', `may hold at most ${MAX_HEADERS} headers`);
  const out: Record<string, string> = {};
  let total = 0;
  for (const [name, value] of entries) {
    if (name.length > 256 || !TOKEN.test(name)) throw new InvalidInputError('headers', `has an invalid header name "${name.slice(0, 64)}"`);
    const lower = name.toLowerCase();
    if (RESERVED.has(lower)) throw new InvalidInputError('headers', `may not set the reserved header "${lower}"`);
    if (typeof value !== 'string') throw new InvalidInputError(`headers.${name}`, 'must be a string');
    if (value.length > MAX_VALUE_LENGTH) throw new InvalidInputError(`headers.${name}`, `must be at most ${MAX_VALUE_LENGTH} characters`);
    if (!VALUE.test(value)) throw new InvalidInputError(`headers.${name}`, 'may hold only visible ASCII characters and spaces (no control characters, no non-ASCII)');
    if (lower in out || Object.keys(out).some((k) => k.toLowerCase() === lower)) throw new InvalidInputError('headers', `sets "${lower}" twice`);
    total += name.length + value.length;
    out[name] = value;
  }
  if (total > MAX_TOTAL_BYTES) throw new InvalidInputError('headers', `may be at most ${MAX_TOTAL_BYTES} bytes in all`);
  return out;
}
