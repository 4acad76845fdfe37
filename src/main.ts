import 'reflect-metadata';
import { Logger } from '@nestjs/common';
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
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  new Logger('Main').log({ role, url, docs: `${url}/docs` }, `listening on ${url}`);
  onSignals(async () => {
    await app.close();
    await stopEmbedded();
  });
}

/**
 * The one place that handles SIGINT and SIGTERM (Nest's shutdown hooks are not enabled, so
 * the shutdown runs once): app.close() stops taking jobs and requests, lets in-flight attempts
 * finish, then closes the HTTP client and the pools; the embedded database stops last.
 */
function onSignals(shutdown: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        },
      );
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
