import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ALL_MIGRATIONS } from '../../migrations';
import { migrateWithLock } from '../../src/bootstrap';
import { adminQuery } from '../support/database';
import { withDatabase } from '../support/global-setup';


/** Processes starting together (an API and a worker, or replicas) migrate an empty database once, and none waits for ever. */
describe('migrations under the lock', () => {
  const name = `whk_mig_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(process.env.TEST_PG_BASE_URL!, name);
  beforeAll(() => adminQuery(`create database ${name}`));
  afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));

  it('three processes at once: one migrates (indexes built concurrently), the others wait their turn and find nothing to do', async () => {
    await Promise.all([migrateWithLock(url), migrateWithLock(url), migrateWithLock(url)]);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query(`select name from typeorm_migrations order by id`);
      expect(rows.map((r) => r.name)).toEqual(ALL_MIGRATIONS.map((m) => new m().name));
      const idx = await c.query(`select indexdef from pg_indexes where indexname = 'deliveries_tenant_idx'`);
      expect(idx.rows[0].indexdef).toMatch(/\(tenant_id, id\)$/);
      const invalid = await c.query(`select count(*)::int as n from pg_index where not indisvalid`);
      expect(invalid.rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  }, 60_000);
});
