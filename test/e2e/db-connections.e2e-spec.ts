import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { Db } from '../../src/database/db';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * A connection that dies while a transaction holds it (a database restart, an operator's
 * pg_terminate_backend) fails that transaction alone: its 'error' event is heard (unheard, it
 * would crash the process), and the connection is closed, not handed to the next caller.
 */
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  // one connection: the next caller would get the dead one if it were reused
  pool = new Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => undefined);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** Kills the backend of the connection `pid` names from another connection, and gives the client time to notice. */
async function kill(pid: number): Promise<void> {
  await db.pool.query('select pg_terminate_backend($1)', [pid]);
  await sleep(200);
}

it.each([
  ['transaction', (d: Db, fn: () => Promise<void>) => d.transaction(async (client) => {
    await kill((await client.query('select pg_backend_pid() as pid')).rows[0].pid);
    await fn();
    await client.query('select 1');
  })],
  ['queueReads', (d: Db, fn: () => Promise<void>) => d.queueReads(async (read) => {
    const [{ pid }] = await read<{ pid: number }>('db_connections_pid', 'select pg_backend_pid() as pid', []);
    await kill(pid);
    await fn();
    await read('db_connections_after', 'select 1', []);
  })],
])('%s: a connection killed mid-way fails that call only, and the next call gets a new one', async (_name, run) => {
  const d = new Db(pool);
  let reached = false;
  await expect(run(d, async () => {
    reached = true;
  })).rejects.toThrow(/terminat|Connection/i);
  expect(reached).toBe(true);
  expect(await d.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
  expect(pool.totalCount).toBe(1);
});
