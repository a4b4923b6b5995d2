/**
 * `npm run bench:callgrind [-- names...] [--runs R] [--segments S]`: instructions per operation of
 * the CPU-bound workloads (bench/cpu-workloads.ts), counted by `valgrind --tool=callgrind`, which
 * does not depend on machine load the way time does.
 *
 * Method: the workloads are bundled once (esbuild) into bench/.callgrind/driver.mjs; each runs in
 * a fresh `node --predictable --expose-gc` (V8 single-threaded, fixed seeds: the same code path on
 * every run) under `valgrind --tool=callgrind --trace-children=no
 * --dump-before=uv_os_getpriority`. The driver does its setup and `warmup` operations (JIT
 * tier-up), then `segments` times: a garbage collection, a marker call, `n` operations, a marker
 * call. Callgrind writes a count at every marker, so each segment's count holds exactly its `n`
 * operations; start-up, setup and warm-up are never in it (no subtraction needed). The first
 * segment still holds late JIT compilation and is reported but not used; the figure of a run is
 * the median of the other segments per operation. The young generation is 64 MB, so no scavenge
 * falls inside a segment: the counts are the operations' own work, not garbage collection (which
 * the time-based suites include).
 *
 * Every workload runs `runs` times (default 2) in fresh processes; both runs are reported so the
 * figures' repeatability is visible. Writes bench/results/callgrind.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WORKLOAD_RATIOS, WORKLOADS } from './cpu-workloads.js';
import { machineInfo, median, writeResult } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, '.callgrind');

const args = process.argv.slice(2);
let runs = 2;
let segments = 4;
const wanted: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '--runs') runs = Number(args[++i]);
  else if (arg === '--segments') segments = Number(args[++i]);
  else wanted.push(arg);
}
if (!(runs >= 1 && segments >= 2)) throw new Error('--runs must be >= 1 and --segments >= 2');
const names = Object.keys(WORKLOADS).filter(
  (n) => wanted.length === 0 || wanted.some((w) => n.startsWith(w)),
);
if (names.length === 0) throw new Error(`no workload matches ${wanted.join(', ')}`);

mkdirSync(work, { recursive: true });
await build({
  entryPoints: [join(here, 'callgrind-driver.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(work, 'driver.mjs'),
  logLevel: 'warning',
  // The `fernet` npm package is CommonJS, loaded through createRequire in test/helpers.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});

function exec(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stderr);
      else reject(new Error(`${cmd} exited with ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

/** Instructions per operation of each segment of one fresh process. */
async function measure(name: string, run: number): Promise<{ perOp: number[]; startup: number }> {
  const { warmup, n } = WORKLOADS[name]!.callgrind ?? { warmup: 2000, n: 300 };
  const prefix = `${name}.${run}.out`;
  for (const f of readdirSync(work)) if (f.startsWith(prefix)) rmSync(join(work, f));
  await exec('valgrind', [
    '--tool=callgrind',
    '--trace-children=no',
    '--dump-before=uv_os_getpriority',
    `--callgrind-out-file=${join(work, prefix)}`,
    process.execPath,
    '--predictable',
    '--expose-gc',
    '--min-semi-space-size=64',
    '--max-semi-space-size=64',
    'driver.mjs',
    name,
    String(warmup),
    String(n),
    String(segments),
  ]);
  const count = (i: number): number => {
    const text = readFileSync(join(work, `${prefix}.${i}`), 'utf8');
    const m = /^summary: (\d+)$/m.exec(text) ?? /^totals: (\d+)$/m.exec(text);
    if (!m) throw new Error(`no count in ${prefix}.${i}`);
    return Number(m[1]);
  };
  const perOp: number[] = [];
  // Dumps: 1 = start-up, setup, warm-up and a GC; then per segment: ops (even), GC (odd).
  for (let s = 0; s < segments; s++) perOp.push(count(2 + 2 * s) / n);
  const startup = count(1);
  for (const f of readdirSync(work)) if (f.startsWith(prefix)) rmSync(join(work, f));
  return { perOp, startup };
}

interface WorkloadResult {
  workload: string;
  description: string;
  warmup: number;
  n: number;
  /** Per run: instructions per operation (median of segments 2..S) and every segment's figure. */
  runs: Array<{ perOp: number; segments: number[]; startupInstructions: number }>;
}

const started = Date.now();
const results = new Map<string, WorkloadResult>();
for (let run = 1; run <= runs; run++) {
  for (const name of names) {
    const w = WORKLOADS[name]!;
    const t0 = Date.now();
    const { perOp, startup } = await measure(name, run);
    const figure = median(perOp.slice(1));
    const entry = results.get(name) ?? {
      workload: name,
      description: w.description,
      warmup: w.callgrind?.warmup ?? 2000,
      n: w.callgrind?.n ?? 300,
      runs: [],
    };
    entry.runs.push({
      perOp: Math.round(figure),
      segments: perOp.map(Math.round),
      startupInstructions: startup,
    });
    results.set(name, entry);
    console.log(
      `[run ${run}/${runs}] ${name}: ${Math.round(figure).toLocaleString('en-US')} instructions/op ` +
        `(segments ${perOp.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')}; ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log('\n## callgrind: instructions per operation');
console.table(
  [...results.values()].map((r) => {
    const figs = r.runs.map((x) => x.perOp);
    return {
      workload: r.workload,
      ...Object.fromEntries(figs.map((f, i) => [`run ${i + 1}`, fmt(f)])),
      'spread %': ((100 * (Math.max(...figs) - Math.min(...figs))) / Math.min(...figs)).toFixed(2),
    };
  }),
);
const ratios = WORKLOAD_RATIOS.filter((r) => results.has(r.a) && results.has(r.b)).map((r) => {
  const perRun = results
    .get(r.a)!
    .runs.map((x, i) => x.perOp / (results.get(r.b)!.runs[i]!.perOp * (r.bTimes ?? 1)));
  return { ...r, perRun, median: median(perRun), min: Math.min(...perRun), max: Math.max(...perRun) };
});
if (ratios.length > 0) {
  console.log('\n## callgrind ratios (instructions of A / instructions of B)');
  console.table(
    ratios.map((r) => ({
      ratio: r.label,
      target: r.target ?? '',
      ...Object.fromEntries(r.perRun.map((x, i) => [`run ${i + 1}`, x.toFixed(3)])),
    })),
  );
}
writeResult(wanted.length === 0 ? 'callgrind' : `callgrind-${wanted.join('-')}`, {
  suite: 'callgrind',
  date: new Date(started).toISOString(),
  machine: machineInfo(),
  valgrind: execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim(),
  method:
    'valgrind --tool=callgrind --trace-children=no --dump-before=uv_os_getpriority; node --predictable --expose-gc --min-semi-space-size=64 --max-semi-space-size=64; per run: median over segments 2..S of instructions / n',
  runs,
  segments,
  durationS: Math.round((Date.now() - started) / 1000),
  workloads: [...results.values()],
  ratios,
});
