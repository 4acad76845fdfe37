import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: one per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const baseUrl = required('TEST_PG_BASE_URL');
  const template = required('TEST_PG_TEMPLATE');
  const name = `whk_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name} template ${template}`);
  const url = withDatabase(baseUrl, name);
  const pool = new Pool({ connectionString: url, max: 5 });
  // Tests that cut connections (outage, restart) also cut this pool's idle ones: like the app's
  // own pool, it must not crash the run (an unhandled 'error' fails whichever file runs then).
  pool.on('error', () => undefined);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** One statement on the server's maintenance connection (create, drop, alter a database; cut connections). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: required('TEST_PG_BASE_URL') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (test/support/global-setup.ts)`);
  return value;
}
