import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../src/config/config';

/**
 * docker-compose.yml, the Dockerfile and the README against the config the service really
 * reads (src/config/config.ts): no variable the service would ignore, no value it would refuse.
 */

const ROOT = join(__dirname, '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Values for `${VAR:?message}` (required) references; compose refuses to start without them. */
const REQUIRED_VALUES: Record<string, string> = { ADMIN_TOKEN: 'compose-test-admin-token-0123456789' };

/**
 * Compose interpolation as `docker compose config` does it with an empty shell environment:
 * `${VAR:-default}` / `${VAR-default}` give the default, `${VAR:?err}` / `${VAR?err}` need a
 * value (taken from REQUIRED_VALUES), `${VAR}` / `$VAR` are empty, `$$` is a literal `$`.
 */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, op?: string, arg?: string) => {
      if (match === '$$') return '$';
      if (name === undefined) return ''; // bare $VAR
      if (op === ':-' || op === '-') return arg ?? '';
      if (op === ':?' || op === '?') {
        const value = REQUIRED_VALUES[name];
        if (value === undefined) throw new Error(`compose requires ${name} (${arg}); add a test value for it`);
        return value;
      }
      return '';
    });
}

type ServiceEnv = Record<string, string>;

/** `environment:` as a map or as a list of KEY=VALUE, interpolated. */
function environmentOf(service: Record<string, unknown>): ServiceEnv {
  const raw = service.environment ?? {};
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((item: string) => {
      const at = item.indexOf('=');
      return at === -1 ? [item, ''] : [item.slice(0, at), item.slice(at + 1)];
    })
    : Object.entries(raw as Record<string, unknown>);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value === null ? '' : String(value))]));
}

function commandOf(service: Record<string, unknown>): string[] {
  const { command } = service;
  if (Array.isArray(command)) return command.map(String);
  if (typeof command === 'string') return command.trim().split(/\s+/);
  return [];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Record<string, unknown>> };
  const services = compose.services;
  const appServices = ['api', 'worker'] as const;
  const known = new Set<string>(CONFIG_VARIABLES);

  it('defines postgres, api and worker', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'api', 'worker']));
  });

  it.each(appServices)('%s sets only variables the config knows', (name) => {
    const env = environmentOf(services[name]);
    expect(Object.keys(env).length).toBeGreaterThan(0);
    expect(Object.keys(env).filter((key) => !known.has(key))).toEqual([]);
  });

  it('api and worker run the right roles from the same build', () => {
    expect(commandOf(services.api)).toEqual(['node', 'dist/src/main.js', 'api']);
    expect(commandOf(services.worker)).toEqual(['node', 'dist/src/main.js', 'worker']);
    for (const name of appServices) {
      const build = services[name].build as string | { context?: string } | undefined;
      expect(typeof build === 'string' ? build : build?.context).toBe('.');
    }
    expect(services.api.image).toBe(services.worker.image);
  });

  it.each(appServices)('%s reaches the postgres service and waits for it to be healthy', (name) => {
    const postgresEnv = environmentOf(services.postgres);
    const url = new URL(environmentOf(services[name]).DATABASE_URL);
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(url.hostname).toBe('postgres');
    expect(url.port === '' || url.port === '5432').toBe(true);
    expect(decodeURIComponent(url.username)).toBe(postgresEnv.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgresEnv.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    expect(services[name].depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('postgres has a pg_isready health check and a volume', () => {
    const test = services.postgres.healthcheck as { test: string[] | string };
    expect(JSON.stringify(test.test)).toContain('pg_isready');
    expect(services.postgres.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/:\/var\/lib\/postgresql\/data$/)]));
    expect(String(services.postgres.image)).toMatch(/^postgres:1[3-9]/);
  });

  it.each(appServices)('loadConfig accepts the environment %s gets', (name) => {
    expect(() => loadConfig(environmentOf(services[name]))).not.toThrow();
  });

  it('the api listens on all interfaces on the published port, with a fixed admin token', () => {
    const config = loadConfig(environmentOf(services.api));
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).not.toBeNull();
    expect(config.adminToken).toBe(REQUIRED_VALUES.ADMIN_TOKEN);
    const ports = (services.api.ports as string[]).map(String);
    expect(ports.some((p) => p.endsWith(`:${config.port}`))).toBe(true);
  });

  it('the worker scales out, publishes no port, and keeps the image health check (it serves /health)', () => {
    const worker = services.worker as { deploy?: { replicas?: number }; ports?: unknown; healthcheck?: { disable?: boolean } };
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.ports).toBeUndefined();
    expect(worker.healthcheck?.disable).toBeUndefined();
    const config = loadConfig(environmentOf(services.worker));
    expect(config.databaseUrl).not.toBeNull();
    expect(config.adminToken).toBe(REQUIRED_VALUES.ADMIN_TOKEN);
  });

  it('gives the API and the workers the same LLM cascade', () => {
    expect(environmentOf(services.api).LLM_PROVIDERS).toBe(environmentOf(services.worker).LLM_PROVIDERS);
  });

  // A variable set in the shell or .env that a role does not get is silently ignored there: a
  // RETENTION_DAYS seen by the workers only would have the API make partitions of another span.
  const perRole = new Set<string>(['HOST', 'PORT', 'WORKER_PORT', 'DATA_DIR']);
  const shared = CONFIG_VARIABLES.filter((v) => !perRole.has(v));
  it.each(appServices)('%s gets every variable a user may set, with the same value as the other role', (name) => {
    const env = environmentOf(services[name]);
    const other = environmentOf(services[name === 'api' ? 'worker' : 'api']);
    expect(shared.filter((v) => !(v in env))).toEqual([]);
    expect(shared.filter((v) => env[v] !== other[v])).toEqual([]);
  });

  it('takes each of them from the shell or .env', () => {
    const text = read('docker-compose.yml');
    const notPassed = shared.filter((v) => v !== 'DATABASE_URL' && !new RegExp(`^\\s+${v}: \\$\\{${v}:?[-?]`, 'm').test(text));
    expect(notPassed).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds on node 20 slim in stages and runs the compiled service as a non-root user', () => {
    expect(dockerfile).toMatch(/node:20-bookworm-slim/);
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/health'/);
  });

  it('keeps local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.git']));
  });
});

describe('README.md', () => {
  const readme = read('README.md');
  const tableRows = readme.split('\n').filter((line) => line.trimStart().startsWith('|'));

  it.each([...CONFIG_VARIABLES])('lists %s in the environment table', (name) => {
    expect(tableRows.some((row) => row.includes(`\`${name}\``))).toBe(true);
  });

  it('keeps the sections other work fills in', () => {
    expect(readme).toMatch(/^## LLM summaries$/m);
    expect(readme).toMatch(/^## Performance$/m);
  });
});
