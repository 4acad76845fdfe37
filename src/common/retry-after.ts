/**
 * The Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. One parser for
 * receivers (worker/retry-policy.ts) and model providers (summaries/providers).
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/;
const RFC850_DATE = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/;
const ASCTIME_DATE = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function utc(year: number, month: string, day: number, h: number, m: number, s: number): number | null {
  const monthIndex = MONTHS.indexOf(month);
  if (monthIndex === -1 || day < 1 || day > 31 || h > 23 || m > 59 || s > 59) return null;
  const at = Date.UTC(year, monthIndex, day, h, m, s);
  // Date.UTC rolls 31 Feb over into March; such a date is malformed, not a later one.
  return new Date(at).getUTCDate() === day ? at : null;
}

/** The three HTTP-date forms of RFC 9110 §5.6.7; Date.parse would also take many non-HTTP forms. */
function parseHttpDate(text: string, now: number): number | null {
  const lower = text.toLowerCase();
  let match = IMF_FIXDATE.exec(lower);
  if (match) return utc(+match[3], match[2], +match[1], +match[4], +match[5], +match[6]);
  match = RFC850_DATE.exec(lower);
  if (match) {
    // Two-digit years more than 50 years ahead mean the last century (RFC 9110 §5.6.7).
    const yy = +match[3];
    const year = 2000 + yy > new Date(now).getUTCFullYear() + 50 ? 1900 + yy : 2000 + yy;
    return utc(year, match[2], +match[1], +match[4], +match[5], +match[6]);
  }
  match = ASCTIME_DATE.exec(lower);
  if (match) return utc(+match[6], match[1], +match[2].trim(), +match[3], +match[4], +match[5]);
  return null;
}

/** Milliseconds to wait from `now`, or null when absent, malformed or already past. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : null;
  }
  const at = parseHttpDate(text, now);
  if (at === null) return null;
  const ms = at - now;
  return ms >= 0 ? ms : null;
}
