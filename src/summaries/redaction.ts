/**
 * Redaction of personal data and secrets before event data leaves the service (to a model) or
 * reaches a human-readable summary. Pure functions: no I/O.
 */

export const REDACTED = '[redacted]';
export const EMAIL = '[email]';
export const PHONE = '[phone]';
export const CARD = '[card]';
export const IBAN = '[iban]';

/** Deep copy of `value` with secrets, e-mail addresses, phone numbers, card numbers and IBANs replaced. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new WeakSet<object>());
}

const placeholderCache = new Map<string, string | null>();

/** Placeholder for the whole value under `key`, or null when the key alone says nothing. */
export function placeholderForKey(key: string): string | null {
  // Event keys repeat from event to event; splitting them into words is the costly part.
  let placeholder = placeholderCache.get(key);
  if (placeholder === undefined) {
    if (placeholderCache.size >= 10_000) placeholderCache.clear();
    placeholder = placeholderFromWords(key);
    placeholderCache.set(key, placeholder);
  }
  return placeholder;
}

function placeholderFromWords(key: string): string | null {
  const words = keyWords(key);
  const joined = words.join('');
  if (SECRET_SUBSTRINGS.some((s) => joined.includes(s)) || words.some((w) => SECRET_WORDS.has(w))) return REDACTED;
  if (words.some((w) => w === 'email' || w === 'mail') || joined.includes('email')) return EMAIL;
  if (words.some((w) => PHONE_WORDS.has(w)) || joined.includes('phone')) return PHONE;
  if (words.includes('iban')) return IBAN;
  if (joined.includes('cardnumber') || words.includes('pan')) return CARD;
  return null;
}

/** Replaces personal data and well-known secret formats inside free text. */
export function redactString(text: string): string {
  let out = text.replace(SECRET_FORMAT, REDACTED);
  out = out.replace(EMAIL_PATTERN, EMAIL);
  out = replaceIbans(out);
  out = out.replace(CARD_CANDIDATE, (match) => (isCardNumber(match.replace(/\D/g, '')) ? CARD : match));
  out = out.replace(PHONE_CANDIDATE, (match) => (isPhoneNumber(match) ? PHONE : match));
  return out;
}

const MAX_DEPTH = 64;

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'number') {
    return Number.isInteger(value) && isCardNumber(String(Math.abs(value))) ? CARD : value;
  }
  if (typeof value === 'bigint') return isCardNumber(value.toString()) ? CARD : value.toString();
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return undefined; // functions, symbols, undefined: not JSON
  // Cycles and absurd nesting cannot come from JSON, but this must never loop or blow the stack.
  if (seen.has(value) || depth >= MAX_DEPTH) return REDACTED;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const placeholder = placeholderForKey(key);
      out[key] = placeholder !== null && item !== null && item !== '' ? placeholder : redactValue(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

// Long, unambiguous fragments: matched anywhere in the key with separators removed.
const SECRET_SUBSTRINGS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'authorization', 'privatekey', 'accesskey',
  'signingkey', 'encryptionkey', 'cookie', 'session', 'credential', 'cvv', 'cvc', 'socialsecurity', 'bearer',
];
// Short fragments that would hit innocent keys as substrings (`pin` in `shipping`, `ssn` in `classname`).
const SECRET_WORDS = new Set(['pwd', 'ssn', 'pin', 'otp', 'auth', 'jwt', 'csc', 'sin', 'tin', 'mfa', 'totp']);
const PHONE_WORDS = new Set(['phone', 'mobile', 'msisdn', 'fax', 'tel', 'telephone', 'cell']);

/** `clientSecret`, `client_secret`, `Client-Secret`, `CLIENT_SECRET` → ['client', 'secret']. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

const EMAIL_PATTERN = /(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}/g;

// Bearer credentials, JWTs and common API-key prefixes, wherever they appear.
const SECRET_FORMAT = new RegExp(
  [
    /\b[Bb]earer\s+[A-Za-z0-9\-._~+/]{8,}=*/.source,
    /\b[Bb]asic\s+[A-Za-z0-9+/]{8,}={0,2}/.source,
    /\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*/.source,
    /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}/.source,
    /\bsk-[A-Za-z0-9_\-]{16,}/.source,
    /\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{16,}/.source,
    /\bxox[abprs]-[A-Za-z0-9\-]{10,}/.source,
    /\bAKIA[0-9A-Z]{16}\b/.source,
    /\bwhsec_[A-Za-z0-9+/=]{16,}/.source,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/.source,
  ].join('|'),
  'g',
);

// 13-19 digits, optionally in groups separated by single spaces or dashes.
const CARD_CANDIDATE = /(?<![\d.,+])\d(?:[ \-]?\d){12,18}(?![\d]|[.,]\d)/g;

/** Luhn-valid 13-19 digit number with a real card-scheme first digit (2-6: excludes ms timestamps). */
export function isCardNumber(digits: string): boolean {
  if (!/^[2-6]\d{12,18}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,32}/g;

function replaceIbans(text: string): string {
  return text.replace(IBAN_CANDIDATE, (match, offset: number, whole: string) => {
    // The candidate may have swallowed a following word ("DE89 3704 ... 00 PAID"): take the longest valid prefix.
    for (let end = match.length; end >= 15; end--) {
      const next = end < match.length ? match[end] : whole[offset + end];
      if (next !== undefined && /[A-Za-z0-9]/.test(next)) continue;
      const compact = match.slice(0, end).replace(/[ \-]/g, '');
      if (isIban(compact)) return IBAN + match.slice(end);
    }
    return match;
  });
}

/** ISO 13616 check: length 15-34 and mod-97 of the rearranged number is 1. */
export function isIban(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const n = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = n > 9 ? (remainder * 100 + n) % 97 : (remainder * 10 + n) % 97;
  }
  return remainder === 1;
}

// A run of digits with phone-ish separators, optionally after + or 00; judged by isPhoneNumber.
const PHONE_CANDIDATE = /(?<![\w@/.+\-])(?:\+|\b00)?\(?\d[\d ().\-]{5,22}\d\)?(?![\w@/\-]|[.,]\d)/g;

/** Told apart from dates, times, amounts, versions, IP addresses and plain ids by its shape. */
export function isPhoneNumber(candidate: string): boolean {
  const text = candidate.trim();
  const digits = text.replace(/\D/g, '');
  if (text.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  if (/^00[1-9]/.test(text)) return digits.length >= 10 && digits.length <= 17;
  if (digits.length < 9 || digits.length > 12) return false;
  if (/^(?:19|20)\d{2}[\-. ]\d{1,2}[\-. ]\d{1,2}/.test(text)) return false; // ISO date, maybe followed by more
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) return false; // IPv4
  const separators = text.replace(/[\d]/g, '');
  if (separators === '') return /^0[1-9]\d{8,10}$/.test(text); // 07700900123: national trunk prefix
  if (separators === '.') return false; // a decimal amount
  const groups = text.split(/[ ().\-]+/).filter((g) => g.length > 0);
  if (groups.some((g, i) => g.length === 1 && !(i === 0 && g === '1'))) return false;
  if (groups.some((g) => g.length > 8)) return false;
  // Thousands grouping (1 234 567) is groups of three after a short first group; phones end in 2-4+ digit groups unevenly.
  if (groups.length >= 3 && groups.slice(1).every((g) => g.length === 3) && groups[0].length < 3) return false;
  return true;
}
