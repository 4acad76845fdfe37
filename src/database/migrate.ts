import { runMigrations } from 'graphile-worker';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { Db } from './db';

/**
 * The oldest server the service runs on: the log's partitions are detached CONCURRENTLY and
 * read through pg_inherits.inhdetachpending (PostgreSQL 14), and retention rebuilds indexes
 * with REINDEX CONCURRENTLY, which before 14.4 could leave out rows updated meanwhile.
 */
const MIN_SERVER_VERSION = 140004;

/** Why the server cannot hold the service's schema, or null when it can (`server_version_num`, `server_version`). */
export function serverVersionProblem(versionNum: number, version: string): string | null {
  if (versionNum >= MIN_SERVER_VERSION) return null;
  return `PostgreSQL 14.4 or newer is required (older servers lack DETACH PARTITION CONCURRENTLY, or rebuild indexes concurrently with a bug that loses rows); the server at DATABASE_URL is ${version}`;
}

/** Applies our TypeORM migrations and graphile-worker's own schema migrations. */
export async function migrateDatabase(url: string): Promise<void> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    logging: false,
  });
  await dataSource.initialize();
  try {
    // before any migration: an older server would fail one half-way, with a message about a column
    const [{ num, version }] = (await dataSource.query(`select current_setting('server_version_num')::int as num, current_setting('server_version') as version`)) as Array<{ num: number; version: string }>;
    const problem = serverVersionProblem(num, version);
    if (problem) throw new Error(problem);
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
  await runMigrations({ connectionString: url, logger: silentLogger() });
}

export async function pendingMigrationCount(db: Db): Promise<number> {
  const rows = await db.query<{ name: string }>(`select name from typeorm_migrations`);
  const applied = new Set(rows.map((r) => r.name));
  return ALL_MIGRATIONS.filter((m) => !applied.has(m.name)).length;
}

import { Logger as WorkerLogger } from 'graphile-worker';
function silentLogger(): WorkerLogger {
  return new WorkerLogger(() => () => undefined);
}
