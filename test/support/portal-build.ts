import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const PORTAL_DIST = join(ROOT, 'dist', 'portal');
const SOURCES = [join(ROOT, 'portal'), join(ROOT, 'package-lock.json')];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/**
 * The API serves the portal from dist/portal (built by `npm run build`). Tests that load it
 * build it first when it is missing or older than any file under portal/, so `npm test` works
 * in a fresh clone and after an edit of the portal without a separate build step.
 */
export function ensurePortalBuilt(): void {
  const index = join(PORTAL_DIST, 'index.html');
  if (existsSync(index)) {
    const built = statSync(index).mtimeMs;
    if (SOURCES.every((source) => !existsSync(source) || newestMtime(source) <= built)) return;
  }
  const result = spawnSync('npm', ['run', 'build:portal'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`npm run build:portal failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
  }
}
