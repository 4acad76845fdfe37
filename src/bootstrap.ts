import { INestApplicationContext, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoLogger } from 'nestjs-pino';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { Client } from 'pg';
import type { RawServerDefault } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { generateAdminToken } from './auth/tokens';
import { answerFrameworkError, DomainErrorFilter } from './common/domain-error.filter';
import { QuietNestLogger } from './common/quiet-nest-logger';
import { InvalidInputError } from './common/errors';
import { buildOpenApiDocument } from './common/openapi-document';
import { checkCharset, findJsonProblem, JsonBodyError, scanJson } from './common/json-body';
import { validationFailed } from './common/validation';
import { AppConfig, Role } from './config/config';
import { EmbeddedServer } from './database/embedded-postgres';
import { useLocalDatabase } from './database/local-database';
import { migrateDatabase } from './database/migrate';
import { httpRequests } from './metrics/metrics';
import { servePortal } from './portal/portal-static';

const MIGRATION_LOCK = 827_364_501;

export interface ResolvedDatabase {
  url: string;
  embedded: EmbeddedServer | null;
}

/** DATABASE_URL, or the embedded PostgreSQL of DATA_DIR (see database/local-database.ts). */
export async function resolveDatabase(config: AppConfig): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  return useLocalDatabase(config.dataDir);
}

/**
 * Migrations under an advisory lock, so processes starting together do not race. The lock is
 * polled, not waited for: a session blocked in pg_advisory_lock holds a snapshot, and a
 * migration that builds an index concurrently waits for every older snapshot, so the two
 * would wait for each other for ever.
 */
export async function migrateWithLock(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [MIGRATION_LOCK]);
      if (rows[0].locked) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await migrateDatabase(url);
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}

/** ADMIN_TOKEN, or the one kept in DATA_DIR/admin-token (generated and printed once, whatever LOG_LEVEL says). */
export function resolveAdminToken(config: AppConfig, print: (message: string, fields: Record<string, string>) => void): string {
  if (config.adminToken) return config.adminToken;
  const file = resolve(config.dataDir, 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const token = generateAdminToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  print(`Generated the admin token, kept in ${file} and shown only this once: ${token}`, { adminToken: token, file });
  return token;
}

/** The API (with the worker too when role is "all"), ready to listen. */
export async function createHttpApp(config: AppConfig, role: Exclude<Role, 'worker'>, databaseUrl: string, logStream?: DestinationStream): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.maxPayloadBytes, frameworkErrors: answerFrameworkError });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, role, databaseUrl, logStream }), adapter, {
    bufferLogs: true,
    // Publish keeps the exact text of `data` (see events/raw-json-member.ts).
    rawBody: true,
  });
  app.useLogger(new QuietNestLogger(app.get(PinoLogger)));
  registerJsonBodyParser(app, config);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false, exceptionFactory: validationFailed }));
  app.useGlobalFilters(new DomainErrorFilter());

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    httpRequests.inc({ method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) });
    done();
  });

  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  await servePortal(app, config.portal);
  return app;
}

/**
 * JSON bodies: UTF-8 only, and nothing PostgreSQL would refuse (see common/json-body.ts). The
 * whole body may nest a few levels more than MAX_JSON_DEPTH (the batch wrapper); publish
 * checks `data` itself against the limit.
 */
function registerJsonBodyParser(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  const bodyLimit = config.maxPayloadBytes;
  const depthLimit = config.maxJsonDepth + 3;
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    try {
      checkCharset(request.headers['content-type']);
      if (!isUtf8(body)) throw new JsonBodyError(400, 'body is not valid UTF-8');
      const scan = scanJson(body);
      // Fastify's parser answers through the callback; its return value is nothing to wait for.
      void parseJson(request, body.toString('utf8'), (error, parsed) => {
        if (error) return done(error);
        const problem = scan.hasUnicodeEscapes || scan.maxDepth > depthLimit ? findJsonProblem(parsed, depthLimit, '', scan.hasUnicodeEscapes) : null;
        if (problem) return done(new InvalidInputError(problem.field, problem.message));
        request.jsonScan = scan;
        done(null, parsed);
      });
    } catch (error) {
      done(error as Error);
    }
  });
}

/**
 * The worker role: the delivery worker, plus /health and /metrics on WORKER_PORT when it is
 * set (a separate variable, so `start:api` and `start:worker` on one machine never compete for PORT).
 */
export async function startWorker(config: AppConfig, databaseUrl: string, beforeStart?: () => void): Promise<INestApplicationContext> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, role: 'worker', databaseUrl }), new FastifyAdapter({ frameworkErrors: answerFrameworkError }), { bufferLogs: true });
  app.useLogger(new QuietNestLogger(app.get(PinoLogger)));
  app.useGlobalFilters(new DomainErrorFilter());
  beforeStart?.();
  if (config.workerPort === null) {
    await app.init();
    return app;
  }
  await app.listen(config.workerPort, config.host);
  const url = listeningUrl(app, config.host, config.workerPort);
  new Logger('Main').log({ role: 'worker', url }, `Serving /health, /health/ready and /metrics on ${url}`);
  return app;
}

/** The URL an app listens on (the port it got when asked for port 0). */
export function listeningUrl(app: NestFastifyApplication, host: string, port: number): string {
  const address = app.getHttpServer().address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
}

/**
 * The start-up lines before the app starts (the worker and the address follow): the database
 * (never its password) and, when ALLOW_PRIVATE_TARGETS is on, a warning, since it turns the
 * SSRF protection off in every process that has it.
 */
export function logStartup(config: AppConfig, role: Role, database: ResolvedDatabase): void {
  const logger = new Logger('Main');
  const url = new URL(database.url);
  const where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  const embedded = config.databaseUrl === null;
  logger.log({ role, database: where, embedded }, embedded ? `Database: embedded PostgreSQL at ${where} (data in ${resolve(config.dataDir, 'pg')}), migrations applied` : `Database: PostgreSQL at ${where}, migrations applied`);
  if (config.allowPrivateTargets) {
    logger.warn({ allowPrivateTargets: true }, 'ALLOW_PRIVATE_TARGETS is on: endpoints may point at loopback, private and link-local addresses (the SSRF protection is off). For development and tests only.');
  }
}
