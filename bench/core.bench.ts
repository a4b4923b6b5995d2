/**
 * The CPU-bound paths timed paired and interleaved (bench/lib.ts comparePaired): the same workloads
 * and ratios that bench/callgrind.ts counts in instructions (bench/cpu-workloads.ts). Time includes
 * garbage collection, which the instruction counts leave out.
 */
import { WORKLOAD_RATIOS, WORKLOADS } from './cpu-workloads.js';
import { type Comparison, comparePaired, type Side } from './lib.js';

async function side(name: string, times = 1): Promise<Side> {
  const op = await WORKLOADS[name]!.setup();
  if (times === 1) return { name, run: op };
  return {
    name: `${name} x${times}`,
    run: async () => {
      for (let i = 0; i < times; i++) {
        const r = op();
        if (r instanceof Promise) await r;
      }
    },
  };
}

/** Pairs per repetition and operations per sample, so each sample lasts roughly 50-500 µs. */
const SIZING: Record<string, { iterations: number; batch: number }> = {
  'fernet npm / oauth-kv Fernet': { iterations: 200, batch: 2 },
  'validate token / JSON.stringify': { iterations: 1000, batch: 50 },
  'wrapper put+get / bare Fernet': { iterations: 1000, batch: 4 },
  'getMany(100) documents / raw parse': { iterations: 500, batch: 1 },
  'putMany(100) documents / raw stringify': { iterations: 500, batch: 1 },
  'MemoryStore getMany(100) / 100 gets': { iterations: 500, batch: 1 },
  'MemoryStore putMany(100) / 100 puts': { iterations: 500, batch: 1 },
};

export default async function run(): Promise<void> {
  const comparisons: Comparison[] = [];
  for (const r of WORKLOAD_RATIOS) {
    comparisons.push({
      label: r.label,
      target: r.target,
      a: await side(r.a),
      b: await side(r.b, r.bTimes),
      ...SIZING[r.label],
    });
  }
  await comparePaired('core', comparisons);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
