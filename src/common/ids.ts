/**
 * Ids: `<prefix>_` then a ULID in lower-case Crockford base32 (10 characters of milliseconds,
 * 16 of randomness).
 *
 * Hand-written on purpose, not the `ulid` or `ulidx` package. Those give an upper-case bare
 * ULID; ours are prefixed and lower case, and idAtOrAfter/idBounds below turn times into id
 * bounds with the same time encoding, so the layout would stay ours with a library too (we
 * would re-case and re-prefix its output and keep encodeTime). What a library would add, we
 * have and test (ids.spec.ts): monotonic ids within one millisecond (the 80-bit random part is
 * incremented, as ulid's monotonicFactory does), also when the clock steps back, and an
 * overflow of that part carried into the next millisecond instead of breaking the order. The
 * randomness is crypto.randomBytes, drawn 4 KiB at a time: one call per 409 ids on the
 * publish path, where the packages call their PRNG once per character. No dependency.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

export type IdPrefix = 'ten' | 'key' | 'ep' | 'evt' | 'dlv' | 'att' | 'msg' | 'pts';

let lastMs = 0;
let lastRandom: Buffer = Buffer.alloc(10);
// randomBytes per id is a syscall; draw 10-byte slices from a pool refilled every 409 ids.
let pool = Buffer.alloc(0);
let poolOffset = 0;

function random10(): Buffer {
  if (poolOffset + 10 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const slice = Buffer.from(pool.subarray(poolOffset, poolOffset + 10));
  poolOffset += 10;
  return slice;
}

/**
 * Time-sortable ids: 48 bits of milliseconds then 80 random bits (ULID layout), so ordering
 * by id is ordering by creation. Within one millisecond the random part is incremented, which
 * keeps ids made by one process strictly increasing.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  let random: Buffer;
  if (now <= lastMs) {
    random = Buffer.from(lastRandom);
    let carry = true;
    for (let i = random.length - 1; i >= 0 && carry; i--) {
      random[i] = (random[i] + 1) & 0xff;
      carry = random[i] === 0;
    }
    // 2^80 ids in one millisecond never happen, but a random start near the top may overflow:
    // the order holds if the overflow moves on to the next millisecond.
    if (carry) {
      lastMs += 1;
      random = random10();
    }
  } else {
    random = random10();
    lastMs = now;
  }
  lastRandom = random;
  return `${prefix}_${encodeTime(lastMs)}${encodeRandom(random)}`;
}

function encodeTime(ms: number): string {
  let out = '';
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function encodeRandom(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/**
 * The smallest id of `prefix` made at or after `at`: ids sort by time, so a time bound is an
 * id bound, which an index on the id serves (see the delivery and event logs' filters).
 */
export function idAtOrAfter(prefix: IdPrefix, at: Date): string {
  const ms = Math.min(Math.max(at.getTime(), 0), 2 ** 48 - 1);
  return `${prefix}_${encodeTime(ms)}`;
}

/** The time in an id (or in an id bound made by idAtOrAfter); null when it does not hold one. */
export function idTime(id: string): Date | null {
  const m = /^[a-z]+_([0-9a-hjkmnp-tv-z]{10})/.exec(id);
  if (!m) return null;
  let ms = 0;
  for (const ch of m[1]) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms <= 8.64e15 ? new Date(ms) : null;
}

/** How far a row's created_at may trail the time in its id (the id is made before the insert). */
const CREATED_LAG_MS = 60_000;

/**
 * Id bounds for "created at or after `since`, before `until`, older than the cursor `before`":
 * `high` is exact (an id's time is never later than its row's created_at), `low` allows one
 * minute of lag (clocks, batching); the exact created_at filter applies on top.
 */
export function idBounds(prefix: IdPrefix, since: string | undefined, until: string | undefined, before: string | null): { low: string | null; high: string | null } {
  const low = since ? idAtOrAfter(prefix, new Date(new Date(since).getTime() - CREATED_LAG_MS)) : null;
  const untilId = until ? idAtOrAfter(prefix, new Date(until)) : null;
  const high = before === null ? untilId : untilId === null || before < untilId ? before : untilId;
  return { low, high };
}

const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** Of an event's random characters, a delivery id keeps the last ones: those differ between ids made in one millisecond. */
const KEPT_RANDOM_CHARS = 13;

/**
 * The ids the deliveries of event `eventId` can have, [low, high): theirs carry its time
 * (deliveryIdSql), so they fall in its partition. Null for an id the service does not make.
 */
export function deliveryIdsOf(eventId: string): { low: string; high: string } | null {
  const time = idTime(eventId);
  if (!time || !eventId.startsWith('evt_')) return null;
  return { low: idAtOrAfter('dlv', time), high: idAtOrAfter('dlv', new Date(time.getTime() + 1)) };
}

/**
 * SQL: `column` (a delivery id) is one the deliveries of the event whose id is `eventIdExpr`
 * can have (deliveryIdsOf, in SQL: for a lookup whose event is known only as it runs, which
 * then reads the event's partition alone). Its characters sort as in C under ICU collations too.
 */
export function deliveryIdsOfSql(column: string, eventIdExpr: string): string {
  const time = `substr(${eventIdExpr}, ${'evt_'.length + 1}, ${TIME_CHARS})`;
  return `(${column} >= 'dlv_' || ${time} and ${column} <= 'dlv_' || ${time} || '${'z'.repeat(RANDOM_CHARS)}')`;
}

/**
 * SQL for the id of the `indexExpr`-th (0-based, under 32,768) delivery of the event whose id
 * is `eventIdExpr`: `dlv_`, the event's time, the last 13 of its random characters, then the
 * index in 3 base32 characters. Unique and time-sortable without a round trip; the one place
 * outside newId that knows where the parts of an id sit.
 */
export function deliveryIdSql(eventIdExpr: string, indexExpr: string): string {
  const time = 'evt_'.length + 1;
  const kept = time + TIME_CHARS + RANDOM_CHARS - KEPT_RANDOM_CHARS;
  const digit = (expr: string) => `substr('${ALPHABET}', ((${expr}) % 32)::int + 1, 1)`;
  return `'dlv_' || substr(${eventIdExpr}, ${time}, ${TIME_CHARS}) || substr(${eventIdExpr}, ${kept}, ${KEPT_RANDOM_CHARS})`
    + ` || ${digit(`(${indexExpr}) / 1024`)} || ${digit(`(${indexExpr}) / 32`)} || ${digit(indexExpr)}`;
}
