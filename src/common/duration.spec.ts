import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['5s', 5_000], ['5m', 300_000], ['2h', 7_200_000], ['5d', 432_000_000], ['250ms', 250], ['1500', 1500], ['0.5s', 500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'abc', '-5s', '5 minutes', '5w'])('rejects %p', (text) => expect(parseDuration(text)).toBeNull());
});
