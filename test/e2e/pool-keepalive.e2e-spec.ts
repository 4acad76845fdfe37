import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { Db } from '../../src/database/db';
import { WorkerService } from '../../src/worker/worker.service';
import { startTestApp, type TestApp } from '../support/app';

/**
 * Every connection the service holds to the database keeps TCP keepalive on (POOL_SOCKET_OPTIONS):
 * the API's pool and the worker's, graphile-worker's LISTEN connection among them. Seen from the
 * kernel: an idle established socket with keepalive has its keepalive timer pending ("tr" 02 in
 * /proc/net/tcp); without, no timer (00).
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** The local ports of a pool's open connections (pg keeps its clients in `_clients`). */
function localPorts(pool: Pool): number[] {
  const clients = (pool as unknown as { _clients: Array<{ connection: { stream: { localPort?: number } } }> })._clients;
  return clients.map((c) => c.connection.stream.localPort).filter((p): p is number => typeof p === 'number');
}

/** The kernel's timer state of each TCP socket by local port: '02' is the keepalive timer. */
function timersByLocalPort(): Map<number, string> {
  const out = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const port = parseInt(f[1].split(':').pop()!, 16);
      if (f[3] === '01') out.set(port, f[5].split(':')[0]); // established only
    }
  }
  return out;
}

it("the API's and the worker's database connections keep TCP keepalive on", async () => {
  const apiPool = app.app.get(Db).pool;
  const workerPool = (app.app.get(WorkerService) as unknown as { pool: Pool }).pool;
  // at least one idle connection in each pool
  await apiPool.query('select 1');
  await workerPool.query('select 1');
  await new Promise((r) => setTimeout(r, 200));
  const ports = [...localPorts(apiPool), ...localPorts(workerPool)];
  expect(localPorts(apiPool).length).toBeGreaterThan(0);
  expect(localPorts(workerPool).length).toBeGreaterThan(0);
  const timers = timersByLocalPort();
  // a socket mid-retransmission shows '01' for a moment: only the settled ones are judged
  const states = ports.map((p) => timers.get(p)).filter((t) => t !== undefined && t !== '01');
  expect(states.length).toBeGreaterThan(0);
  expect(states.filter((t) => t !== '02')).toEqual([]);
});
