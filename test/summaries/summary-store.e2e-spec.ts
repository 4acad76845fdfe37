import { Db } from '../../src/database/db';
import { canonicalJson, PgSummaryStore, summaryCacheKey } from '../../src/summaries/summary-store';
import { createTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('PgSummaryStore', () => {
  it('caches summaries by key', async () => {
    const store = new PgSummaryStore(new Db(db.pool));
    const key = summaryCacheKey('openai:gpt-4o-mini', 'invoice.paid', { id: 'in_1' });
    expect(await store.getCached(key)).toBeNull();
    await store.putCached(key, { text: 'Invoice paid.', model: 'gpt-4o-mini' });
    await store.putCached(key, { text: 'Invoice in_1 paid.', model: 'gpt-4o-mini' });
    expect(await store.getCached(key)).toEqual({ text: 'Invoice in_1 paid.', model: 'gpt-4o-mini' });
  });

  it('keys on prompt version, models, type and canonical content', () => {
    const key = summaryCacheKey('openai:a', 't', { a: 1, b: { c: 2, d: 3 } });
    expect(summaryCacheKey('openai:a', 't', { b: { d: 3, c: 2 }, a: 1 })).toBe(key);
    expect(summaryCacheKey('openai:b', 't', { a: 1, b: { c: 2, d: 3 } })).not.toBe(key);
    expect(summaryCacheKey('openai:a', 'u', { a: 1, b: { c: 2, d: 3 } })).not.toBe(key);
    expect(summaryCacheKey('openai:a', 't', { a: 2, b: { c: 2, d: 3 } })).not.toBe(key);
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });

  it('reserves within the budget and refuses past it', async () => {
    const store = new PgSummaryStore(new Db(db.pool));
    expect(await store.reserve('ten_a', 600, 1000)).toBe(true);
    expect(await store.reserve('ten_a', 500, 1000)).toBe(false);
    expect(await store.reserve('ten_a', 400, 1000)).toBe(true);
    expect(await store.usedOn('ten_a')).toBe(1000);
    expect(await store.reserve('ten_b', 1001, 1000)).toBe(false);
    expect(await store.usedOn('ten_b')).toBe(0);
  });

  it('settles by the difference between reserved and actual', async () => {
    const store = new PgSummaryStore(new Db(db.pool));
    expect(await store.reserve('ten_c', 500, 1000)).toBe(true);
    await store.settle('ten_c', 500, 120);
    expect(await store.usedOn('ten_c')).toBe(120);
    await store.settle('ten_c', 0, 30);
    expect(await store.usedOn('ten_c')).toBe(150);
    await store.settle('ten_c', 10_000, 0);
    expect(await store.usedOn('ten_c')).toBe(0);
  });

  it('budgets per UTC day', async () => {
    let clock = Date.parse('2026-11-27T23:59:00Z');
    const store = new PgSummaryStore(new Db(db.pool), { now: () => clock });
    expect(await store.reserve('ten_d', 1000, 1000)).toBe(true);
    expect(await store.reserve('ten_d', 1, 1000)).toBe(false);
    clock = Date.parse('2026-11-28T00:00:01Z');
    expect(await store.reserve('ten_d', 1000, 1000)).toBe(true);
  });

  it('50 concurrent reservations never pass the budget', async () => {
    const store = new PgSummaryStore(new Db(db.pool));
    const results = await Promise.all(Array.from({ length: 50 }, () => store.reserve('ten_race', 70, 1000)));
    expect(results.filter(Boolean)).toHaveLength(14);
    expect(await store.usedOn('ten_race')).toBe(980);
  });
});
