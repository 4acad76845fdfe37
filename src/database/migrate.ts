import { runMigrations } from 'graphile-worker';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { Db } from './db';

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
