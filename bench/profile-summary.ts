/**
 * `node dist/bench/profile-summary.js <file.cpuprofile>... [--top=N] [--callers=functionName] [--depth=N]`:
 * top self-time functions and modules, inclusive time of our own code; with --callers, the
 * caller chains of one hot function (e.g. --callers=writev).
 */
import { callersOf, formatProfile, summariseProfile } from './lib/profile';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const n = Number(option('top') ?? 25);
const callers = option('callers');
const depth = Number(option('depth') ?? 4);
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile>... [--top=N] [--callers=functionName] [--depth=N]\n');
  process.exit(2);
}
for (const file of files) {
  if (callers) {
    process.stdout.write(`${file}: callers of ${callers}\n`);
    for (const r of callersOf(file, callers, depth, n)) process.stdout.write(`  ${String(r.percent).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}\n`);
    process.stdout.write('\n');
  } else process.stdout.write(`${formatProfile(summariseProfile(file, n))}\n\n`);
}
