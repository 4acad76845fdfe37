import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The real app in a child process (child-app.js), to be killed without any shutdown. Resolves once it listens. */
export async function startChildApp(databaseUrl: string, env: Record<string, string>): Promise<{ process: ChildProcess; baseUrl: string }> {
  const proc = spawn(process.execPath, [join(__dirname, 'child-app.js')], {
    env: { ...process.env, ...env, CHILD_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /READY (\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`child exited ${code}: ${output.slice(-2000)}`)));
  });
  return { process: proc, baseUrl: `http://127.0.0.1:${port}` };
}
