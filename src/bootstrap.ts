import { INestApplicationContext, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoLogger } from 'nestjs-pino';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { generateAdminToken } from './auth/tokens';
import { DomainErrorFilter } from './common/domain-error.filter';
import { AppConfig, Role } from './config/config';
import { EmbeddedServer, startEmbeddedPostgres } from './database/embedded-postgres';
import { migrateDatabase } from './database/migrate';
import { httpRequests } from './metrics/metrics';

const EMBEDDED_PORT = 54329;
const MIGRATION_LOCK = 827_364_501;

export interface ResolvedDatabase {
  url: string;
  embedded: EmbeddedServer | null;
}

/**
 * DATABASE_URL, or the embedded PostgreSQL under DATA_DIR. When another process of ours
 * (say `start:worker` beside `start:api`) already runs the embedded cluster, share it.
 */
export async function resolveDatabase(config: AppConfig): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  const url = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PORT}/webhooks`;
  if (await canConnect(url)) return { url, embedded: null };
  mkdirSync(config.dataDir, { recursive: true });
  const embedded = await startEmbeddedPostgres({ dir: join(config.dataDir, 'pg'), port: EMBEDDED_PORT, persistent: true, database: 'webhooks' });
  return { url: embedded.url, embedded };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Migrations under an advisory lock, so processes starting together do not race. */
export async function migrateWithLock(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrateDatabase(url);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}

/** ADMIN_TOKEN, or the one kept in DATA_DIR/admin-token (generated and printed once). */
export function resolveAdminToken(config: AppConfig, print: (line: string) => void): string {
  if (config.adminToken) return config.adminToken;
  const file = resolve(config.dataDir, 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const token = generateAdminToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  print(`Generated the admin token (kept in ${file}; shown only this once):\n\n  ${token}\n`);
  return token;
}

/** The API (with the worker too when role is "all"), ready to listen. */
export async function createHttpApp(config: AppConfig, role: Exclude<Role, 'worker'>, databaseUrl: string, logStream?: DestinationStream): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.maxPayloadBytes });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, role, databaseUrl, logStream }), adapter, {
    bufferLogs: true,
    // Publish keeps the exact text of `data` (see events/raw-json-member.ts).
    rawBody: true,
  });
  app.useLogger(app.get(PinoLogger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }));
  app.useGlobalFilters(new DomainErrorFilter());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    httpRequests.inc({ method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) });
    done();
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Webhook delivery service')
      .setDescription('Tenants, endpoints, events, deliveries. Bearer token: the admin token or a tenant API key.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/**
 * The worker role: the delivery worker, plus /health and /metrics on WORKER_PORT when it is
 * set (a separate variable, so `start:api` and `start:worker` on one machine never compete for PORT).
 */
export async function startWorker(config: AppConfig, databaseUrl: string): Promise<INestApplicationContext> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, role: 'worker', databaseUrl }), new FastifyAdapter(), { bufferLogs: true });
  app.useLogger(app.get(PinoLogger));
  app.useGlobalFilters(new DomainErrorFilter());
  app.enableShutdownHooks();
  if (config.workerPort === null) await app.init();
  else await app.listen(config.workerPort, config.host);
  return app;
}
