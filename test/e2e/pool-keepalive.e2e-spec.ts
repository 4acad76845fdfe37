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

/** The local and remote ports of a pool's open connections (pg keeps its clients in `_clients`). */
function socketsOf(pool: Pool): string[] {
  const clients = (pool as unknown as { _clients: Array<{ connection: { stream: { localPort?: number; remotePort?: number } } }> })._clients;
  return clients.map((c) => c.connection.stream).filter((st) => st.localPort !== undefined).map((st) => `${st.localPort}>${st.remotePort}`);
}

/** The kernel's timer state of each established TCP socket by "local port>remote port": '02' is the keepalive timer. */
function timersBySocket(): Map<string, string> {
  const out = new Map<string, string>();
  const port = (address: string) => parseInt(address.split(':').pop()!, 16);
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '01') out.set(`${port(f[1])}>${port(f[2])}`, f[5].split(':')[0]);
    }
  }
  return out;
}

it("the API's and the worker's database connections keep TCP keepalive on", async () => {
  const pools = { api: app.app.get(Db).pool, worker: (app.app.get(WorkerService) as unknown as { pool: Pool }).pool };
  // at least one idle connection in each pool
  for (const pool of Object.values(pools)) await pool.query('select 1');
  await new Promise((r) => setTimeout(r, 200));
  const timers = timersBySocket();
  for (const [name, pool] of Object.entries(pools)) {
    const sockets = socketsOf(pool);
    expect({ name, open: sockets.length > 0 }).toEqual({ name, open: true });
    // a socket caught mid-send shows '01' (retransmit timer) for a moment: only settled ones are judged
    const states = sockets.map((k) => timers.get(k)).filter((t) => t !== undefined && t !== '01');
    expect({ name, judged: states.length > 0, withoutKeepalive: states.filter((t) => t !== '02') }).toEqual({ name, judged: true, withoutKeepalive: [] });
  }
});
