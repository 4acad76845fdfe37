/**
 * Raw limit (b): graphile-worker no-op jobs/s on its own database, with the runner settings
 * src/worker/worker.service.ts uses (concurrency, localQueue, batched completion, pool size).
 * Run as a child process so it has a process of its own, like the service's worker.
 * Env: NOOP_DATABASE_URL, NOOP_JOBS. Prints one JSON line and sends it over IPC.
 */
import { Logger as WorkerLogger, run, runMigrations } from 'graphile-worker';
import { Pool } from 'pg';
import { loadConfig } from '../src/config/config';

async function main(): Promise<void> {
  const url = process.env.NOOP_DATABASE_URL;
  const jobs = Number(process.env.NOOP_JOBS ?? '20000');
  if (!url) throw new Error('NOOP_DATABASE_URL is not set');
  const config = loadConfig(process.env);
  const concurrency = config.workerConcurrency;
  const logger = new WorkerLogger(() => () => undefined);

  await runMigrations({ connectionString: url, logger });
  const pool = new Pool({ connectionString: url, max: 12 });
  pool.on('error', () => undefined);
  await pool.query(
    `select graphile_worker.add_jobs(array(
       select row('noop', json_build_object('i', g), null, null, null, null, null, null)::graphile_worker.job_spec
         from generate_series(1, $1::int) g))`,
    [jobs],
  );

  let done = 0;
  let firstStart = 0;
  let lastEnd = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const runner = await run({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    preset: {
      worker: {
        localQueue: { size: Math.max(concurrency * 2, 16), ttl: Math.min(config.workerDeadAfterMs, 60_000) },
        completeJobBatchDelay: 1,
        failJobBatchDelay: 1,
        gracefulShutdownAbortTimeout: 5_000,
      },
    },
    taskList: {
      noop: async () => {
        if (firstStart === 0) firstStart = Date.now();
        done++;
        if (done === jobs) {
          lastEnd = Date.now();
          finish();
        }
      },
    },
  });
  const timeout = setTimeout(() => finish(), 120_000);
  await finished;
  clearTimeout(timeout);
  await runner.stop();
  const left = await pool.query<{ n: number }>(`select count(*)::int as n from graphile_worker._private_jobs`);
  await pool.end();
  const ms = (lastEnd || Date.now()) - firstStart;
  const result = { jobs, completed: done, leftInQueue: left.rows[0].n, ms, jobsPerSec: ms > 0 ? Math.round((done * 1000) / ms) : 0, concurrency };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (process.send) process.send(result);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`noop worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
