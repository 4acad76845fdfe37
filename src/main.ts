import 'reflect-metadata';
import { ConfigError, Role, loadConfig } from './config/config';
import { LocalDatabaseError } from './database/local-database';
import { createHttpApp, migrateWithLock, resolveAdminToken, resolveDatabase, startWorker } from './bootstrap';

const ROLES: Record<string, Role> = { all: 'all', api: 'api', worker: 'worker' };

async function main(): Promise<void> {
  const role = ROLES[process.argv[2] ?? 'all'];
  if (!role) throw new ConfigError('role argument', `expected api, worker or nothing, got "${process.argv[2]}"`);
  const config = loadConfig();
  config.adminToken = resolveAdminToken(config, (line) => process.stdout.write(`${line}\n`));
  const database = await resolveDatabase(config);
  await migrateWithLock(database.url);

  const stopEmbedded = async () => {
    await database.embedded?.stop().catch(() => undefined);
  };

  if (role === 'worker') {
    const app = await startWorker(config, database.url);
    onSignals(async () => {
      await app.close();
      await stopEmbedded();
    });
    return;
  }
  const app = await createHttpApp(config, role, database.url);
  await app.listen(config.port, config.host);
  process.stdout.write(`Listening on http://${config.host}:${config.port} (role: ${role}); API docs at /docs\n`);
  onSignals(async () => {
    await app.close();
    await stopEmbedded();
  });
}

function onSignals(shutdown: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      shutdown().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof LocalDatabaseError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
