/**
 * `npm run bench [-- --quick] [-- --profile=api|worker|api,worker] [-- --scale[=1e7]]`
 *
 * Starts a database (DATABASE_URL or a throw-away embedded PostgreSQL), a receiver in its own
 * process, the service as `node dist/src/main.js api` + `... worker`, and measures in one run:
 * the raw limits (HTTP POSTs to the receiver, graphile-worker no-op jobs), then 1 -> 1,
 * 1 -> 10 fan-out and a steady-rate latency scenario. Prints a table and writes
 * bench/results/latest.json. `--scale` instead grows one tenant's delivery log (bench/lib/scale.ts)
 * and writes bench/results/scale-latest.json. Every child and the embedded database are stopped at the end,
 * on errors and on SIGINT/SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import { loadConfig } from '../src/config/config';
import { migrateDatabase } from '../src/database/migrate';
import type { BucketStats, ReceiverRequest } from './receiver';
import { ChildSet, CpuMeter, ManagedChild, RssSampler, cpuBusyShare, findPostmaster, tail } from './lib/children';
import { BenchDatabase, createDatabase, dropDatabase, freePort, sql, startDatabase } from './lib/database';
import { PublishOutcome, Publisher, eventBody, rawHttp } from './lib/load';
import { formatProfile, summariseProfile } from './lib/profile';
import { analyseEmptyQueues, seedExpiredDay, seedFailedDeliveries, seedQueuedBacklog } from './lib/recover-scenario';
import { ScaleOptions, formatScale, runScale } from './lib/scale';
import { rate, round, summarise } from './lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const RESULTS = join(ROOT, 'bench', 'results');

interface Mode {
  name: 'full' | 'quick' | 'scale';
  warmupEvents: number;
  rawWarmupMs: number;
  rawMs: number;
  noopJobs: number;
  oneToOneEvents: number;
  fanOutEvents: number;
  fanOutEndpoints: number;
  steadySeconds: number;
  /** Noisy neighbours: seconds the quiet tenant publishes at 10 events/s, the hanging flood, the backlog. */
  quietSeconds: number;
  hangingEvents: number;
  backlogEvents: number;
  /**
   * Failed deliveries recovered after the queue tables were analysed empty, with the
   * quiet tenant publishing beside the recover (issue 9 point 5: 100,000 in a full run).
   */
  recoverDeliveries: number;
  maxPublishMs: number;
  deliveryWaitMs: number;
  overallTimeoutMs: number;
}

const FULL: Mode = {
  name: 'full', warmupEvents: 1000, rawWarmupMs: 2000, rawMs: 10_000, noopJobs: 60_000, oneToOneEvents: 30_000,
  fanOutEvents: 4_000, fanOutEndpoints: 10, steadySeconds: 30, quietSeconds: 20, hangingEvents: 2_000, backlogEvents: 20_000, recoverDeliveries: 100_000, maxPublishMs: 40_000, deliveryWaitMs: 60_000, overallTimeoutMs: 10 * 60_000,
};
const QUICK: Mode = {
  name: 'quick', warmupEvents: 300, rawWarmupMs: 1000, rawMs: 3000, noopJobs: 15_000, oneToOneEvents: 4_000,
  fanOutEvents: 500, fanOutEndpoints: 10, steadySeconds: 6, quietSeconds: 6, hangingEvents: 500, backlogEvents: 5_000, recoverDeliveries: 5_000, maxPublishMs: 8_000, deliveryWaitMs: 20_000, overallTimeoutMs: 6 * 60_000,
};

interface Options {
  mode: Mode;
  /** --statements: load pg_stat_statements and print the statements that cost PostgreSQL most. */
  statements: boolean;
  profile: Set<'api' | 'worker'>;
  publishConcurrency: number;
  /** --scale[=N]: grow one tenant to N deliveries instead of the scenarios. */
  scale: ScaleOptions | null;
}

/** 1e6, 1000000, 1_000_000 */
function count(arg: string, name: string): number {
  const n = Number(arg.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 1 || Math.round(n) !== n) throw new Error(`${name} takes a positive whole number (1e6, 1000000), got "${arg}"`);
  return n;
}

function parseArgs(argv: string[]): Options {
  let mode = FULL;
  const profile = new Set<'api' | 'worker'>();
  let publishConcurrency = 64;
  let statements = false;
  let scale = null as ScaleOptions | null;
  let timeoutMinutes: number | null = null;
  const scaleDefaults = (): ScaleOptions => ({ target: 1e7, days: 14, samples: 100, readCapMs: 5_000, batch: 200_000, burstEvents: 1000, endpoints: 12 });
  for (const arg of argv) {
    if (arg === '--quick') mode = QUICK;
    else if (arg === '--scale') scale = { ...(scale ?? scaleDefaults()) };
    else if (arg.startsWith('--scale=')) scale = { ...(scale ?? scaleDefaults()), target: count(arg.slice('--scale='.length), '--scale') };
    else if (arg.startsWith('--samples=')) scale = { ...(scale ?? scaleDefaults()), samples: count(arg.slice('--samples='.length), '--samples') };
    else if (arg.startsWith('--batch=')) scale = { ...(scale ?? scaleDefaults()), batch: count(arg.slice('--batch='.length), '--batch') };
    else if (arg.startsWith('--days=')) scale = { ...(scale ?? scaleDefaults()), days: count(arg.slice('--days='.length), '--days') };
    else if (arg.startsWith('--timeout=')) timeoutMinutes = count(arg.slice('--timeout='.length), '--timeout');
    else if (arg === '--statements') statements = true;
    else if (arg.startsWith('--profile=')) {
      for (const role of arg.slice('--profile='.length).split(',')) {
        if (role !== 'api' && role !== 'worker') throw new Error(`--profile takes api, worker or api,worker, got "${role}"`);
        profile.add(role);
      }
    } else if (arg.startsWith('--concurrency=')) publishConcurrency = Number(arg.slice('--concurrency='.length));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('npm run bench [-- --quick] [-- --profile=api|worker|api,worker] [-- --concurrency=64] [-- --statements]\n' +
        'npm run bench -- --scale[=1e7] [--samples=100] [--batch=200000] [--days=14] [--timeout=<minutes>]\n');
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"`);
  }
  if (!Number.isInteger(publishConcurrency) || publishConcurrency < 1) throw new Error('--concurrency must be a positive integer');
  if (scale) {
    if (scale.target < 1e5) throw new Error('--scale starts measuring at 100,000 deliveries: give at least 1e5');
    // Seeding runs at 2-4 minutes per million here (2 busy cores); reads and bursts add a few minutes a decade.
    const minutes = timeoutMinutes ?? Math.ceil(30 + 8 * (scale.target / 1e6));
    mode = { ...FULL, name: 'scale', overallTimeoutMs: minutes * 60_000 };
  } else if (timeoutMinutes !== null) mode = { ...mode, overallTimeoutMs: timeoutMinutes * 60_000 };
  return { mode, profile, publishConcurrency, statements, scale };
}

const log = (line: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Everything that must be undone, in one place, for success, errors and signals alike. */
class Cleanup {
  workDir: string | null = null;
  children: ChildSet | null = null;
  database: BenchDatabase | null = null;
  databases: string[] = [];
  rss: RssSampler | null = null;
  cpu: CpuMeter | null = null;
  private done: Promise<void> | null = null;

  run(keepWorkDir: boolean): Promise<void> {
    this.done ??= (async () => {
      this.rss?.stop();
      this.cpu?.stop();
      await this.children?.stopAll().catch(() => undefined);
      if (this.database && !this.database.embedded) {
        for (const name of this.databases) await dropDatabase(this.database.adminUrl, name).catch(() => undefined);
      }
      await this.database?.embedded?.stop().catch(() => undefined);
      if (this.workDir && !keepWorkDir) rmSync(this.workDir, { recursive: true, force: true });
    })();
    return this.done;
  }
}

class ReceiverClient {
  private nextId = 1;
  private readonly pending = new Map<number, (value: unknown) => void>();

  constructor(readonly child: ManagedChild, readonly origin: string) {
    child.proc.on('message', (message: { reqId?: number; result?: unknown }) => {
      if (message.reqId !== undefined) {
        this.pending.get(message.reqId)?.(message.result);
        this.pending.delete(message.reqId);
      }
    });
  }

  stats(bucket: string, arrivals = false): Promise<BucketStats> {
    return this.call({ reqId: this.nextId++, cmd: 'stats', bucket, arrivals }) as Promise<BucketStats>;
  }

  private call(message: ReceiverRequest): Promise<unknown> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error('receiver did not answer over IPC within 15 s')), 15_000);
      this.pending.set(message.reqId, (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      });
      this.child.proc.send(message);
    });
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { mode } = options;
  if (!existsSync(join(DIST, 'src', 'main.js'))) throw new Error('dist/src/main.js is missing: run `npm run build` (npm run bench does it)');
  const cleanup = new Cleanup();
  let failed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping every child process and the database`);
    failed = true;
    void cleanup.run(false).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => cleanup.children?.killAllNow());
  const overall = setTimeout(() => {
    log(`overall time limit of ${mode.overallTimeoutMs / 1000} s passed: aborting`);
    failed = true;
    void cleanup.run(true).finally(() => process.exit(1));
  }, mode.overallTimeoutMs);
  overall.unref();

  try {
    await benchmark(options, cleanup);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    clearTimeout(overall);
    log('stopping the service, the receiver and the database');
    await cleanup.run(failed);
    if (failed && cleanup.workDir) log(`logs kept in ${join(cleanup.workDir, 'logs')}`);
  }
}

async function benchmark(options: Options, cleanup: Cleanup): Promise<void> {
  const { mode } = options;
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), 'whk-bench-'));
  cleanup.workDir = workDir;
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const children = new ChildSet(logDir);
  cleanup.children = children;

  // Every setting of the worker (concurrency etc.) comes from the same env the service sees.
  const serviceConfig = loadConfig(process.env);
  const concurrency = serviceConfig.workerConcurrency;

  const busyBefore = await cpuBusyShare(1000);
  const loadBefore = loadavg();
  if (busyBefore !== null && busyBefore > 0.15) {
    log(`WARNING: the machine is not idle (${Math.round(busyBefore * 100)} % CPU busy before the run, load ${loadBefore.map((l) => l.toFixed(1)).join(' ')}): figures will be low and noisy`);
  }
  log(`mode ${mode.name}; starting the database`);
  const database = await startDatabase(workDir, options.statements);
  cleanup.database = database;
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const mainDb = `whk_bench_${suffix}`;
  const noopDb = `whk_bench_noop_${suffix}`;
  cleanup.databases.push(mainDb, noopDb);
  const databaseUrl = await createDatabase(database.adminUrl, mainDb);
  const noopUrl = await createDatabase(database.adminUrl, noopDb);
  await migrateDatabase(databaseUrl);
  if (options.statements) await sql(databaseUrl, 'create extension if not exists pg_stat_statements');
  const [{ server_version: pgVersion }] = await sql<{ server_version: string }>(databaseUrl, 'show server_version');
  log(`PostgreSQL ${pgVersion} (${database.notes})`);

  // Receiver, in its own process.
  const receiverChild = children.node('receiver', join(DIST, 'bench', 'receiver.js'), [], { ...process.env, NODE_OPTIONS: '' }, { ipc: true });
  const receiverPort = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start; log: ${receiverChild.logFile}`)), 10_000);
    receiverChild.proc.on('message', (m: { ready?: boolean; port?: number }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolvePort(m.port!);
      }
    });
  });
  const receiverOrigin = `http://127.0.0.1:${receiverPort}`;
  const receiver = new ReceiverClient(receiverChild, receiverOrigin);
  log(`receiver on ${receiverOrigin}`);

  // Raw limit (b) first, while nothing else runs: graphile-worker no-op jobs, own process and database.
  // (--scale does not measure it.)
  type NoopResult = { jobs: number; completed: number; leftInQueue: number; ms: number; jobsPerSec: number };
  let noop: NoopResult = { jobs: 0, completed: 0, leftInQueue: 0, ms: 0, jobsPerSec: 0 };
  if (!options.scale) {
    log(`raw limit: ${mode.noopJobs} graphile-worker no-op jobs (concurrency ${concurrency}, localQueue, batched completion)`);
    const noopChild = children.node('noop-worker', join(DIST, 'bench', 'noop-worker.js'), [],
      { ...process.env, NODE_OPTIONS: '', NOOP_DATABASE_URL: noopUrl, NOOP_JOBS: String(mode.noopJobs) }, { ipc: true, expectExit: true });
    noop = await new Promise<NoopResult>((resolveNoop, reject) => {
      noopChild.proc.on('message', (m) => resolveNoop(m as never));
      void noopChild.exited.then(() => setTimeout(() => reject(new Error(`no-op worker gave no result; log:\n${tail(noopChild.logFile)}`)), 100));
    });
    await noopChild.exited;
    log(`  ${noop.jobsPerSec} jobs/s (${noop.completed}/${noop.jobs} in ${noop.ms} ms)`);
  }

  // The service, as a user runs it.
  const apiPort = await freePort();
  const adminToken = `bench_${randomBytes(16).toString('hex')}`;
  const profileDir = RESULTS;
  mkdirSync(RESULTS, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const serviceEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['LLM_PROVIDERS', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL']) delete env[name];
    return {
      ...env,
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN: adminToken,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'warn',
      DATA_DIR: join(workDir, 'data'),
      NODE_OPTIONS: '',
    };
  };
  log(`starting the service: node dist/src/main.js api (port ${apiPort}) and node dist/src/main.js worker${options.profile.size ? ` (cpu profile: ${[...options.profile].join(', ')})` : ''}`);
  // --cpu-prof is refused in NODE_OPTIONS, so it goes on the command line: node --cpu-prof dist/src/main.js worker.
  const nodeArgs = (role: 'api' | 'worker') =>
    options.profile.has(role) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${role}-${stamp}.cpuprofile`] : [];
  const api = children.node('api', join(DIST, 'src', 'main.js'), ['api'], serviceEnv(), { nodeArgs: nodeArgs('api') });
  let worker = children.node('worker', join(DIST, 'src', 'main.js'), ['worker'], serviceEnv(), { nodeArgs: nodeArgs('worker') });
  const apiOrigin = `http://127.0.0.1:${apiPort}`;
  await waitFor('GET /health/ready answering 200', 90_000, children, async () => {
    try {
      const res = await request(`${apiOrigin}/health/ready`);
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  });
  const rss = new RssSampler({ api: api.proc.pid!, worker: worker.proc.pid! });
  cleanup.rss = rss;
  rss.start();
  const cpu = new CpuMeter(
    { api: api.proc.pid!, worker: worker.proc.pid!, receiver: receiverChild.proc.pid! },
    database.embedded ? findPostmaster(join(workDir, 'pg', 'data')) : null,
  );
  cpu.start();
  cleanup.cpu = cpu;
  /** CPU ms per component while `fn` runs, and per unit of work. */
  const measured = async <T>(units: () => number, fn: () => Promise<T>): Promise<T & { cpuMs: Record<string, number>; cpuMsPerUnit: Record<string, number> }> => {
    const before = cpu.snapshot();
    const result = await fn();
    const cpuMs = CpuMeter.delta(before, cpu.snapshot());
    const n = Math.max(1, units());
    return { ...result, cpuMs, cpuMsPerUnit: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, round(v / n, 3)])) };
  };

  const admin = async <T>(method: 'POST' | 'GET', path: string, body?: unknown): Promise<T> => {
    const res = await request(`${apiOrigin}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text}`);
    return JSON.parse(text) as T;
  };
  const tenantWithEndpoints = async (name: string, paths: string[]): Promise<string> => {
    const tenant = await admin<{ id: string }>('POST', '/v1/tenants', { name });
    for (const path of paths) await admin('POST', `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiverOrigin}${path}`, description: name });
    return tenant.id;
  };
  if (options.scale) {
    await scaleBenchmark(options.scale, {
      startedAt, busyBefore, loadBefore, pgVersion, databaseNotes: database.notes, serviceConfig: { workerConcurrency: concurrency },
      rssPeak: () => rss.peak,
      ctx: {
        apiOrigin, adminToken, databaseUrl, receiverOrigin,
        receiverStats: (bucket) => receiver.stats(bucket),
        waitForDeliveries: (bucket, expected, timeoutMs) => waitForDeliveries(receiver, children, bucket, expected, timeoutMs),
        assertAlive: () => children.assertAlive(),
        log,
        onDecade: (partial) => writeFileSync(join(RESULTS, 'scale-partial.json'), `${JSON.stringify({ date: startedAt.toISOString(), partial: true, ...partial }, null, 2)}\n`),
      },
    });
    return;
  }
  const warmTenant = await tenantWithEndpoints('bench warm-up', ['/warm']);
  const oneTenant = await tenantWithEndpoints('bench 1->1', ['/s1']);
  const fanTenant = await tenantWithEndpoints('bench fan-out', Array.from({ length: mode.fanOutEndpoints }, (_, i) => `/s2/e${i}`));
  const steadyTenant = await tenantWithEndpoints('bench steady', ['/s3']);
  const batchTenant = await tenantWithEndpoints('bench batch', ['/s4']);

  const publishPool = new Pool(apiOrigin, { connections: options.publishConcurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const publisher = new Publisher(publishPool, adminToken);
  const eventsPath = (tenantId: string) => `/v1/tenants/${tenantId}/events`;

  // Warm-up: JIT, connection pools, the receiver's keep-alive sockets; and a real delivery to copy for the raw test.
  rss.setPhase('warm-up');
  log(`warm-up: ${mode.warmupEvents} events`);
  const warm = await publisher.burst(eventsPath(warmTenant), mode.warmupEvents, 16, 60_000);
  if (warm.accepted === 0) throw new Error(`warm-up publishes all failed: ${warm.errorSamples.join(' | ')}`);
  const warmStats = await waitForDeliveries(receiver, children, 'warm', warm.expectedDeliveries, 60_000);
  if (!warmStats.sample) throw new Error('no delivery arrived during the warm-up');
  const sample = warmStats.sample;
  const deliveryHeaders = Object.fromEntries(
    Object.entries(sample.headers).filter(([k]) => !['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding'].includes(k)),
  );

  // Raw limit (a): the same receiver, a delivery's headers and body, the worker's concurrency.
  rss.setPhase('raw-http');
  const rawConnections = 32; // HttpSender's default connections per origin
  log(`raw limit: HTTP POSTs to the receiver, ${Buffer.byteLength(sample.body)} B body, ${concurrency} in flight over ${rawConnections} keep-alive connections, ${mode.rawMs / 1000} s`);
  let rawRequests = 0;
  const raw = await measured(() => rawRequests, async () => {
    const r = await rawHttp(receiverOrigin, '/raw', deliveryHeaders, sample.body, concurrency, rawConnections, mode.rawWarmupMs, mode.rawMs);
    rawRequests = r.requests * ((r.ms + mode.rawWarmupMs) / r.ms); // CPU covers the warm-up too
    return r;
  });
  log(`  ${raw.perSec} POSTs/s`);
  if (raw.perSec === 0) throw new Error('raw HTTP rate is 0: the receiver did not answer');

  // Scenario 1 and 2: bursts.
  const burst = async (label: string, bucket: string, tenantId: string, events: number, batchSize = 0) => {
    rss.setPhase(label);
    log(`${label}: publishing ${events} events${batchSize ? ` in batches of ${batchSize}, 8` : `, ${options.publishConcurrency}`} in flight`);
    let accepted = 0;
    const result = await measured(() => accepted, async () => {
      const out = batchSize
        ? await publisher.burstBatches(`${eventsPath(tenantId)}/batch`, events, batchSize, 8, mode.maxPublishMs)
        : await publisher.burst(eventsPath(tenantId), events, options.publishConcurrency, mode.maxPublishMs);
      accepted = out.accepted;
      log(`  accepted ${out.accepted}/${out.sent} at ${rate(out.accepted, out.lastResponseAt - out.firstSendAt)}/s; waiting for ${out.expectedDeliveries} deliveries`);
      const stats = await waitForDeliveries(receiver, children, bucket, out.expectedDeliveries, mode.deliveryWaitMs);
      return scenarioResult(out, stats, raw.perSec);
    });
    log(`  delivered ${result.delivered}/${result.expectedDeliveries} at ${result.deliveriesPerSec}/s end to end; CPU ms per event: ${formatCpu(result.cpuMsPerUnit)}`);
    return result;
  };
  const oneToOne = await burst('1->1', 's1', oneTenant, mode.oneToOneEvents);
  await settle(databaseUrl);
  const fanOut = await burst(`1->${mode.fanOutEndpoints}`, 's2', fanTenant, mode.fanOutEvents);
  await settle(databaseUrl);
  // Scenario 1 again through POST /events/batch (50 events a request): what the API costs per event.
  const batch = await burst('1->1 batched', 's4', batchTenant, mode.oneToOneEvents, 50);
  await settle(databaseUrl);

  // Scenario 3: steady rate at 25 % of the measured maximum 1->1 delivery rate.
  const steadyRate = Math.max(1, Math.round(oneToOne.deliveriesPerSec * 0.25));
  rss.setPhase('steady');
  log(`steady: ${steadyRate} events/s (25 % of ${oneToOne.deliveriesPerSec}/s) for ${mode.steadySeconds} s`);
  let steadyAccepted = 0;
  const steadyMeasured = await measured(() => steadyAccepted, async () => {
    const out = await publisher.steady(eventsPath(steadyTenant), steadyRate, mode.steadySeconds, 1024);
    steadyAccepted = out.accepted;
    const stats = await waitForDeliveries(receiver, children, 's3', out.expectedDeliveries, mode.deliveryWaitMs);
    return { lateSends: out.lateSends, ...scenarioResult(out, stats, raw.perSec) };
  });
  const steady = { targetRatePerSec: steadyRate, seconds: mode.steadySeconds, ...steadyMeasured };
  log(`  p50 ${steady.latencyMs.p50} ms, p95 ${steady.latencyMs.p95} ms, p99 ${steady.latencyMs.p99} ms`);

  // Scenarios 4 and 5 (SPEC §10): a quiet tenant at 10 events/s alone, beside a tenant flooding
  // an endpoint that never answers, and beside a tenant with a large backlog on a healthy one.
  const quietRun = async (label: string, bucket: string) => {
    rss.setPhase(label);
    const quietTenant = await tenantWithEndpoints(`bench quiet (${label})`, [`/${bucket}/x`]);
    const out = await publisher.steady(eventsPath(quietTenant), 10, mode.quietSeconds, 64);
    const stats = await waitForDeliveries(receiver, children, bucket, out.expectedDeliveries, mode.deliveryWaitMs);
    const r = scenarioResult(out, stats, raw.perSec);
    log(`  ${label}: quiet tenant p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (${r.delivered}/${r.expectedDeliveries} delivered)`);
    return r;
  };
  // --statements: what PostgreSQL's sessions do (wait events) during the noisy-neighbour scenarios.
  const activity = new Map<string, number>();
  const sampler = options.statements
    ? setInterval(() => {
      void sql<{ w: string; q: string }>(databaseUrl, `select coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 70) as q
          from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and datname = current_database()`)
        .then((rows) => rows.forEach((r) => activity.set(`${r.w} | ${r.q}`, (activity.get(`${r.w} | ${r.q}`) ?? 0) + 1)), () => undefined);
    }, 100)
    : null;
  log(`noisy neighbours: a quiet tenant publishing 10 events/s for ${mode.quietSeconds} s`);
  const quietAlone = await quietRun('quiet alone', 'q0');
  const hostile = await admin<{ id: string }>('POST', '/v1/tenants', { name: 'bench hanging neighbour' });
  const hangingEndpoint = await admin<{ id: string }>('POST', `/v1/tenants/${hostile.id}/endpoints`, { url: `${receiverOrigin}/hang/x` });
  log(`  hanging neighbour: ${mode.hangingEvents} events to an endpoint that never answers`);
  await publisher.burstBatches(`${eventsPath(hostile.id)}/batch`, mode.hangingEvents, 100, 8, mode.maxPublishMs);
  const besideHanging = await quietRun('beside a hanging endpoint', 'q1');
  const hangingRequests = (await receiver.stats('hang')).count;
  await request(`${apiOrigin}/v1/tenants/${hostile.id}/endpoints/${hangingEndpoint.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } }).then((r) => r.body.dump());
  const busy = await tenantWithEndpoints('bench backlog neighbour', ['/backlog/x']);
  log(`  backlog neighbour: ${mode.backlogEvents} events queued to a healthy endpoint`);
  const backlogOut = await publisher.burstBatches(`${eventsPath(busy)}/batch`, mode.backlogEvents, 100, 8, mode.maxPublishMs);
  const besideBacklog = await quietRun('beside a backlog', 'q2');
  const backlogStats = await waitForDeliveries(receiver, children, 'backlog', backlogOut.expectedDeliveries, mode.deliveryWaitMs * 2);
  const backlogDrainPerSec = rate(backlogStats.unique, (backlogStats.last ?? 0) - (backlogStats.first ?? 0));
  log(`  the backlog drained at ${backlogDrainPerSec}/s (${backlogStats.unique}/${backlogOut.expectedDeliveries})`);
  if (sampler) {
    clearInterval(sampler);
    for (const [k, n] of [...activity].sort((a, b) => b[1] - a[1]).slice(0, 12)) log(`  active: ${String(n).padStart(5)}  ${k}`);
  }
  // The queue after its tables were analysed empty (the statistics that once made one job fetch
  // take 946 ms with 35k jobs queued): a recover of many failed deliveries of one endpoint.
  const { jobs: jobsAtAnalyse, queued: queuedAtAnalyse } = await analyseEmptyQueues(databaseUrl);
  const recoverTenant = await admin<{ id: string }>('POST', '/v1/tenants', { name: 'bench recover' });
  const recoverEndpoint = await admin<{ id: string }>('POST', `/v1/tenants/${recoverTenant.id}/endpoints`, { url: `${receiverOrigin}/recover/x` });
  await seedFailedDeliveries(databaseUrl, recoverTenant.id, recoverEndpoint.id, mode.recoverDeliveries);
  log(`recover: ${mode.recoverDeliveries} failed deliveries, after ANALYZE of graphile-worker's jobs table holding ${jobsAtAnalyse} jobs and delivery_queue holding ${queuedAtAnalyse}`);
  const recoverStarted = Date.now();
  const recovered = await admin<{ deliveries: number }>('POST', `/v1/tenants/${recoverTenant.id}/endpoints/${recoverEndpoint.id}/recover`,
    { since: new Date(Date.now() - 3_600_000).toISOString() });
  const recoverAnsweredMs = Date.now() - recoverStarted;
  // the quiet tenant publishes while the recover's batches are queued and delivered
  const besideRecover = await quietRun('beside a recover', 'q3');
  const recoverStats = await waitForDeliveries(receiver, children, 'recover', mode.recoverDeliveries, mode.deliveryWaitMs * 3);
  const recoverPerSec = rate(recoverStats.unique, (recoverStats.last ?? 0) - (recoverStats.first ?? 0));
  const [{ n: jobsPeak }] = await sql<{ n: number }>(databaseUrl, `select count(*)::int as n from graphile_worker._private_jobs`);
  log(`  answered in ${recoverAnsweredMs} ms (${recovered.deliveries}); delivered at ${recoverPerSec}/s (${recoverStats.unique}/${mode.recoverDeliveries}); ${jobsPeak} jobs left`);
  const recoverAfterAnalyse = { deliveries: mode.recoverDeliveries, jobsAtAnalyse, queuedAtAnalyse, answeredMs: recoverAnsweredMs, deliveredPerSec: recoverPerSec, delivered: recoverStats.unique, quiet: besideRecover };

  // Deleting an endpoint with a backlog of the same size: the call answers at once, the backlog
  // is cancelled in batches by the worker, and the quiet tenant publishes beside it.
  const doomedTenant = await admin<{ id: string }>('POST', '/v1/tenants', { name: 'bench deleted backlog' });
  const doomed = await admin<{ id: string }>('POST', `/v1/tenants/${doomedTenant.id}/endpoints`, { url: `${receiverOrigin}/doomed/x` });
  await seedQueuedBacklog(databaseUrl, doomedTenant.id, doomed.id, mode.recoverDeliveries);
  log(`delete: an endpoint with ${mode.recoverDeliveries} queued deliveries`);
  const deleteStarted = Date.now();
  await request(`${apiOrigin}/v1/tenants/${doomedTenant.id}/endpoints/${doomed.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } }).then((r) => r.body.dump());
  const deleteAnsweredMs = Date.now() - deleteStarted;
  // polled while the quiet tenant publishes, so the time is the cancellation's own
  const cancelling = (async () => {
    for (const deadline = Date.now() + mode.deliveryWaitMs * 2; Date.now() < deadline; await sleep(200)) {
      const [{ n }] = await sql<{ n: number }>(databaseUrl, `select count(*)::int as n from deliveries where endpoint_id = $1 and status = 'cancelled'`, [doomed.id]);
      if (n >= mode.recoverDeliveries) return { cancelled: n, ms: Date.now() - deleteStarted };
    }
    return { cancelled: -1, ms: Date.now() - deleteStarted };
  })();
  const besideDelete = await quietRun('beside a deleted backlog', 'q4');
  const { cancelled, ms: deleteCancelledMs } = await cancelling;
  const doomedRequests = (await receiver.stats('doomed')).count;
  log(`  answered in ${deleteAnsweredMs} ms; ${cancelled}/${mode.recoverDeliveries} cancelled after ${deleteCancelledMs} ms; ${doomedRequests} requests reached it`);
  const deleteBacklog = { deliveries: mode.recoverDeliveries, answeredMs: deleteAnsweredMs, cancelled, cancelledMs: deleteCancelledMs, requests: doomedRequests, quiet: besideDelete };

  // Both at once, with a retention run dropping a day of payloads and bodies, and the worker
  // killed (SIGKILL, no shutdown) while all of it goes on: its replacement takes over the dead
  // one's jobs and endpoint leases (once it finds the dead one's liveness lock free, or after
  // WORKER_DEAD_AFTER), and nothing is lost. What was
  // done at the kill is recorded: the cancel and the drop are quick and may be through by then.
  const crashTenant = await admin<{ id: string }>('POST', '/v1/tenants', { name: 'bench crash' });
  const crashRecover = await admin<{ id: string }>('POST', `/v1/tenants/${crashTenant.id}/endpoints`, { url: `${receiverOrigin}/crashrec/x` });
  const crashDoomed = await admin<{ id: string }>('POST', `/v1/tenants/${crashTenant.id}/endpoints`, { url: `${receiverOrigin}/crashdoomed/x` });
  await seedFailedDeliveries(databaseUrl, crashTenant.id, crashRecover.id, mode.recoverDeliveries);
  await seedQueuedBacklog(databaseUrl, crashTenant.id, crashDoomed.id, mode.recoverDeliveries);
  const expiredPartitions = await seedExpiredDay(databaseUrl, serviceConfig.retentionDays + 2, mode.recoverDeliveries);
  const crashCancelledCount = async () => (await sql<{ n: number }>(databaseUrl,
    `select count(*)::int as n from deliveries where endpoint_id = $1 and status = 'cancelled'`, [crashDoomed.id]))[0].n;
  const crashPartitionsLeft = async () => (await sql<{ n: number }>(databaseUrl,
    `select count(*)::int as n from unnest($1::text[]) t where to_regclass(t) is not null`, [expiredPartitions]))[0].n;
  log(`through a crash: recover ${mode.recoverDeliveries}, delete an endpoint with ${mode.recoverDeliveries} queued and drop ${expiredPartitions.length} partitions of ${mode.recoverDeliveries} rows each; the worker killed once the recover is under way`);
  const crashStarted = Date.now();
  await admin('POST', `/v1/tenants/${crashTenant.id}/endpoints/${crashRecover.id}/recover`, { since: new Date(Date.now() - 3_600_000).toISOString() });
  const crashDelete = await request(`${apiOrigin}/v1/tenants/${crashTenant.id}/endpoints/${crashDoomed.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
  await crashDelete.body.dump();
  if (crashDelete.statusCode !== 204) throw new Error(`DELETE of the crash scenario's endpoint answered ${crashDelete.statusCode}`);
  await sql(databaseUrl, `select graphile_worker.add_job('retention', '{}'::json)`);
  for (const deadline = Date.now() + mode.deliveryWaitMs; Date.now() < deadline && (await receiver.stats('crashrec')).unique < mode.recoverDeliveries / 20; await sleep(20)) children.assertAlive();
  const beats = await sql<{ id: string }>(databaseUrl, `select process_id as id from worker_heartbeats`);
  await children.crash(worker);
  const killedAt = Date.now();
  const atKill = { delivered: (await receiver.stats('crashrec')).unique, cancelled: await crashCancelledCount(), partitionsLeft: await crashPartitionsLeft() };
  // The replacement takes over once the dead one has been silent for two and a half of its beats
  // with its liveness lock free (WorkerHeartbeat), and at the latest after WORKER_DEAD_AFTER.
  const crashDeadAfterMs = serviceConfig.workerDeadAfterMs;
  worker = children.node('worker-2', join(DIST, 'src', 'main.js'), ['worker'], serviceEnv(), { nodeArgs: nodeArgs('worker') });
  rss.setPid('worker', worker.proc.pid!);
  await waitFor('the replacement worker beating', 60_000, children, async () =>
    (await sql(databaseUrl, `select 1 from worker_heartbeats where process_id <> all($1::text[])`, [beats.map((b) => b.id)])).length > 0);
  const replacementUpMs = Date.now() - killedAt;
  // a new tenant is served by the replacement at once, while the dead one's endpoints wait
  const duringStall = await quietRun('while the dead worker\'s endpoints wait', 'q5');
  let resumedMs = -1;
  for (const deadline = Date.now() + crashDeadAfterMs + mode.deliveryWaitMs; Date.now() < deadline; await sleep(50)) {
    children.assertAlive();
    if ((await receiver.stats('crashrec')).unique > atKill.delivered) {
      resumedMs = Date.now() - killedAt;
      break;
    }
  }
  // and publishes keep their p99 while the replacement delivers the rest of the recover
  const afterResume = await quietRun('beside the recover resumed', 'q6');
  const crashStats = await waitForDeliveries(receiver, children, 'crashrec', mode.recoverDeliveries, mode.deliveryWaitMs * 3);
  let crashCancelled = await crashCancelledCount();
  for (const deadline = Date.now() + mode.deliveryWaitMs; Date.now() < deadline && crashCancelled < mode.recoverDeliveries; await sleep(200)) crashCancelled = await crashCancelledCount();
  const partitionsLeft = await crashPartitionsLeft();
  const crashDoomedRequests = (await receiver.stats('crashdoomed')).count;
  const throughWorkerCrash = {
    deliveries: mode.recoverDeliveries, partitionsSeeded: expiredPartitions.length, atKill, deadAfterMs: crashDeadAfterMs, replacementUpMs, resumedMs,
    delivered: crashStats.unique, duplicates: crashStats.duplicates, allDeliveredMs: (crashStats.last ?? crashStarted) - crashStarted,
    cancelled: crashCancelled, requestsToDeleted: crashDoomedRequests, partitionsDropped: expiredPartitions.length - partitionsLeft,
    quietDuringStall: duringStall, quiet: afterResume,
  };
  log(`  at the kill: ${atKill.delivered} delivered, ${atKill.cancelled} cancelled, ${expiredPartitions.length - atKill.partitionsLeft}/${expiredPartitions.length} partitions dropped; ` +
    `replacement beating after ${replacementUpMs} ms, recover resumed after ${resumedMs} ms; ${crashStats.unique}/${mode.recoverDeliveries} delivered (${crashStats.duplicates} twice) ` +
    `within ${throughWorkerCrash.allDeliveredMs} ms; ${crashCancelled}/${mode.recoverDeliveries} cancelled, ${crashDoomedRequests} requests to the deleted endpoint; ${throughWorkerCrash.partitionsDropped}/${expiredPartitions.length} partitions dropped`);

  const neighbours = {
    quietRatePerSec: 10,
    quietSeconds: mode.quietSeconds,
    alone: quietAlone,
    hanging: { events: mode.hangingEvents, requestsToHangingEndpoint: hangingRequests, quiet: besideHanging },
    backlog: { events: mode.backlogEvents, drainedPerSec: backlogDrainPerSec, delivered: backlogStats.unique, quiet: besideBacklog },
    recoverAfterAnalyse,
    deleteBacklog,
    throughWorkerCrash,
  };
  rss.setPhase('end');
  rss.stop();
  await publishPool.close();

  // The delivery log must hold every attempt the receiver saw.
  await settle(databaseUrl);
  const statusRows = await sql<{ status: string; n: number }>(databaseUrl, `select status, count(*)::int as n from deliveries group by status order by status`);
  const [{ n: attemptRows }] = await sql<{ n: number }>(databaseUrl, `select count(*)::int as n from attempts`);
  const [{ n: jobsLeft }] = await sql<{ n: number }>(databaseUrl, `select count(*)::int as n from graphile_worker._private_jobs`);
  let receivedTotal = 0;
  for (const bucket of ['warm', 's1', 's2', 's3']) receivedTotal += (await receiver.stats(bucket)).count;

  const statements = options.statements
    ? await sql<{ query: string; calls: number; total_ms: number; mean_ms: number }>(databaseUrl,
      `select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 160) as query, calls::int, round(total_exec_time)::int as total_ms,
              round(mean_exec_time::numeric, 3)::float as mean_ms
         from pg_stat_statements order by total_exec_time desc limit 15`)
    : [];
  for (const st of statements) log(`  pg: ${String(st.total_ms).padStart(7)} ms ${String(st.calls).padStart(8)} calls ${String(st.mean_ms).padStart(8)} ms  ${st.query}`);

  // Stop the service before reading profiles: --cpu-prof writes at exit.
  await children.stop(api);
  await children.stop(worker);
  const profiles = options.profile.size ? readdirSync(RESULTS).filter((f) => f.endsWith(`${stamp}.cpuprofile`)).map((f) => join(RESULTS, f)) : [];

  const mb = (v: number | undefined) => (v === undefined ? null : round(v, 1));
  const results = {
    date: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
    mode: mode.name,
    machine: machineFacts(pgVersion, database.notes, busyBefore, loadBefore),
    settings: {
      workerConcurrency: concurrency,
      publishConcurrency: options.publishConcurrency,
      apiProcesses: 1,
      workerProcesses: 1,
      summaries: 'on (offline summariser; endpoints use the default summaries: true, LLM_PROVIDERS unset)',
      deliveredBodyBytes: Buffer.byteLength(sample.body),
      publishedBodyBytes: Buffer.byteLength(eventBody(0)),
      profiled: [...options.profile],
    },
    raw: {
      httpPostsPerSec: raw.perSec,
      http: { cpuMs: raw.cpuMs, cpuMsPerRequest: raw.cpuMsPerUnit, requests: raw.requests, ms: raw.ms, bodyBytes: raw.bodyBytes, concurrency: raw.concurrency, connections: raw.connections, non2xx: raw.non2xx, errors: raw.errors, latencyMs: summarise(raw.responseMs) },
      noopJobsPerSec: noop.jobsPerSec,
      noop,
    },
    scenarios: { oneToOne, fanOut: { endpoints: mode.fanOutEndpoints, ...fanOut }, batch: { batchSize: 50, ...batch }, steady, neighbours },
    rssMb: {
      peak: { api: mb(rss.peak.api), worker: mb(rss.peak.worker), total: mb(rss.peak.total) },
      byPhase: Object.fromEntries(Object.entries(rss.phasePeaks).map(([phase, v]) => [phase, { api: mb(v.api), worker: mb(v.worker), total: mb(v.total) }])),
    },
    errors: {
      non2xxPublishes: oneToOne.non2xx + fanOut.non2xx + batch.non2xx + steady.non2xx + warm.non2xx,
      publishNetworkErrors: oneToOne.networkErrors + fanOut.networkErrors + batch.networkErrors + steady.networkErrors + warm.networkErrors,
      missingDeliveries: oneToOne.missing + fanOut.missing + batch.missing + steady.missing,
      duplicateDeliveries: oneToOne.duplicates + fanOut.duplicates + batch.duplicates + steady.duplicates,
    },
    deliveryLog: { deliveriesByStatus: Object.fromEntries(statusRows.map((r) => [r.status, r.n])), attemptRows, requestsReceived: receivedTotal, jobsLeftInQueue: jobsLeft },
    profiles: profiles.map((file) => summariseProfile(file, 25)),
    postgresStatements: statements,
  };
  const targets = checkTargets(results);
  const output = { ...results, targets };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(output, targets)}\n`);
  for (const p of results.profiles) process.stdout.write(`\n${formatProfile(p)}\n`);
  log(`wrote ${join('bench', 'results', 'latest.json')}`);
  if (targets.some((t) => !t.met)) log('some targets are not met (see the table)');
}

/** --scale: the grown log's reads, publish burst and sizes per decade (bench/lib/scale.ts); writes scale-latest.json. */
async function scaleBenchmark(opts: ScaleOptions, run: {
  startedAt: Date; busyBefore: number | null; loadBefore: number[]; pgVersion: string; databaseNotes: string;
  serviceConfig: { workerConcurrency: number }; rssPeak: () => Record<string, number | undefined>;
  ctx: Parameters<typeof runScale>[0];
}): Promise<void> {
  log(`scale: growing one tenant to ${opts.target.toLocaleString('en')} deliveries (decades from 100,000; ${opts.samples} sequential requests per read, at most ${opts.readCapMs / 1000} s each)`);
  const scale = await runScale(run.ctx, opts);
  const peak = run.rssPeak();
  const output = {
    date: run.startedAt.toISOString(),
    durationSeconds: round((Date.now() - run.startedAt.getTime()) / 1000, 1),
    mode: 'scale',
    machine: machineFacts(run.pgVersion, run.databaseNotes, run.busyBefore, run.loadBefore),
    settings: { ...run.serviceConfig, apiProcesses: 1, workerProcesses: 1, pageLimit: 20 },
    rssMb: { api: peak.api === undefined ? null : round(peak.api, 1), worker: peak.worker === undefined ? null : round(peak.worker, 1) },
    ...scale,
  };
  writeFileSync(join(RESULTS, 'scale-latest.json'), `${JSON.stringify(output, null, 2)}\n`);
  const busy = run.busyBefore === null ? '' : `; CPU ${Math.round(run.busyBefore * 100)} % busy before the run, load ${run.loadBefore.map((l) => l.toFixed(1)).join(' ')}`;
  process.stdout.write(`\nScale benchmark (${opts.target.toLocaleString('en')} deliveries, one tenant, ${opts.endpoints} endpoints): ${cpus().length} CPUs ${cpus()[0]?.model ?? ''}, Node ${process.version}, PostgreSQL ${run.pgVersion}${busy}\n`);
  process.stdout.write(`${formatScale(scale)}\n`);
  for (const e of scale.decades.flatMap((d) => d.explains.map((x) => ({ decade: d.decade, ...x })))) {
    process.stdout.write(`\nslow read at ${e.decade.toLocaleString('en')} (${e.statistics} statistics, p99 ${e.p99} ms): ${e.read}\n-- custom plan\n${e.customPlan}\n-- generic plan\n${e.genericPlan}\n`);
  }
  log(`wrote ${join('bench', 'results', 'scale-latest.json')}`);
}

/** The machine a run measured, as both result files record it. */
function machineFacts(postgres: string, database: string, busyBefore: number | null, loadBefore: number[]) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryMb: Math.round(totalmem() / 2 ** 20),
    platform: `${process.platform} ${release()}`,
    node: process.version,
    postgres,
    database,
    cpuBusyBeforeRun: busyBefore === null ? null : round(busyBefore, 2),
    loadAverageBefore: loadBefore.map((l) => round(l, 2)),
    loadAverageAfter: loadavg().map((l) => round(l, 2)),
  };
}

type ScenarioResult = ReturnType<typeof scenarioResult> & { cpuMsPerUnit: Record<string, number> };

interface Neighbours {
  alone: ReturnType<typeof scenarioResult>;
  hanging: { events: number; requestsToHangingEndpoint: number; quiet: ReturnType<typeof scenarioResult> };
  backlog: { events: number; drainedPerSec: number; delivered: number; quiet: ReturnType<typeof scenarioResult> };
  recoverAfterAnalyse: { deliveries: number; jobsAtAnalyse: number; queuedAtAnalyse: number; answeredMs: number; deliveredPerSec: number; delivered: number; quiet: ReturnType<typeof scenarioResult> };
  deleteBacklog: { deliveries: number; answeredMs: number; cancelled: number; cancelledMs: number; requests: number; quiet: ReturnType<typeof scenarioResult> };
  throughWorkerCrash: {
    deliveries: number; partitionsSeeded: number; atKill: { delivered: number; cancelled: number; partitionsLeft: number };
    deadAfterMs: number; replacementUpMs: number; resumedMs: number; delivered: number; duplicates: number; allDeliveredMs: number;
    cancelled: number; requestsToDeleted: number; partitionsDropped: number;
    quietDuringStall: ReturnType<typeof scenarioResult>; quiet: ReturnType<typeof scenarioResult>;
  };
}

function formatCpu(perUnit: Record<string, number>): string {
  return ['api', 'worker', 'postgres', 'receiver', 'loadGenerator', 'total']
    .filter((k) => perUnit[k] !== undefined)
    .map((k) => `${k} ${perUnit[k].toFixed(2)}`)
    .join(', ');
}

function scenarioResult(out: PublishOutcome, stats: BucketStats, rawPerSec: number) {
  const latencies: number[] = [];
  for (const [id, arrival] of stats.arrivals ?? []) {
    const sent = out.publishedAt.get(id);
    if (sent !== undefined) latencies.push(arrival - sent);
  }
  const publishMs = out.lastResponseAt - out.firstSendAt;
  const endToEndMs = (stats.last ?? out.firstSendAt) - out.firstSendAt;
  const acceptedPerSec = rate(out.accepted, publishMs);
  const deliveriesPerSec = rate(stats.unique, endToEndMs);
  return {
    published: out.sent,
    accepted: out.accepted,
    non2xx: out.non2xx,
    networkErrors: out.networkErrors,
    statusCounts: out.statusCounts,
    errorSamples: out.errorSamples,
    publishSeconds: round(publishMs / 1000, 2),
    acceptedPerSec,
    acceptedRatio: round(acceptedPerSec / rawPerSec, 3),
    expectedDeliveries: out.expectedDeliveries,
    delivered: stats.unique,
    missing: Math.max(0, out.expectedDeliveries - stats.unique),
    duplicates: stats.duplicates,
    endToEndSeconds: round(endToEndMs / 1000, 2),
    deliveriesPerSec,
    deliveriesRatio: round(deliveriesPerSec / rawPerSec, 3),
    publishResponseMs: summarise(out.responseMs),
    latencyMs: summarise(latencies),
  };
}

async function waitFor(what: string, timeoutMs: number, children: ChildSet, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    children.assertAlive();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Polls the receiver until `expected` distinct deliveries arrived in `bucket`, or `timeoutMs`
 * passed, or none came for `stallMs`; then returns its stats with arrivals.
 */
async function waitForDeliveries(receiver: ReceiverClient, children: ChildSet, bucket: string, expected: number, timeoutMs: number, stallMs = 30_000): Promise<BucketStats> {
  const deadline = Date.now() + timeoutMs;
  let lastCount = -1;
  let lastProgress = Date.now();
  for (;;) {
    children.assertAlive();
    const stats = await receiver.stats(bucket);
    if (stats.unique >= expected) break;
    if (stats.unique !== lastCount) {
      lastCount = stats.unique;
      lastProgress = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastProgress > Math.min(timeoutMs, stallMs)) {
      log(`  gave up waiting: ${stats.unique}/${expected} deliveries in "${bucket}"`);
      break;
    }
    await sleep(50);
  }
  return receiver.stats(bucket, true);
}

/** Lets the batched completions and attempt records land before the next phase. */
async function settle(databaseUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [{ n }] = await sql<{ n: number }>(databaseUrl, `select count(*)::int as n from delivery_queue`);
    if (n === 0) break;
    await sleep(100);
  }
  await sleep(500);
}

interface Target {
  name: string;
  target: string;
  value: number | null;
  met: boolean;
}

function checkTargets(r: {
  raw: { httpPostsPerSec: number };
  scenarios: { oneToOne: ScenarioResult; fanOut: ScenarioResult; steady: ScenarioResult; neighbours: Neighbours };
  rssMb: { peak: { api: number | null; worker: number | null; total: number | null } };
  errors: { non2xxPublishes: number; publishNetworkErrors: number; missingDeliveries: number };
}): Target[] {
  const { oneToOne, fanOut, steady, neighbours } = r.scenarios;
  const p99 = steady.latencyMs.p99;
  const alone = neighbours.alone.latencyMs.p99 ?? 0;
  const hanging = neighbours.hanging.quiet.latencyMs.p99;
  const backlog = neighbours.backlog.quiet.latencyMs.p99;
  return [
    { name: '1->1 deliveries/s / raw HTTP', target: '>= 0.25', value: oneToOne.deliveriesRatio, met: oneToOne.deliveriesRatio >= 0.25 },
    { name: 'fan-out deliveries/s / raw HTTP', target: '>= 0.25', value: fanOut.deliveriesRatio, met: fanOut.deliveriesRatio >= 0.25 },
    { name: '1->1 events accepted/s / raw HTTP', target: '>= 0.20', value: oneToOne.acceptedRatio, met: oneToOne.acceptedRatio >= 0.2 },
    { name: 'steady p99 publish-to-delivery (ms)', target: '< 100', value: p99, met: p99 !== null && p99 < 100 },
    { name: 'service RSS peak, api + worker (MB)', target: '< 300', value: r.rssMb.peak.total, met: (r.rssMb.peak.total ?? Infinity) < 300 },
    { name: 'quiet p99 beside a hanging endpoint (ms)', target: `< 250 and < ${2 * alone + 100}`, value: hanging, met: hanging !== null && hanging < 250 && hanging < 2 * alone + 100 },
    { name: 'quiet p99 beside a backlog (ms)', target: '< 250', value: backlog, met: backlog !== null && backlog < 250 },
    { name: 'backlog drain rate / 1->1 deliveries/s', target: '>= 1', value: round(neighbours.backlog.drainedPerSec / oneToOne.deliveriesPerSec, 2), met: neighbours.backlog.drainedPerSec >= oneToOne.deliveriesPerSec },
    { name: 'recover after the queue tables were analysed empty / 1->1 deliveries/s', target: '>= 0.8', value: round(neighbours.recoverAfterAnalyse.deliveredPerSec / oneToOne.deliveriesPerSec, 2), met: neighbours.recoverAfterAnalyse.deliveredPerSec >= 0.8 * oneToOne.deliveriesPerSec && neighbours.recoverAfterAnalyse.delivered === neighbours.recoverAfterAnalyse.deliveries },
    {
      name: 'recover + delete + retention with the worker killed: recovered + cancelled + partitions dropped, all of them', target: `= ${2 * neighbours.throughWorkerCrash.deliveries + neighbours.throughWorkerCrash.partitionsSeeded}`,
      value: neighbours.throughWorkerCrash.delivered + neighbours.throughWorkerCrash.cancelled + neighbours.throughWorkerCrash.partitionsDropped,
      met: neighbours.throughWorkerCrash.delivered === neighbours.throughWorkerCrash.deliveries && neighbours.throughWorkerCrash.cancelled === neighbours.throughWorkerCrash.deliveries
        && neighbours.throughWorkerCrash.partitionsDropped === neighbours.throughWorkerCrash.partitionsSeeded,
    },
    { name: 'error responses + missing deliveries', target: '= 0', value: r.errors.non2xxPublishes + r.errors.publishNetworkErrors + r.errors.missingDeliveries, met: r.errors.non2xxPublishes + r.errors.publishNetworkErrors + r.errors.missingDeliveries === 0 },
  ];
}

function formatTable(r: {
  machine: { cpus: number; cpuModel: string | null; node: string; postgres: string; cpuBusyBeforeRun: number | null };
  mode: string;
  raw: { httpPostsPerSec: number; noopJobsPerSec: number; http: { bodyBytes: number; concurrency: number; connections: number } };
  scenarios: { oneToOne: ScenarioResult; fanOut: ScenarioResult & { endpoints: number }; batch: ScenarioResult & { batchSize: number }; steady: ScenarioResult & { targetRatePerSec: number }; neighbours: Neighbours };
  rssMb: { peak: { api: number | null; worker: number | null; total: number | null } };
  errors: { non2xxPublishes: number; publishNetworkErrors: number; missingDeliveries: number; duplicateDeliveries: number };
}, targets: Target[]): string {
  const rawHttp = r.raw.httpPostsPerSec;
  const ratio = (v: number | null) => (v === null ? '' : (v / rawHttp).toFixed(2));
  const { oneToOne, fanOut, batch, steady, neighbours: n } = r.scenarios;
  const rows: Array<[string, string, string, string]> = [
    ['raw HTTP POST/s to the receiver', String(rawHttp), '1.00', `${r.raw.http.bodyBytes} B body, ${r.raw.http.concurrency} in flight / ${r.raw.http.connections} conns`],
    ['raw graphile-worker no-op jobs/s', String(r.raw.noopJobsPerSec), ratio(r.raw.noopJobsPerSec), 'same runner settings as the service'],
    ['1->1 events accepted/s (HTTP)', String(oneToOne.acceptedPerSec), ratio(oneToOne.acceptedPerSec), 'target >= 0.20'],
    ['1->1 deliveries/s end to end', String(oneToOne.deliveriesPerSec), ratio(oneToOne.deliveriesPerSec), 'target >= 0.25'],
    ['1->1 publish-to-delivery p50/p99 ms (saturated)', `${oneToOne.latencyMs.p50}/${oneToOne.latencyMs.p99}`, '', 'queueing under full load'],
    [`1->${fanOut.endpoints} events accepted/s (HTTP)`, String(fanOut.acceptedPerSec), ratio(fanOut.acceptedPerSec), ''],
    [`1->${fanOut.endpoints} deliveries/s end to end`, String(fanOut.deliveriesPerSec), ratio(fanOut.deliveriesPerSec), 'target >= 0.25'],
    [`1->1 batched (${batch.batchSize}/request) events accepted/s`, String(batch.acceptedPerSec), ratio(batch.acceptedPerSec), 'POST /events/batch'],
    ['1->1 batched deliveries/s end to end', String(batch.deliveriesPerSec), ratio(batch.deliveriesPerSec), ''],
    ['1->1 CPU ms per event', formatCpu(oneToOne.cpuMsPerUnit), '', 'CPU time, immune to other load'],
    ['1->1 batched CPU ms per event', formatCpu(batch.cpuMsPerUnit), '', ''],
    [`1->${fanOut.endpoints} CPU ms per event`, formatCpu(fanOut.cpuMsPerUnit), '', `${fanOut.endpoints} deliveries each`],
    [`steady ${steady.targetRatePerSec} events/s: latency p50 ms`, String(steady.latencyMs.p50), '', ''],
    ['steady: latency p95 ms', String(steady.latencyMs.p95), '', ''],
    ['steady: latency p99 ms', String(steady.latencyMs.p99), '', 'target < 100'],
    ['steady: publish response p50/p99 ms', `${steady.publishResponseMs.p50}/${steady.publishResponseMs.p99}`, '', ''],
    ['quiet tenant, 10 events/s, alone: p50/p99 ms', `${n.alone.latencyMs.p50}/${n.alone.latencyMs.p99}`, '', 'baseline'],
    [`beside ${n.hanging.events} events to a hanging endpoint: p50/p99 ms`, `${n.hanging.quiet.latencyMs.p50}/${n.hanging.quiet.latencyMs.p99}`, '', `target < 250 and < 2x baseline + 100; ${n.hanging.requestsToHangingEndpoint} requests reached it`],
    [`beside a ${n.backlog.events}-event backlog: p50/p99 ms`, `${n.backlog.quiet.latencyMs.p50}/${n.backlog.quiet.latencyMs.p99}`, '', `target < 250; backlog drained at ${n.backlog.drainedPerSec}/s`],
    [`recover ${n.recoverAfterAnalyse.deliveries} after ANALYZE of the empty queue tables: deliveries/s`, String(n.recoverAfterAnalyse.deliveredPerSec), ratio(n.recoverAfterAnalyse.deliveredPerSec), `target >= 0.8x 1->1; answered in ${n.recoverAfterAnalyse.answeredMs} ms; ${n.recoverAfterAnalyse.delivered} delivered`],
    ['beside that recover: quiet p50/p99 ms, publish response p99 ms', `${n.recoverAfterAnalyse.quiet.latencyMs.p50}/${n.recoverAfterAnalyse.quiet.latencyMs.p99}, ${n.recoverAfterAnalyse.quiet.publishResponseMs.p99}`, '', `alone: ${n.alone.latencyMs.p50}/${n.alone.latencyMs.p99}, ${n.alone.publishResponseMs.p99}`],
    [`delete an endpoint with ${n.deleteBacklog.deliveries} queued: answered ms / all cancelled after ms`, `${n.deleteBacklog.answeredMs} / ${n.deleteBacklog.cancelledMs}`, '', `${n.deleteBacklog.cancelled} cancelled, ${n.deleteBacklog.requests} sent; beside it quiet p50/p99 ${n.deleteBacklog.quiet.latencyMs.p50}/${n.deleteBacklog.quiet.latencyMs.p99} ms, publish p99 ${n.deleteBacklog.quiet.publishResponseMs.p99} ms`],
    [`recover ${n.throughWorkerCrash.deliveries} + delete ${n.throughWorkerCrash.deliveries} queued + retention, worker killed: delivered / cancelled`, `${n.throughWorkerCrash.delivered} / ${n.throughWorkerCrash.cancelled}`, '',
      `at the kill ${n.throughWorkerCrash.atKill.delivered} delivered, ${n.throughWorkerCrash.atKill.cancelled} cancelled, ${n.throughWorkerCrash.partitionsSeeded - n.throughWorkerCrash.atKill.partitionsLeft} partitions dropped; resumed after ${n.throughWorkerCrash.resumedMs} ms (WORKER_DEAD_AFTER ${n.throughWorkerCrash.deadAfterMs / 1000} s); ${n.throughWorkerCrash.duplicates} sent twice, ${n.throughWorkerCrash.requestsToDeleted} to the deleted endpoint, ${n.throughWorkerCrash.partitionsDropped}/${n.throughWorkerCrash.partitionsSeeded} partitions dropped`],
    ['while the dead worker\'s endpoints wait / beside the resumed recover: quiet p99 ms, publish p99 ms', `${n.throughWorkerCrash.quietDuringStall.latencyMs.p99}, ${n.throughWorkerCrash.quietDuringStall.publishResponseMs.p99} / ${n.throughWorkerCrash.quiet.latencyMs.p99}, ${n.throughWorkerCrash.quiet.publishResponseMs.p99}`, '', `alone: ${n.alone.latencyMs.p99}, ${n.alone.publishResponseMs.p99}`],
    ['service RSS peak api / worker / sum MB', `${r.rssMb.peak.api?.toFixed(0)} / ${r.rssMb.peak.worker?.toFixed(0)} / ${r.rssMb.peak.total?.toFixed(0)}`, '', 'target < 300'],
    ['non-2xx publishes / network errors', `${r.errors.non2xxPublishes} / ${r.errors.publishNetworkErrors}`, '', 'target 0'],
    ['missing / duplicate deliveries', `${r.errors.missingDeliveries} / ${r.errors.duplicateDeliveries}`, '', 'target 0 missing'],
  ];
  const header: [string, string, string, string] = ['figure', 'value', 'x raw HTTP', 'note'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(header[i].length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  const out = [
    `Benchmark (${r.mode}): ${r.machine.cpus} CPUs ${r.machine.cpuModel ?? ''}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}` +
      (r.machine.cpuBusyBeforeRun !== null ? `; CPU ${Math.round(r.machine.cpuBusyBeforeRun * 100)} % busy before the run` : ''),
    line(header),
    `|${widths.map((w, i) => (i === 1 || i === 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...rows.map(line),
    '',
    'targets:',
    ...targets.map((t) => `  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.name}: ${t.value} (${t.target})`),
  ];
  return out.join('\n');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
