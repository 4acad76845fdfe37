import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Total minus (idle): time the process was on the CPU, roughly. */
  busyMs: number;
  selfByFunction: ProfileRow[];
  selfByModule: ProfileRow[];
  /** Inclusive time of frames in this project's own code (dist/src, dist/bench). */
  inclusiveOwnCode: ProfileRow[];
}

/** "pg", "@nestjs/core", "src/worker/http-sender.js", "node:internal/..." or a (special) frame. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + '/dist/'.length);
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

function frameName(f: CallFrame): string {
  const fn = f.functionName || '(anonymous)';
  if (!f.url) return fn;
  const short = moduleOf(f.url, fn);
  return `${fn} ${short}:${f.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, n: number): ProfileRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((us / total) * 1000) / 10 }));
}

/** The profile with its nodes by id and each node's parent. */
function loadProfile(file: string): { profile: CpuProfile; byId: Map<number, ProfileNode>; parent: Map<number, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  return { profile, byId, parent };
}

export function summariseProfile(file: string, n = 25): ProfileSummary {
  const { profile, byId, parent } = loadProfile(file);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  let total = 0;
  let idle = 0;
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === '(idle)') idle += us;
    const fname = frameName(node.callFrame);
    byFunction.set(fname, (byFunction.get(fname) ?? 0) + us);
    const mod = moduleOf(node.callFrame.url, node.callFrame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
    // Inclusive time of own-code frames, each counted once per stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!/\/dist\/(src|bench)\//.test(f.url)) continue;
      const name = frameName(f);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  return {
    file,
    totalMs: Math.round(total / 1000),
    busyMs: Math.round((total - idle) / 1000),
    selfByFunction: top(byFunction, total, n),
    selfByModule: top(byModule, total, n),
    inclusiveOwnCode: top(inclusive, total, n),
  };
}

/** Who calls `leaf` (self time of frames named so), by their nearest `depth` caller frames. */
export function callersOf(file: string, leaf: string, depth = 4, n = 15): ProfileRow[] {
  const { profile, byId, parent } = loadProfile(file);
  const chains = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    if (byId.get(id)?.callFrame.functionName !== leaf) return;
    const names: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && names.length < depth; cur = parent.get(cur)) names.push(frameName(byId.get(cur)!.callFrame));
    const key = names.join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  });
  return top(chains, total, n);
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`${s.file}: ${s.totalMs} ms sampled, ${s.busyMs} ms busy (not idle)`];
  const section = (title: string, rows: ProfileRow[]) => {
    lines.push(`  ${title}`);
    for (const r of rows) lines.push(`    ${String(r.percent).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`);
  };
  section('self time by module/package', s.selfByModule);
  section('self time by function', s.selfByFunction);
  section('inclusive time, own code', s.inclusiveOwnCode);
  return lines.join('\n');
}
