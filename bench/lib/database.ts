import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedServer, startEmbeddedPostgres } from '../../src/database/embedded-postgres';

export interface BenchDatabase {
  /** Connection string of a maintenance database, used to create and drop the bench databases. */
  adminUrl: string;
  embedded: EmbeddedServer | null;
  /** Notes for the report (fsync etc.). */
  notes: string;
}

/** DATABASE_URL when set, else a throw-away embedded PostgreSQL under `workDir` on a free port. */
export async function startDatabase(workDir: string, statements = false): Promise<BenchDatabase> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return { adminUrl: url, embedded: null, notes: 'DATABASE_URL' };
  const parent = join(workDir, 'pg');
  mkdirSync(parent, { recursive: true });
  chmodSync(workDir, 0o755); // initdb runs as the postgres user when we are root
  chmodSync(parent, 0o755);
  const port = await freePort();
  const embedded = await startEmbeddedPostgres({ dir: join(parent, 'data'), port, persistent: false, settings: statements ? ['shared_preload_libraries=pg_stat_statements'] : [] });
  return { adminUrl: embedded.url, embedded, notes: 'embedded-postgres (non-persistent: fsync=off, max_connections=300)' };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await sql(adminUrl, `create database ${name}`);
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await sql(adminUrl, `drop database if exists ${name} with (force)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
