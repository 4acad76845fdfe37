import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedServer, startEmbeddedPostgres } from './embedded-postgres';

/** The zero-configuration database could not be used; the message says what is in the way and the fix. */
export class LocalDatabaseError extends Error {}

export interface LocalDatabase {
  url: string;
  /** Set when this process started the server (and so stops it); null when it shares one already running. */
  embedded: EmbeddedServer | null;
}

const DATABASE = 'webhooks';

/**
 * The embedded PostgreSQL of DATA_DIR: its cluster lives in DATA_DIR/pg and listens on a port
 * of its own, chosen free on first start and remembered in DATA_DIR/pg-port, so two instances
 * with different DATA_DIRs never meet. A server already running for this DATA_DIR (say
 * `start:api` beside `start:worker`) is shared. Before any use, the server reached must say
 * that its data directory is this one; anything else stops start-up with a message.
 */
export async function useLocalDatabase(dataDir: string): Promise<LocalDatabase> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'pg');
  mkdirSync(root, { recursive: true });
  if (process.getuid?.() === 0) assertPostgresUserCanEnter(clusterDir);

  const running = runningClusterPort(clusterDir);
  if (running !== null) {
    const url = urlFor(running);
    await expectCluster(url, clusterDir, `the server running for ${clusterDir} (postmaster.pid, port ${running})`);
    return { url, embedded: null };
  }

  const port = await rememberedOrFreePort(root);
  const url = urlFor(port);
  const seen = await probe(url);
  if (seen.kind !== 'nothing') {
    // Our cluster is not running (no live postmaster.pid), so whatever answers there is not ours.
    throw new LocalDatabaseError(
      `Port ${port} (remembered in ${join(root, 'pg-port')}) is taken by ${describe(seen)}, not by the embedded database of ${root}. ` +
      `Stop that program, or delete ${join(root, 'pg-port')} so a free port is chosen, or set DATABASE_URL.`);
  }
  try {
    const embedded = await startEmbeddedPostgres({ dir: clusterDir, port, persistent: true, database: DATABASE });
    await expectCluster(embedded.url, clusterDir, `the server started for ${clusterDir}`);
    return { url: embedded.url, embedded };
  } catch (error) {
    if (error instanceof LocalDatabaseError) throw error;
    // Started by another process of ours at the same moment: share it.
    const now = runningClusterPort(clusterDir);
    if (now !== null) {
      await expectCluster(urlFor(now), clusterDir, `the server running for ${clusterDir}`);
      return { url: urlFor(now), embedded: null };
    }
    const detail = error instanceof Error ? error.message.split('\n', 1)[0].slice(0, 300) : 'it exited at start';
    throw new LocalDatabaseError(`The embedded PostgreSQL in ${clusterDir} did not start on port ${port}: ${detail}`);
  }
}

function urlFor(port: number): string {
  return `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE}`;
}

/** The port in DATA_DIR/pg/postmaster.pid when its postmaster is alive, else null. */
function runningClusterPort(clusterDir: string): number | null {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch (error) {
    // EPERM: alive, owned by the postgres user
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? port : null;
  }
}

async function rememberedOrFreePort(root: string): Promise<number> {
  const file = join(root, 'pg-port');
  if (existsSync(file)) {
    const port = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
  }
  const port = await freePort();
  writeFileSync(file, `${port}\n`);
  return port;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

type Seen = { kind: 'nothing' } | { kind: 'postgres'; dataDirectory: string | null } | { kind: 'other'; detail: string };

/** What answers at `url`: nothing, a PostgreSQL (and its data directory, when our credentials work), or another program. */
async function probe(url: string): Promise<Seen> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return { kind: 'postgres', dataDirectory: rows[0]?.data_directory ?? null };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED') return { kind: 'nothing' };
    // SQLSTATEs are five characters: a PostgreSQL answered, but not to us (other password, no such database).
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { kind: 'postgres', dataDirectory: null };
    return { kind: 'other', detail: error instanceof Error ? error.message.slice(0, 120) : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describe(seen: Seen): string {
  if (seen.kind === 'postgres') return seen.dataDirectory ? `a PostgreSQL serving ${seen.dataDirectory}` : 'a PostgreSQL that is not this one';
  if (seen.kind === 'other') return `another program (${seen.detail})`;
  return 'nothing';
}

async function expectCluster(url: string, clusterDir: string, what: string): Promise<void> {
  const seen = await probe(url);
  const expected = realpathSync(clusterDir);
  if (seen.kind === 'postgres' && seen.dataDirectory !== null && sameDirectory(seen.dataDirectory, expected)) return;
  throw new LocalDatabaseError(`Expected ${what} to serve ${expected}, but it answers as ${describe(seen)}. Stop it, or set DATABASE_URL.`);
}

function sameDirectory(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * As root, embedded-postgres runs initdb and the server as the `postgres` user, which must be
 * able to enter every directory down to the cluster (a clone under /root, mode 700, fails
 * with a bare EACCES otherwise). Checked by the permission bits before anything runs.
 */
export function assertPostgresUserCanEnter(clusterDir: string): void {
  const ids = postgresIds();
  let dir = dirname(clusterDir);
  const blocked: string[] = [];
  for (;;) {
    const stat = statSync(dir);
    const canEnter = ids !== null && stat.uid === ids.uid ? (stat.mode & 0o100) !== 0
      : ids !== null && stat.gid === ids.gid ? (stat.mode & 0o010) !== 0
      : (stat.mode & 0o001) !== 0;
    if (!canEnter) blocked.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (blocked.length === 0) return;
  const top = blocked[blocked.length - 1];
  throw new LocalDatabaseError(
    `The embedded PostgreSQL runs as the "postgres" user (it refuses to run as root), and that user cannot enter ${top}. ` +
    `Set DATA_DIR to a directory it can reach (for example DATA_DIR=/var/lib/webhooks), or allow it in with ` +
    `\`chmod o+x ${blocked.join(' ')}\`, or set DATABASE_URL to a PostgreSQL of your own.`);
}

function postgresIds(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}
