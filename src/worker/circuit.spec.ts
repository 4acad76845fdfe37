import { admits, afterAttempt, CLOSED, Circuit, FAILURE_THRESHOLD, healthOf } from './circuit';

const now = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const delays = [5_000, 60_000, 600_000];

describe('the endpoint circuit', () => {
  it.each([
    [200, null, 'up'], [204, null, 'up'], [302, 'redirect not followed', 'up'], [400, null, 'up'], [404, null, 'up'],
    [429, null, 'down'], [500, null, 'down'], [503, null, 'down'], [null, 'timeout', 'down'], [null, 'connection refused', 'down'],
    [200, 'connection reset', 'down'],
  ])('status %p with error %p says the receiver is %s', (status, error, health) => {
    expect(healthOf(status, error)).toBe(health);
  });

  it(`opens after ${FAILURE_THRESHOLD} failures in a row, and an answer in between resets the count`, () => {
    let c: Circuit = CLOSED;
    for (let i = 0; i < FAILURE_THRESHOLD - 1; i++) c = afterAttempt(c, 'down', now, delays);
    expect(c).toMatchObject({ state: 'closed', failures: FAILURE_THRESHOLD - 1 });
    expect(afterAttempt(c, 'up', now, delays)).toEqual(CLOSED);
    c = afterAttempt(c, 'down', now, delays);
    expect(c).toEqual({ state: 'open', openedAt: now, nextProbeAt: at(5_000), failures: FAILURE_THRESHOLD, step: 0 });
  });

  it('holds everything until the probe is due, then admits one probe at a time', () => {
    const open: Circuit = { state: 'open', openedAt: now, nextProbeAt: at(5_000), failures: 5, step: 0 };
    expect(admits(open, 0, at(4_999))).toBe('no');
    expect(admits(open, 0, at(5_000))).toBe('probe');
    expect(admits(open, 1, at(5_000))).toBe('no');
    expect(admits({ ...open, state: 'half-open' }, 0, at(6_000))).toBe('no');
    expect(admits(CLOSED, 100, now)).toBe('yes');
  });

  it('backs off one step per failed probe, staying at the last step, and closes on a successful probe', () => {
    let c: Circuit = { state: 'half-open', openedAt: now, nextProbeAt: at(5_000), failures: 5, step: 0 };
    c = afterAttempt(c, 'down', at(5_000), delays);
    expect(c).toMatchObject({ state: 'open', step: 1, nextProbeAt: at(65_000), openedAt: now });
    c = afterAttempt({ ...c, state: 'half-open' }, 'down', at(65_000), delays);
    expect(c).toMatchObject({ state: 'open', step: 2, nextProbeAt: at(665_000) });
    c = afterAttempt({ ...c, state: 'half-open' }, 'down', at(665_000), delays);
    expect(c).toMatchObject({ state: 'open', step: 3, nextProbeAt: at(1_265_000) });
    expect(afterAttempt({ ...c, state: 'half-open' }, 'up', at(1_265_000), delays)).toEqual(CLOSED);
  });

  it('keeps an open circuit as it is when attempts that were in flight fail', () => {
    const open: Circuit = { state: 'open', openedAt: now, nextProbeAt: at(5_000), failures: 5, step: 0 };
    expect(afterAttempt(open, 'down', at(100), delays)).toBe(open);
  });
});
