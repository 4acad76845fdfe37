import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, EmbeddedServer } from '../../src/database/embedded-postgres';
import { migrateDatabase } from '../../src/database/migrate';

declare global {
  // eslint-disable-next-line no-var
  var __EMBEDDED_PG__: EmbeddedServer | undefined;
}

/**
 * One PostgreSQL for the whole run: the one in TEST_DATABASE_URL / DATABASE_URL, or an
 * embedded server started here. A migrated template database is made once; every test file
 * then clones it (see test/support/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  let baseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!baseUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'whk-test-pg-'));
    chmodSync(dir, 0o755); // initdb runs as the postgres user when we are root
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = await startEmbeddedPostgres({ dir: join(dir, 'data'), port, persistent: false });
    globalThis.__EMBEDDED_PG__ = server;
    baseUrl = server.url;
  }
  const template = `whk_template_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${template}`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(withDatabase(baseUrl, template));
  process.env.TEST_PG_BASE_URL = baseUrl;
  process.env.TEST_PG_TEMPLATE = template;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
