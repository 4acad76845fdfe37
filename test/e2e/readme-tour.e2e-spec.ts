import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/app';

const README = resolve(__dirname, '../../README.md');
const hasJq = spawnSync('sh', ['-c', 'command -v jq']).status === 0;

/**
 * The README's tour runs as pasted: its shell blocks, from the quick start to the end of "The
 * API in brief", run in order in one bash (`set -euo pipefail`, every curl failing on an HTTP
 * error) against a real service. Only the service's address and the receiver's port are
 * changed, so a variable used before it is set, a step that fails or an endpoint the service
 * refuses fails this test. (`npm ci`, `npm start` and `npm run demo` are left out: the demo
 * has its own test.)
 */
describe('the README tour', () => {
  let app: TestApp;
  let cwd: string;
  beforeAll(async () => {
    app = await startTestApp();
    cwd = mkdtempSync(join(tmpdir(), 'whk-tour-'));
    mkdirSync(join(cwd, '.data'));
    writeFileSync(join(cwd, '.data', 'admin-token'), `${ADMIN_TOKEN}\n`);
  });
  afterAll(async () => {
    await app?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('runs as pasted and delivers to its receiver', async () => {
    // never skipped: the README lists jq as a prerequisite, and .ci/run installs it
    if (!hasJq) throw new Error('jq is not installed: the README tour needs it (apt-get install -y jq)');
    const blocks = tourBlocks(readFileSync(README, 'utf8'));
    const tour = blocks.join('\n');
    expect(tour).toContain('export ADMIN_TOKEN="$(cat .data/admin-token)"');
    expect(tour).toContain('http://127.0.0.1:3000');
    expect(tour).toContain('"url": "http://127.0.0.1:8080/webhooks"');
    for (const variable of ['TENANT', 'KEY', 'EP', 'EVENT_ID', 'DELIVERY_ID', 'RECEIVER_PID']) expect(tour).toMatch(new RegExp(`^${variable}=`, 'm'));
    expect(tour).not.toMatch(/example\.com/);

    const port = await freePort();
    const script = [
      // every curl of the tour fails the script on an HTTP error
      'curl() { command curl --fail-with-body "$@"; }',
      tour.replaceAll('http://127.0.0.1:3000', app.baseUrl).replaceAll('8080', String(port)),
      // what a reader sees a moment later: the receiver got the event, and the log says so
      'for _ in $(seq 200); do',
      '  [ "$(curl -s $BASE/v1/tenants/$TENANT/deliveries/$DELIVERY_ID -H "$TENANT_AUTH" | jq -r .status)" = succeeded ] && break',
      '  sleep 0.05',
      'done',
      'echo',
      'echo "TOUR EVENT $EVENT_ID STATUS $(curl -s $BASE/v1/tenants/$TENANT/deliveries/$DELIVERY_ID -H "$TENANT_AUTH" | jq -r .status)"',
      'sleep 0.2',
      'kill $RECEIVER_PID',
    ].join('\n');
    const result = await runBash(script, cwd);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = /TOUR EVENT (evt_\w+) STATUS (\w+)/.exec(result.stdout);
    expect(summary?.[2]).toBe('succeeded');
    expect(result.stdout).toContain(`received ${summary![1]} {"id":"${summary![1]}","type":"invoice.paid"`);
    expect(result.stdout).toContain('"status":"ok"');
    expect(result.stdout).toMatch(/"secret":"whsec_/);
  }, 60_000);
});

/** The ```sh blocks from "## Quick start" to "## What a receiver gets", without the npm commands. */
function tourBlocks(readme: string): string[] {
  const start = readme.indexOf('\n## Quick start\n');
  const end = readme.indexOf('\n## What a receiver gets\n');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const blocks = [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const npm = blocks.filter((b) => /^npm /m.test(b));
  expect(npm.join('')).toMatch(/npm start[\s\S]*npm run demo/);
  return blocks.filter((b) => !/^npm /m.test(b));
}

function runBash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const proc = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      // the receiver's `node -e` is this Node
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 45_000);
    let code: number | null = null;
    proc.on('exit', (exitCode) => {
      code = exitCode;
      clearTimeout(timer);
      // the receiver, if the script stopped before killing it (it holds stdout open)
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    });
    proc.on('close', () => resolvePromise({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}
