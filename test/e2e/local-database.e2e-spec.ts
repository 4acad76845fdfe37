import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { assertPostgresUserCanEnter, LocalDatabaseError } from '../../src/database/local-database';

/** SPEC §1: with no DATABASE_URL each DATA_DIR has an embedded PostgreSQL of its own. */
describe('the zero-configuration database', () => {
  it('gives each DATA_DIR its own server and port, shares a running one, and refuses a foreign one', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      resolve(__dirname, '../support/child-run.js'), resolve(__dirname, '../support/local-database-scenario.ts'), 'run',
    ], { timeout: 90_000 });
    const r = JSON.parse(stdout.split('\nRESULT ').pop()!) as Record<string, string | boolean>;
    expect(r.aStarted).toBe(true);
    expect(r.bStarted).toBe(true);
    expect(r.aUrl).not.toBe(r.bUrl);
    expect(r.aDataDirectory).toBe(join(r.dirA as string, 'pg'));
    expect(r.bDataDirectory).toBe(join(r.dirB as string, 'pg'));
    expect(r.aUrl).toContain(`:${r.aRememberedPort}/`);
    // a second process of instance A (say start:worker beside start:api) shares A's server
    expect(r.sharedUrl).toBe(r.aUrl);
    expect(r.sharedStarted).toBe(false);
    // A's remembered port now answers as B's server: A stops with a message instead of using B's data
    expect(r.takenPort).toMatch(/^LocalDatabaseError: /);
    expect(r.takenPort).toContain(`Port ${r.portOfB}`);
    expect(r.takenPort).toContain(`taken by a PostgreSQL serving ${join(r.dirB as string, 'pg')}`);
    expect(r.restartedDataDirectory).toBe(join(r.dirA as string, 'pg'));
  }, 100_000);

  it('names the directory and the fix when the postgres user cannot enter it', () => {
    const root = mkdtempSync(join(tmpdir(), 'whk-locked-'));
    const locked = join(root, 'locked');
    mkdirSync(join(locked, 'inside'), { recursive: true });
    chmodSync(root, 0o755);
    chmodSync(locked, 0o700);
    try {
      expect(() => assertPostgresUserCanEnter(join(locked, 'inside', 'pg'))).toThrow(LocalDatabaseError);
      expect(() => assertPostgresUserCanEnter(join(locked, 'inside', 'pg'))).toThrow(new RegExp(`cannot enter ${locked}\\..*DATA_DIR=.*chmod o\\+x ${locked}`));
      chmodSync(locked, 0o755);
      expect(() => assertPostgresUserCanEnter(join(locked, 'inside', 'pg'))).not.toThrow();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
