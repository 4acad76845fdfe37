import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { ConfigError, Role, loadConfig } from './config/config';
import { LocalDatabaseError } from './database/local-database';
import { createHttpApp, listeningUrl, logStartup, migrateWithLock, resolveAdminToken, resolveDatabase, startWorker } from './bootstrap';

const ROLES: Record<string, Role> = { all: 'all', api: 'api', worker: 'worker' };

async function main(): Promise<void> {
  const role = ROLES[process.argv[2] ?? 'all'];
  if (!role) throw new ConfigError('role argument', `expected api, worker or nothing, got "${process.argv[2]}"`);
  const config = loadConfig();
  config.adminToken = resolveAdminToken(config, printLine);
  const database = await resolveDatabase(config);
  await migrateWithLock(database.url);

  const stopEmbedded = async () => {
    await database.embedded?.stop().catch(() => undefined);
  };

  if (role === 'worker') {
    const app = await startWorker(config, database.url, () => logStartup(config, role, database));
    onSignals(async () => {
      await app.close();
      await stopEmbedded();
    });
    return;
  }
  const app = await createHttpApp(config, role, database.url);
  logStartup(config, role, database);
  await app.listen(config.port, config.host);
  const url = listeningUrl(app, config.host, config.port);
  new Logger('Main').log({ role, url, docs: `${url}/docs` }, `Listening on ${url} (OpenAPI UI at ${url}/docs)`);
  onSignals(async () => {
    await app.close();
    await stopEmbedded();
  });
}

/**
 * A JSON line like pino's, written before the app (and its logger) exists: the generated admin
 * token is shown once, so it is printed at any LOG_LEVEL.
 */
function printLine(msg: string, fields: Record<string, string>): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, hostname: hostname(), context: 'Main', ...fields, msg })}\n`);
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
