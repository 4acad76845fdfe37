import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedChild {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited: Promise<void>;
  done: boolean;
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
  node(name: string, script: string, args: string[], env: NodeJS.ProcessEnv, options: { ipc?: boolean; expectExit?: boolean } = {}): ManagedChild {
    const logFile = join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const stdio: Array<'ignore' | 'ipc' | number> = ['ignore', fd, fd];
    if (options.ipc) stdio.push('ipc');
    const proc = spawn(process.execPath, [script, ...args], { env, stdio });
    closeSync(fd);
    let markExited!: () => void;
    const child: ManagedChild = { name, proc, logFile, done: false, exited: new Promise<void>((resolve) => (markExited = resolve)) };
    proc.on('exit', (code, signal) => {
      child.done = true;
      markExited();
      if (!this.stopping && !options.expectExit && !this.crashed) {
        this.crashed = new Error(`${name} (pid ${proc.pid}) exited on its own (code ${code}, signal ${signal}); log: ${logFile}\n${tail(logFile)}`);
      }
    });
    this.children.push(child);
    return child;
  }

  assertAlive(): void {
    if (this.crashed) throw this.crashed;
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
