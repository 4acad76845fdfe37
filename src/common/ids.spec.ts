import { deliveryIdsOf, idAtOrAfter, idBounds, idTime, newId } from './ids';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
/** The milliseconds in an id's first ten characters after the prefix. */
const timeOf = (id: string) => [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce((ms, c) => ms * 32 + CROCKFORD.indexOf(c), 0);


describe('newId', () => {
  it('makes prefixed, time-sortable, unique ids even within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => newId('evt'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => /^evt_[0-9a-z]{26}$/.test(id))).toBe(true);
  });

  it('keeps ids made in one millisecond distinct in their last characters (delivery ids derive from them)', () => {
    const ids = Array.from({ length: 1000 }, () => newId('evt'));
    const derived = ids.map((id) => id.slice(4, 14) + id.slice(17, 30));
    expect(new Set(derived).size).toBe(ids.length);
  });

  describe('with the clock held', () => {
    const at = Date.parse('2026-12-01T10:00:00.123Z');
    let now = at;
    /** A fresh copy of the module: no millisecond or random part carried over from other tests. */
    const load = () => {
      let ids: typeof import('./ids') | undefined;
      jest.isolateModules(() => (ids = jest.requireActual<typeof import('./ids')>('./ids')));
      return ids!;
    };
    let newId: typeof import('./ids').newId;
    beforeEach(() => {
      now = at;
      jest.spyOn(Date, 'now').mockImplementation(() => now);
      ({ newId } = load());
    });
    afterEach(() => jest.restoreAllMocks());

    it('makes strictly increasing ids within one millisecond, all carrying that millisecond', () => {
      const ids = Array.from({ length: 5_000 }, () => newId('dlv'));
      for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
      expect(new Set(ids.map(timeOf))).toEqual(new Set([at]));
      expect(ids.every((id) => id.startsWith(idAtOrAfter('dlv', new Date(at))))).toBe(true);
    });

    it('keeps increasing when the clock steps back, and moves on with the clock', () => {
      const first = newId('evt');
      now = at - 5_000;
      const behind = newId('evt');
      expect(behind > first).toBe(true);
      expect(timeOf(behind)).toBe(at);
      now = at + 1;
      const next = newId('evt');
      expect(next > behind).toBe(true);
      expect(timeOf(next)).toBe(at + 1);
    });

    it('puts the creation time first, so a time bound is an id bound', () => {
      now = at + 10;
      const id = newId('evt');
      expect(timeOf(id)).toBe(at + 10);
      expect(id >= idAtOrAfter('evt', new Date(at + 10))).toBe(true);
      expect(id < idAtOrAfter('evt', new Date(at + 11))).toBe(true);
      expect(idBounds('evt', undefined, new Date(at + 11).toISOString(), null).high! > id).toBe(true);
      expect(idBounds('evt', undefined, new Date(at + 10).toISOString(), null).high! < id).toBe(true);
    });

    it('carries an overflow of the random part into the next millisecond', () => {
      jest.doMock('node:crypto', () => ({ randomBytes: (n: number) => Buffer.alloc(n, 0xff) }));
      try {
        const fresh = load().newId;
        const top = fresh('att');
        expect(top).toMatch(/^att_[0-9a-z]{10}z{16}$/);
        expect(timeOf(top)).toBe(at);
        const next = fresh('att');
        expect(next > top).toBe(true);
        expect(timeOf(next)).toBe(at + 1);
      } finally {
        jest.dontMock('node:crypto');
      }
    });
  });
});

describe('idTime', () => {
  it('reads back the time of an id and of a time bound', () => {
    const at = new Date('2026-12-03T04:05:06.789Z');
    expect(idTime(idAtOrAfter('evt', at))).toEqual(at);
    const before = Date.now();
    const t = idTime(newId('att'))!.getTime();
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(idTime('att_x')).toBeNull();
    expect(idTime('nonsense')).toBeNull();
  });
});

describe('deliveryIdsOf', () => {
  it("holds the ids of an event's deliveries (its time, then any characters) and none of the next millisecond", () => {
    const eventId = newId('evt');
    const range = deliveryIdsOf(eventId)!;
    const own = `dlv_${eventId.slice(4, 14)}${eventId.slice(-13)}zzz`;
    expect(own >= range.low && own < range.high).toBe(true);
    expect(`dlv_${eventId.slice(4, 14)}0000000000000000` >= range.low).toBe(true);
    const next = idAtOrAfter('dlv', new Date(idTime(eventId)!.getTime() + 1));
    expect(next < range.high).toBe(false);
    expect(deliveryIdsOf('evt_odd')).toBeNull();
    expect(deliveryIdsOf(newId('dlv'))).toBeNull();
  });
});
