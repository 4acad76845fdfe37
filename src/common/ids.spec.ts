import { newId } from './ids';

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
});
