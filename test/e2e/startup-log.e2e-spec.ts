import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN } from '../support/app';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { waitFor } from '../support/wait';
import { type ServiceProcess, spawnService } from '../support/service-process';

type Started = ServiceProcess;

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  [field: string]: unknown;
}

/**
 * A calm start: at LOG_LEVEL=info the real entry point (src/main.ts, in a child process) prints a
 * handful of JSON lines (the database, the worker, the address and the docs), none of Nest's
 * per-module and per-route lines, and one warning when ALLOW_PRIVATE_TARGETS is on. A 503 is
 * logged as a warning, not an error.
 */
describe('start-up log', () => {
  let db: TestDatabase;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'whk-startup-'));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function start(args: string[], env: Record<string, string>): Started {
    const started = spawnService(args, { ...withoutConfig(process.env), DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env });
    children.push(started.proc);
    return started;
  }


  /** The lines up to the last start-up line (`last`), and a moment more for anything trailing. */
  async function startUp(started: Started, last: (line: LogLine) => boolean): Promise<LogLine[]> {
    await waitFor(() => started.lines.some((l) => isJson(l) && last(JSON.parse(l))), 30_000, `the last start-up line (stdout: ${started.lines.join('\n')}; stderr: ${started.stderr()})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const line of started.lines) expect({ line, json: isJson(line) }).toEqual({ line, json: true });
    return started.lines.map((l) => JSON.parse(l) as LogLine);
  }

  async function stop(started: Started): Promise<void> {
    started.proc.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    expect(started.stderr()).toBe('');
    for (const line of started.lines) expect({ line, json: isJson(line) }).toEqual({ line, json: true });
  }

  function expectNoFrameworkChatter(lines: LogLine[]): void {
    expect(lines.length).toBeLessThan(10);
    for (const line of lines) {
      expect(['RouterExplorer', 'RoutesResolver', 'InstanceLoader', 'NestFactory', 'NestApplication']).not.toContain(line.context);
      expect(line.msg).not.toMatch(/Mapped \{|dependencies initialized|Nest application/);
    }
  }

  it('prints a few JSON lines (the admin token once, the database, the worker, the address and the docs) and answers a 503 with a warning', async () => {
    const app = start([], {});
    const lines = await startUp(app, (l) => /^Listening on /.test(l.msg));
    expectNoFrameworkChatter(lines);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Generated the admin token, kept in .*admin-token and shown only this once: whadm_/),
      expect.stringMatching(/^Database: PostgreSQL at 127\.0\.0\.1:\d+\/whk_test_\w+, migrations applied$/),
      'delivery worker started',
      expect.stringMatching(/^Listening on http:\/\/127\.0\.0\.1:\d+ \(OpenAPI UI at http:\/\/127\.0\.0\.1:\d+\/docs\)$/),
    ]);
    const listening = lines[3];
    expect(listening).toMatchObject({ level: 30, role: 'all', url: expect.stringMatching(/^http:/), docs: `${listening.url as string}/docs` });
    expect(lines[1]).toMatchObject({ embedded: false });
    // the database line never carries the password
    expect(JSON.stringify(lines[1])).not.toContain(new URL(db.url).password || 'no-password-in-url');

    // a publish while the database refuses connections answers 503, logged at warn (40), not error (50)
    const base = listening.url as string;
    const token = lines[0].adminToken as string;
    const tenant = await (await fetch(`${base}/v1/tenants`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'startup' }) })).json() as { id: string };
    const dbName = new URL(db.url).pathname.slice(1);
    await adminQuery(`alter database ${dbName} allow_connections false`);
    await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${dbName}' and pid <> pg_backend_pid()`);
    try {
      await waitFor(async () => {
        const res = await fetch(`${base}/v1/tenants/${tenant.id}/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'a.b', data: {} }) });
        return res.status === 503;
      }, 15_000, 'a 503');
      const logged = await waitFor(() => app.lines.map((l) => JSON.parse(l) as LogLine).find((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 503), 5_000, 'the 503 request line');
      expect(logged.level).toBe(40);
    } finally {
      await adminQuery(`alter database ${dbName} allow_connections true`);
    }
    await stop(app);
  }, 90_000);

  it('warns once when ALLOW_PRIVATE_TARGETS is on, in the API and in a worker-only process', async () => {
    const api = start(['api'], { ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true' });
    const apiLines = await startUp(api, (l) => /^Listening on /.test(l.msg));
    expectNoFrameworkChatter(apiLines);
    expect(apiLines.filter((l) => l.level >= 40)).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^ALLOW_PRIVATE_TARGETS is on: .*SSRF protection is off/) }),
    ]);
    expect(apiLines.map((l) => l.msg)).not.toContain('delivery worker started');
    expect(apiLines.find((l) => /^Listening on /.test(l.msg))).toMatchObject({ role: 'api' });

    const worker = start(['worker'], { ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true', WORKER_PORT: '0' });
    const workerLines = await startUp(worker, (l) => /^Serving \/health/.test(l.msg));
    expectNoFrameworkChatter(workerLines);
    expect(workerLines.filter((l) => l.level >= 40)).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^ALLOW_PRIVATE_TARGETS is on: /) }),
    ]);
    expect(workerLines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Database: /),
      expect.stringMatching(/^ALLOW_PRIVATE_TARGETS is on: /),
      'delivery worker started',
      expect.stringMatching(/^Serving \/health, \/health\/ready and \/metrics on http:\/\/127\.0\.0\.1:\d+$/),
    ]);
    await Promise.all([stop(api), stop(worker)]);
  }, 90_000);
});

function isJson(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** The test run's environment without the service's own settings, so only what a test sets applies. */
function withoutConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of ['ADMIN_TOKEN', 'ALLOW_PRIVATE_TARGETS', 'WORKER_PORT', 'HOST', 'LOG_LEVEL', 'LLM_PROVIDERS']) delete copy[name];
  return copy;
}
