import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ServiceProcess {
  proc: ChildProcess;
  /** Its stdout, one entry a complete line, as it comes. */
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

/** The service as `npm start` runs it (src/main.ts through test/support/child-main.js), with `env` as its whole environment. */
export function spawnService(args: string[], env: NodeJS.ProcessEnv): ServiceProcess {
  const proc = spawn(process.execPath, [join(__dirname, 'child-main.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, lines, stderr: () => stderr, exited };
}
