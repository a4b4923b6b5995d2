/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line:
 * `npm run bench -- fernet redis`). Each exports `default async function run(): Promise<void>`.
 * Options: `--reps N` (sets BENCH_REPS, default 3) and `--scale X` (sets BENCH_SCALE, default 1:
 * multiplies every paired comparison's iterations), e.g. `npm run bench -- --reps 5 fernet`.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const wanted: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '--reps' || arg === '--scale') {
    const value = args[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    process.env[arg === '--reps' ? 'BENCH_REPS' : 'BENCH_SCALE'] = value;
  } else {
    wanted.push(arg);
  }
}
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const files = all.filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
const unknown = wanted.filter((w) => !all.some((f) => f.startsWith(w)));
if (unknown.length > 0) {
  throw new Error(`no bench file starts with ${unknown.join(', ')}; suites: ${all.join(', ')}`);
}
for (const file of files) {
  const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as { default: () => Promise<void> };
  await mod.default();
}
