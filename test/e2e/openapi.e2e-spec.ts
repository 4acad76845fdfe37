import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runTour } from '../../examples/tour';
import { ADMIN_TOKEN, startTestApp, TestApp } from '../support/app';
import { TestReceiver } from '../support/receiver';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

/**
 * SPEC §3 described completely: /docs-json passes `redocly lint` (recommended rules, see
 * redocly.yaml), every operation has a summary, its 2xx schema and its errors as ErrorResponse;
 * the committed client types are generated from it, and the README's tour type-checks against them.
 */
describe('the OpenAPI document', () => {
  let app: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, Record<string, unknown>> } };
  let dir: string;
  beforeAll(async () => {
    app = await startTestApp();
    const res = await app.request('GET', '/docs-json', { token: null });
    expect(res.status).toBe(200);
    doc = res.body;
    dir = mkdtempSync(join(tmpdir(), 'whk-openapi-'));
  });
  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, method, op })));

  it('passes redocly lint with no error; the only warnings are the health routes, which have no 4xx', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const cli = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
    const { stdout } = await run(process.execPath, [cli, 'lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file], { cwd: ROOT, maxBuffer: 16 << 20 })
      .catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr }));
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems.filter((p) => p.startsWith('error'))).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(problems.filter((p) => !/^warn operation-4xx-response #\/paths\/~1health(~1ready)?\/get\/responses/.test(p))).toEqual([]);
  }, 60_000);

  it('gives every operation a summary, its 2xx response schema and its 4xx errors as ErrorResponse', () => {
    const missing: string[] = [];
    for (const { name, op } of operations()) {
      if (!op.summary) missing.push(`${name}: no summary`);
      const success = Object.entries(op.responses).filter(([status]) => /^2/.test(status));
      if (success.length === 0) missing.push(`${name}: no 2xx response`);
      for (const [status, response] of success) {
        if (status !== '204' && !Object.values(response.content ?? {}).some((media) => media.schema)) missing.push(`${name}: ${status} has no schema`);
      }
      const errors = Object.entries(op.responses).filter(([status]) => /^4/.test(status));
      if (errors.length === 0 && !name.includes(' /health')) missing.push(`${name}: no 4xx response`);
      for (const [status, response] of errors) {
        if (response.content?.['application/json']?.schema?.$ref !== '#/components/schemas/ErrorResponse') missing.push(`${name}: ${status} is not an ErrorResponse`);
      }
      if (name.startsWith('GET /health') ? op.security?.length !== 0 : !op.responses['401']) missing.push(`${name}: auth not described`);
    }
    expect(missing).toEqual([]);
  });

  it('describes the bearer tokens as opaque, Idempotency-Key once and optional, explain as text/event-stream', () => {
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    expect(doc.components.securitySchemes.bearer).not.toHaveProperty('bearerFormat');
    const publish = doc.paths['/v1/tenants/{tenantId}/events'].post;
    const headers = (publish.parameters ?? []).filter((p) => p.in === 'header');
    expect(headers).toEqual([expect.objectContaining({ name: 'Idempotency-Key', required: false })]);
    const explain = doc.paths['/v1/tenants/{tenantId}/deliveries/{id}/explain'].post;
    expect(Object.keys(explain.responses['200'].content ?? {})).toEqual(['text/event-stream']);
  });

  it('is what the committed client types were generated from (npm run generate:api)', async () => {
    // In a child process: openapi-typescript requires ES modules, which jest's CommonJS runtime cannot load.
    const file = join(dir, 'served.json');
    writeFileSync(file, JSON.stringify(doc));
    const result = await run(process.execPath, ['-r', './test/support/swc-register.js', 'scripts/generate-api.ts', '--check', '--document', file], { cwd: ROOT })
      .then(() => 'up to date', (error: { stderr?: string }) => error.stderr ?? String(error));
    expect(result).toBe('up to date');
  }, 60_000);

  it('types the README\'s tour (examples/tour.ts), which runs against the API', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const flags = ['--noEmit', '--strict', '--target', 'ES2022', '--lib', 'ES2023', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--esModuleInterop', '--skipLibCheck', '--types', 'node'];
    const result = await run(process.execPath, [tsc, ...flags, join(ROOT, 'examples/tour.ts')], { cwd: ROOT })
      .then(() => 'ok', (error: { stdout?: string }) => error.stdout ?? String(error));
    expect(result).toBe('ok');

    const receiver = await new TestReceiver().start();
    try {
      const lines: string[] = [];
      const tour = await runTour({ baseUrl: app.baseUrl, adminToken: ADMIN_TOKEN, receiverUrl: `${receiver.url}/webhooks`, log: (line) => lines.push(line) });
      expect(tour.event.deliveries).toBe(1);
      expect(tour.delivery.attempts.length).toBeGreaterThan(0);
      expect(tour.retried).toMatchObject({ id: tour.delivery.id });
      expect(receiver.forPath('/webhooks').length).toBeGreaterThan(0);
      expect(lines.join('\n')).toContain(tour.delivery.id);
    } finally {
      await receiver.stop();
    }
  }, 60_000);
});
