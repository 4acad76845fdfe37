import { createTestDatabase } from './database';

describe('test database harness', () => {
  it('gives each file a migrated database of its own', async () => {
    const db = await createTestDatabase();
    try {
      const { rows } = await db.pool.query(`select count(*)::int as n from tenants`);
      expect(rows[0].n).toBe(0);
      const jobs = await db.pool.query(`select count(*)::int as n from graphile_worker.jobs`);
      expect(jobs.rows[0].n).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
