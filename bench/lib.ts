/**
 * Shared benchmark helpers: every bench file builds tinybench tasks, then calls `report()` which
 * prints a table (ops/s, mean, p99 and the ratio to a named baseline) and writes
 * bench/results/<suite>.json. Ratios, not absolute numbers, are what the project reports.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

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
