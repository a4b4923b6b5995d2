/**
 * Shared benchmark helpers.
 *
 * ## The paired harness (use this for every ratio the docs quote)
 *
 * ```ts
 * import { comparePaired } from './lib.js';
 *
 * await comparePaired('fernet', [
 *   {
 *     label: 'fernet npm / oauth-kv Fernet',
 *     target: '>= 10',
 *     a: { name: 'fernet npm', run: () => npmRoundTrip() },
 *     b: { name: 'oauth-kv', run: () => oursRoundTrip() },
 *     batch: 20, // operations per timed sample (for sub-microsecond work)
 *   },
 * ]);
 * ```
 *
 * - **Paired and interleaved**: A and B alternate sample by sample (A B, B A, A B, ...), so both
 *   sides see the same machine load. A side's optional `before` runs untimed before each sample.
 *   `run` may be synchronous or return a promise (only promises are awaited); a side with `timed`
 *   measures itself (e.g. a child process timing its own `import()`).
 * - **Repeated**: the whole list of comparisons runs `reps` times (env `BENCH_REPS`, default 3,
 *   minimum 3 unless `BENCH_REPS` says otherwise), one repetition after the other, so repetitions are
 *   spread over time. In each repetition a ratio is median(A) / median(B) over the samples after
 *   warm-up (the first `warmup` pairs, default 10 % of `iterations`).
 * - **Reported** as the median of the per-repetition ratios with their min–max, printed as a table
 *   and written to `bench/results/<suite>.json` with every repetition's figures (medians, p10/p90 of
 *   each side, samples, load average), the machine (cpus, model, load average before and after,
 *   Node version, platform, and env `BENCH_NOTE` as `machine.note`: what else ran meanwhile) and
 *   the date.
 * - `iterations` (pairs per repetition) per comparison, scaled by env `BENCH_SCALE` (default 1) so a
 *   quick smoke run is `BENCH_SCALE=0.1 BENCH_REPS=1 npm run bench -- fernet`.
 *
 * Ratios are time(A) / time(B): **below 1 means A is faster**.
 *
 * ## Older helpers (kept for the suites that still use them)
 *
 * - `newBench()` + `report(suite, bench, ratios)`: tinybench tables and unpaired mean ratios.
 * - `pairedRatio(a, b, iterations)`: one paired repetition, returns `{ ratio, medianA, medianB }`.
 * - `writeResult(name, data)`: writes bench/results/<name>.json.
 * - `machineInfo()`: the machine block written into every result file.
 * - `BENCH_COLLECTION`, `benchToken()`, `BENCH_KEYS`: the shared workload of the database suites.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import type { JsonObject } from '../src/contract.js';

export interface BenchRow {
  suite: string;
  task: string;
  opsPerSec: number;
  meanMs: number;
  p99Ms: number;
  samples: number;
}

/** A tinybench instance with settings that fit a 2-core CI machine. */
export function newBench(options: { time?: number; iterations?: number } = {}): Bench {
  return new Bench({ time: options.time ?? 1000, iterations: options.iterations ?? 50, warmup: true });
}

/**
 * Runs the bench, prints a table and the ratios `task / baseline` for each pair given,
 * and writes the rows to bench/results/<suite>.json.
 * `ratios` maps a label to [numerator task, denominator task]: the ratio of their mean times.
 */
export async function report(
  suite: string,
  bench: Bench,
  ratios: Record<string, [string, string]> = {},
): Promise<{ rows: BenchRow[]; ratios: Record<string, number> }> {
  await bench.run();
  const rows: BenchRow[] = bench.tasks.map((task) => {
    const r = task.result as
      | { latency?: { mean: number; p99: number; samplesCount: number }; throughput?: { mean: number } }
      | undefined;
    return {
      suite,
      task: task.name,
      opsPerSec: r?.throughput?.mean ?? 0,
      meanMs: r?.latency?.mean ?? Number.NaN,
      p99Ms: r?.latency?.p99 ?? Number.NaN,
      samples: r?.latency?.samplesCount ?? 0,
    };
  });
  console.log(`\n## ${suite}`);
  console.table(
    rows.map((r) => ({
      task: r.task,
      'ops/s': Math.round(r.opsPerSec),
      'mean (ms)': r.meanMs.toFixed(4),
      'p99 (ms)': r.p99Ms.toFixed(4),
      samples: r.samples,
    })),
  );
  const computed: Record<string, number> = {};
  for (const [label, [num, den]] of Object.entries(ratios)) {
    const a = rows.find((r) => r.task === num);
    const b = rows.find((r) => r.task === den);
    if (a && b) computed[label] = a.meanMs / b.meanMs;
  }
  for (const [label, value] of Object.entries(computed)) console.log(`  ${label}: ${value.toFixed(2)}×`);
  writeResult(suite, { suite, rows, ratios: computed });
  return { rows, ratios: computed };
}

/** Writes bench/results/<name>.json. */
export function writeResult(name: string, data: unknown): void {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}

/** One side of a paired measurement: `before` runs untimed before each timed `run`. */
export interface PairedTask {
  run: () => Promise<unknown>;
  before?: (() => Promise<unknown>) | undefined;
}

/**
 * Median time of `a` over median time of `b`, measured alternately (a b, b a, a b, ...) so both
 * sides see the same machine load: far steadier than back-to-back tinybench tasks on a busy shared
 * machine. The first 10 % of the samples are warm-up and not counted.
 */
export async function pairedRatio(
  a: PairedTask,
  b: PairedTask,
  iterations: number,
): Promise<{ ratio: number; medianA: number; medianB: number }> {
  const ta: number[] = [];
  const tb: number[] = [];
  const time = async (task: PairedTask, into: number[]) => {
    await task.before?.();
    const started = performance.now();
    await task.run();
    into.push(performance.now() - started);
  };
  for (let i = 0; i < iterations; i++) {
    if (i % 2 === 0) {
      await time(a, ta);
      await time(b, tb);
    } else {
      await time(b, tb);
      await time(a, ta);
    }
  }
  const warm = Math.floor(iterations / 10);
  const median = (xs: number[]) => {
    const sorted = xs.slice(warm).sort((x, y) => x - y);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const medianA = median(ta);
  const medianB = median(tb);
  return { ratio: medianA / medianB, medianA, medianB };
}

/** The collection the database benchmarks write to (FastMCP's upstream tokens). */
export const BENCH_COLLECTION = 'mcp-upstream-tokens';

/** The value every database benchmark stores: an upstream token record of about 300 bytes. */
export function benchToken(): Record<string, string | number> {
  return {
    access_token: randomBytes(32).toString('base64url'),
    refresh_token: randomBytes(32).toString('base64url'),
    token_type: 'Bearer',
    expires_in: 3600,
    scope: 'openid profile email offline_access',
    client_id: 'https://app.example/client.json',
  };
}

/** The 100 keys of the bulk benchmarks. */
export const BENCH_KEYS: readonly string[] = Array.from({ length: 100 }, (_, i) => `token-${i}`);

/** A realistic ~1 KB OAuth client registration (the Fernet benchmarks' value). */
export function oneKbValue(): JsonObject {
  const value = {
    client_id: 'mcp_0123456789abcdef',
    client_secret: 'cs_'.padEnd(64, 'x'),
    client_name: 'ChatGPT',
    redirect_uris: ['https://chatgpt.com/aip/oauth/callback', 'https://chat.openai.com/aip/oauth/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid profile email offline_access',
    client_id_issued_at: 1_795_343_400,
    padding: '',
  };
  value.padding = 'p'.repeat(Math.max(0, 1024 - JSON.stringify(value).length));
  return value;
}

/** The `created_at` and `expires_at` of a py-key-value document written at `now` (ms) to live `ttlMs`. */
export function pykvStamps(now: number, ttlMs: number): { created_at: string; expires_at: string } {
  return {
    created_at: new Date(now).toISOString().replace('Z', '+00:00'),
    expires_at: new Date(now + ttlMs).toISOString().replace('Z', '+00:00'),
  };
}

/**
 * The py-key-value document the stores write, built the plain way (the raw-driver floors):
 * `JSON.stringify` of the fields in the stores' order.
 */
export function pykvDocument(
  collection: string,
  key: string,
  value: unknown,
  stamps: { created_at: string; expires_at: string },
): string {
  return JSON.stringify({
    collection,
    created_at: stamps.created_at,
    expires_at: stamps.expires_at,
    key,
    value,
    version: 1,
  });
}

/**
 * The value of a py-key-value document read the plain way (the raw-driver floors): `JSON.parse` and
 * one date check; `undefined` once expired. A missing document (`null`) throws: a floor that reads
 * nothing would measure nothing.
 */
export function pykvValue(text: string | null, now = Date.now()): unknown {
  if (text === null) throw new Error('missing');
  const d = JSON.parse(text) as { value: unknown; expires_at?: string };
  if (d.expires_at !== undefined && Date.parse(d.expires_at) <= now) return undefined;
  return d.value;
}

/** The machine a result was measured on (written into every result file). */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  loadavg: number[];
  node: string;
  platform: string;
  arch: string;
  totalMemMB: number;
  commit?: string | undefined;
  /** Free text from env BENCH_NOTE: what else ran on the machine, e.g. 'CI run in parallel'. */
  note?: string | undefined;
}

/** Cpus, model, load average (1, 5, 15 min), Node version, platform and the git commit if known. */
export function machineInfo(): MachineInfo {
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    commit = undefined;
  }
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    platform: platform(),
    arch: arch(),
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    commit,
    note: process.env.BENCH_NOTE || undefined,
  };
}

/** One side of a paired comparison. */
export interface Side {
  /** Shown in the table and the JSON. */
  name: string;
  /** The timed operation; only a returned promise (thenable) is awaited. */
  run: () => unknown;
  /** Runs untimed before each sample of this side (e.g. refill a key `take` removes). */
  before?: (() => unknown) | undefined;
  /**
   * Instead of `run`: performs one sample and returns its own measurement in microseconds (e.g. a
   * child process reporting how long its `import()` took). `batch` does not apply.
   */
  timed?: (() => Promise<number>) | undefined;
}

/** One ratio to measure: time(a) / time(b). */
export interface Comparison {
  label: string;
  a: Side;
  b: Side;
  /** Free text such as '<= 1.1' (shown, not enforced). */
  target?: string | undefined;
  /** Pairs per repetition (before BENCH_SCALE); default 1000. */
  iterations?: number | undefined;
  /** Pairs discarded at the start of each repetition; default 10 % of iterations. */
  warmup?: number | undefined;
  /** Operations per timed sample; the sample's time is divided by it. Default 1. */
  batch?: number | undefined;
}

/** The figures of one comparison in one repetition (times in microseconds per operation). */
export interface RepFigures {
  ratio: number;
  medianA: number;
  medianB: number;
  p10A: number;
  p90A: number;
  p10B: number;
  p90B: number;
  samples: number;
  /** Median of the per-pair ratios a_i / b_i (a second, pairwise estimate). */
  pairwiseMedian: number;
  loadavg1: number;
}

/** One comparison's result over all repetitions. */
export interface ComparisonResult {
  label: string;
  a: string;
  b: string;
  target?: string | undefined;
  iterations: number;
  warmup: number;
  batch: number;
  /** Median, min and max over repetitions of the per-repetition ratio of medians. */
  ratio: { median: number; min: number; max: number };
  reps: RepFigures[];
}

/** What `comparePaired` returns and writes to bench/results/<suite>.json. */
export interface SuiteResult {
  suite: string;
  date: string;
  reps: number;
  scale: number;
  machine: MachineInfo;
  machineAfter: { loadavg: number[] };
  durationS: number;
  comparisons: ComparisonResult[];
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

/** Repetitions: env BENCH_REPS, default 3. */
export function benchReps(): number {
  return Math.round(envNumber('BENCH_REPS', 3));
}

/** Iteration scale: env BENCH_SCALE, default 1. */
export function benchScale(): number {
  return envNumber('BENCH_SCALE', 1);
}

/** The median of a list (NaN when empty); does not modify its argument. */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** The q-quantile (nearest rank on the sorted copy). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((x, y) => x - y);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

/** '1.23 (1.10–1.31)': a median with its min–max. */
export function formatSpread(r: { median: number; min: number; max: number }, digits = 2): string {
  return `${r.median.toFixed(digits)} (${r.min.toFixed(digits)}–${r.max.toFixed(digits)})`;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as { then?: unknown }).then === 'function'
  );
}

async function sample(side: Side, batch: number): Promise<number> {
  if (side.before) {
    const b = side.before();
    if (isThenable(b)) await b;
  }
  if (side.timed) return side.timed();
  const run = side.run;
  const started = performance.now();
  for (let i = 0; i < batch; i++) {
    const r = run();
    if (isThenable(r)) await r;
  }
  return ((performance.now() - started) * 1000) / batch;
}

async function oneRep(c: Comparison, iterations: number, warmup: number, batch: number): Promise<RepFigures> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    let a: number;
    let b: number;
    if (i % 2 === 0) {
      a = await sample(c.a, batch);
      b = await sample(c.b, batch);
    } else {
      b = await sample(c.b, batch);
      a = await sample(c.a, batch);
    }
    if (i >= warmup) {
      ta.push(a);
      tb.push(b);
    }
  }
  const medianA = median(ta);
  const medianB = median(tb);
  return {
    ratio: medianA / medianB,
    medianA,
    medianB,
    p10A: quantile(ta, 0.1),
    p90A: quantile(ta, 0.9),
    p10B: quantile(tb, 0.1),
    p90B: quantile(tb, 0.9),
    samples: ta.length,
    pairwiseMedian: median(ta.map((x, i) => x / tb[i]!)),
    loadavg1: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/**
 * Measures every comparison paired and interleaved, `reps` times (env BENCH_REPS, default 3),
 * prints `label: median (min–max)` per ratio and writes bench/results/<suite>.json.
 * See the top of this file.
 */
export async function comparePaired(
  suite: string,
  comparisons: readonly Comparison[],
  options: { reps?: number; scale?: number; write?: boolean } = {},
): Promise<SuiteResult> {
  const reps = options.reps ?? benchReps();
  const scale = options.scale ?? benchScale();
  const started = Date.now();
  const machine = machineInfo();
  const plans = comparisons.map((c) => {
    const iterations = Math.max(5, Math.round((c.iterations ?? 1000) * scale));
    return {
      c,
      iterations,
      warmup: c.warmup ?? Math.max(1, Math.floor(iterations / 10)),
      batch: c.batch ?? 1,
      reps: [] as RepFigures[],
    };
  });
  console.log(
    `\n## ${suite} (paired, interleaved; ${reps} repetitions; ratios are A / B, below 1 = A faster)`,
  );
  for (let rep = 0; rep < reps; rep++) {
    for (const p of plans) {
      const figures = await oneRep(p.c, p.iterations, p.warmup, p.batch);
      p.reps.push(figures);
      console.log(
        `  [rep ${rep + 1}/${reps}] ${p.c.label}: ${figures.ratio.toFixed(3)} ` +
          `(A ${figures.medianA.toFixed(2)} µs, B ${figures.medianB.toFixed(2)} µs, load ${figures.loadavg1})`,
      );
    }
  }
  const results: ComparisonResult[] = plans.map((p) => {
    const ratios = p.reps.map((r) => r.ratio);
    return {
      label: p.c.label,
      a: p.c.a.name,
      b: p.c.b.name,
      target: p.c.target,
      iterations: p.iterations,
      warmup: p.warmup,
      batch: p.batch,
      ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
      reps: p.reps,
    };
  });
  console.table(
    results.map((r) => ({
      ratio: r.label,
      target: r.target ?? '',
      'median (min–max)': formatSpread(r.ratio),
      'A µs/op': median(r.reps.map((x) => x.medianA)).toFixed(2),
      'B µs/op': median(r.reps.map((x) => x.medianB)).toFixed(2),
    })),
  );
  const result: SuiteResult = {
    suite,
    date: new Date(started).toISOString(),
    reps,
    scale,
    machine,
    machineAfter: { loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    durationS: Math.round((Date.now() - started) / 100) / 10,
    comparisons: results,
  };
  if (options.write !== false) writeResult(suite, result);
  return result;
}
