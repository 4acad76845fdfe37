/** `node dist/bench/profile-summary.js <file.cpuprofile>... [--top=N]`: top self-time functions and modules. */
import { formatProfile, summariseProfile } from './lib/profile';

const args = process.argv.slice(2);
const topArg = args.find((a) => a.startsWith('--top='));
const n = topArg ? Number(topArg.slice('--top='.length)) : 25;
const files = args.filter((a) => !a.startsWith('--'));
if (files.length === 0) {
  process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile>... [--top=N]\n');
  process.exit(2);
}
for (const file of files) process.stdout.write(`${formatProfile(summariseProfile(file, n))}\n\n`);
