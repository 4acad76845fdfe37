import { parseRetryAfter } from './retry-after';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 27, 10, 0, 0);

  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    ['Fri, 27 Nov 2026 10:01:30 GMT', 90_000],
    ['Friday, 27-Nov-26 10:00:05 GMT', 5_000],
    ['Fri Nov 27 10:00:10 2026', 10_000],
    ['Fri Nov  7 10:00:00 2026', null],
  ])('%p -> %p', (value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));

  it.each([undefined, '', '-5', '1.5', 'soon', '5s', 'Fri, 27 Nov 2026 09:59:00 GMT', 'Fri, 31 Feb 2026 10:00:00 GMT', '2026-11-27T10:05:00Z'])(
    'rejects %p',
    (value) => expect(parseRetryAfter(value, now)).toBeNull(),
  );
});
