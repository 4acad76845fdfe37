import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedChild {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<void>;
  done: boolean;
  /** an exit of its own is no failure (a child meant to end, or one `crash`ed on purpose) */
  expectExit: boolean;
}

/**
 * Every process the benchmark starts. Any child that exits on its own while the run is
 * going is a failure (`crashed`); `stopAll` ends them with SIGTERM, then SIGKILL.
 */
export class ChildSet {
  private readonly children: ManagedChild[] = [];
  private stopping = false;
  crashed: Error | null = null;

  constructor(private readonly logDir: string) {}

  /** A node script as a child process, stdout/stderr to `<logDir>/<name>.log`. */
  node(name: string, script: string, args: string[], env: NodeJS.ProcessEnv, options: { ipc?: boolean; expectExit?: boolean; nodeArgs?: string[] } = {}): ManagedChild {
    const logFile = join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const stdio: Array<'ignore' | 'ipc' | number> = ['ignore', fd, fd];
    if (options.ipc) stdio.push('ipc');
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], { env, stdio });
    closeSync(fd);
    let markExited!: () => void;
    const child: ManagedChild = { name, proc, logFile, done: false, expectExit: options.expectExit === true, exited: new Promise<void>((resolve) => (markExited = resolve)) };
    proc.on('exit', (code, signal) => {
      child.done = true;
      markExited();
      if (!this.stopping && !child.expectExit && !this.crashed) {
        const hint = code === 0 ? ' - a graceful exit: something outside the benchmark sent it SIGINT/SIGTERM (a pkill by name?)' : '';
        this.crashed = new Error(`${name} (pid ${proc.pid}) exited on its own (code ${code}, signal ${signal})${hint}; log: ${logFile}\n${tail(logFile)}`);
      }
    });
    this.children.push(child);
    return child;
  }

  assertAlive(): void {
    if (this.crashed) throw this.crashed;
  }

  /** SIGKILL, as a crash would end it: no shutdown runs, its leases and jobs are left to be reclaimed. */
  async crash(child: ManagedChild): Promise<void> {
    child.expectExit = true;
    child.proc.kill('SIGKILL');
    await child.exited;
  }

  /** SIGTERM (graceful: lets --cpu-prof write its file), SIGKILL after `graceMs`. */
  async stop(child: ManagedChild, graceMs = 15_000): Promise<void> {
    if (child.done) return;
    child.proc.kill('SIGTERM');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children].reverse().map((c) => this.stop(c)));
  }

  /** Last resort on process exit: no child outlives the benchmark. */
  killAllNow(): void {
    for (const c of this.children) if (!c.done) c.proc.kill('SIGKILL');
  }
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resident set size in MB from /proc/<pid>/status (VmRSS), null when unavailable. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the service processes' RSS; keeps the peak overall and per phase. */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private phase = 'startup';
  readonly peak: Record<string, number> = {};
  readonly phasePeaks: Record<string, Record<string, number>> = {};

  constructor(private readonly pids: Record<string, number>, private readonly intervalMs = 100) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** A process replaced (the worker after a crash): its successor is sampled under the same name. */
  setPid(name: string, pid: number): void {
    this.pids[name] = pid;
  }

  setPhase(name: string): void {
    this.sample();
    this.phase = name;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sample(): void {
    let total = 0;
    const values: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const mb = rssMb(pid);
      if (mb === null) continue;
      values[name] = mb;
      total += mb;
    }
    values.total = total;
    const phase = (this.phasePeaks[this.phase] ??= {});
    for (const [name, mb] of Object.entries(values)) {
      this.peak[name] = Math.max(this.peak[name] ?? 0, mb);
      phase[name] = Math.max(phase[name] ?? 0, mb);
    }
  }
}

/** Share of all CPUs busy over `ms`, from /proc/stat (null off Linux): other load skews every figure. */
export async function cpuBusyShare(ms: number): Promise<number | null> {
  const read = (): [number, number] | null => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = fields[3] + (fields[4] ?? 0);
      return [fields.reduce((a, b) => a + b, 0), idle];
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b || b[0] === a[0]) return null;
  return 1 - (b[1] - a[1]) / (b[0] - a[0]);
}

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ on Linux

/** utime + stime (+ waited-for children when `withChildren`) of a process in ms, from /proc/<pid>/stat; 0 when gone. */
function processCpuMs(pid: number, withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17.
    const ticks = Number(fields[11]) + Number(fields[12]) + (withChildren ? Number(fields[13]) + Number(fields[14]) : 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The postmaster whose command line names `dataDir`, or null. */
export function findPostmaster(dataDir: string): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmdline.includes('postgres') && cmdline.includes(dataDir)) {
        const pid = Number(entry);
        const ppidMatch = /\)\s+\S+\s+(\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        const ppid = ppidMatch ? Number(ppidMatch[1]) : 0;
        // The postmaster is the one whose parent is not itself a postgres of this cluster.
        const parentCmd = ppid ? safeRead(`/proc/${ppid}/cmdline`) : '';
        if (!parentCmd.includes(dataDir)) return pid;
      }
    }
  } catch {
    // not Linux
  }
  return null;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * CPU time per component, so a figure can be read as "CPU ms per event" whatever else the
 * machine is doing. PostgreSQL = the postmaster and its backends, polled so that a backend
 * that exits keeps the CPU it had (the postmaster's cutime would add it all at exit).
 */
export class CpuMeter {
  private readonly pgLatest = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pids: Record<string, number>, private readonly postmaster: number | null) {}

  start(intervalMs = 250): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private poll(): void {
    if (this.postmaster === null) return;
    for (const pid of [this.postmaster, ...childPids(this.postmaster)]) {
      const ms = processCpuMs(pid, false);
      if (ms > 0) this.pgLatest.set(pid, ms);
    }
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) out[name] = processCpuMs(pid, false);
    const own = process.cpuUsage();
    out.loadGenerator = (own.user + own.system) / 1000;
    if (this.postmaster !== null) {
      this.poll();
      let sum = 0;
      for (const ms of this.pgLatest.values()) sum += ms;
      out.postgres = sum;
    }
    return out;
  }

  static delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    let total = 0;
    for (const name of Object.keys(after)) {
      out[name] = Math.round(after[name] - (before[name] ?? 0));
      total += out[name];
    }
    out.total = total;
    return out;
  }
}
