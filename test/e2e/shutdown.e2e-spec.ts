import type { ChildProcess } from 'node:child_process';
import { ADMIN_TOKEN } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { waitFor } from '../support/wait';
import { spawnService } from '../support/service-process';

interface Started {
  proc: ChildProcess;
  baseUrl: string;
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * SPEC §6: on SIGTERM or SIGINT in-flight attempts finish, nothing is left locked, the exit
 * code is 0, and nothing is logged at error level. The real entry point (src/main.ts) runs in
 * a child process.
 */
describe('clean shutdown', () => {
  let db: TestDatabase;
  let receiver: TestReceiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await new TestReceiver().start();
    receiver.respondWith((_req, res) => {
      setTimeout(() => res.writeHead(200).end('ok'), 400);
    });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await receiver?.stop();
    await db?.drop();
  });

  async function start(): Promise<Started> {
    const { proc, lines, stderr, exited } = spawnService([], {
      ...process.env, DATABASE_URL: db.url, ADMIN_TOKEN, ALLOW_PRIVATE_TARGETS: 'true', PORT: '0', LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '8', RETRY_JITTER: '0',
    });
    children.push(proc);
    const listening = await waitFor(() => lines.map((l) => /"url":"(http:[^"]+)"/.exec(l)?.[1]).find(Boolean), 30_000, `the listening line (stderr: ${stderr()})`);
    return { proc, baseUrl: listening!, lines, stderr, exited };
  }

  async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  }

  const levelOf = (line: string) => Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s lets in-flight attempts finish, unlocks nothing it leaves behind, and exits 0', async (signal) => {
    const app = await start();
    const tenant = await api(app.baseUrl, 'POST', '/v1/tenants', { name: 'shutdown' });
    await api(app.baseUrl, 'POST', `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiver.url}/${signal}` });
    const events = await Promise.all(Array.from({ length: 12 }, (_, i) => api(app.baseUrl, 'POST', `/v1/tenants/${tenant.id}/events`, { type: 'a.b', data: { i } })));
    await waitFor(() => receiver.forPath(`/${signal}`).length >= 4, 10_000, 'attempts in flight');

    app.proc.kill(signal);
    expect(await app.exited).toBe(0);
    expect(app.lines.filter((l) => levelOf(l) >= 50)).toEqual([]);
    expect(app.stderr()).toBe('');

    // every attempt that was sent was recorded, and nothing is locked
    const sent = new Set(receiver.forPath(`/${signal}`).map((r) => r.headers['webhook-id']));
    const recorded = await db.pool.query<{ event_id: string }>(
      `select distinct d.event_id from deliveries d join attempts a on a.delivery_id = d.id where d.event_id = any($1::text[])`,
      [events.map((e) => e.id)]);
    expect(new Set(recorded.rows.map((r) => r.event_id))).toEqual(sent);
    const locked = await db.pool.query(`select id from graphile_worker._private_jobs where locked_at is not null`);
    expect(locked.rows).toEqual([]);
    expect((await db.pool.query(`select * from worker_heartbeats`)).rows).toEqual([]);

    // the next start finds nothing to unlock, and delivers the rest
    const next = await start();
    await waitFor(() => events.every((e) => receiver.forPath(`/${signal}`).some((r) => r.headers['webhook-id'] === e.id)), 15_000, 'the rest delivered');
    next.proc.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    expect(next.lines.filter((l) => /unlocked the jobs/.test(l))).toEqual([]);
    expect(next.lines.filter((l) => levelOf(l) >= 50)).toEqual([]);
  }, 90_000);
});
