/**
 * The `keys()` paging workload of bench/{memory,file,postgres}-paging.bench.ts: how the cost of one
 * page and of a full pass per key grows from 1k to 10k and 100k entries in a collection, as paired,
 * interleaved ratios (`comparePaired`) of the larger collection over the 1k one, plus the longest
 * single `keys()` call seen, in wall time and in CPU time (for MemoryStore that is how long it
 * blocks the event loop: its `keys()` never awaits; wall time also counts the process being
 * descheduled on a loaded machine, CPU time does not) and the event loop's longest delay (which
 * stays 0 where every call resolves through microtasks only, as MemoryStore's do).
 *
 * Sizes: env BENCH_PAGING_SIZES (comma-separated, default 1000,10000,100000); env
 * BENCH_PAGING_PASS=0 skips the full-pass comparisons (they take minutes where a page costs O(n)).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { KeysPage } from '../src/contract.js';
import { type Comparison, comparePaired, quantile, writeResult } from './lib.js';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** What the workload needs from a store. */
export interface Pageable {
  keys(collection: string, options?: { limit?: number; cursor?: string }): Promise<KeysPage>;
}

/** The i-th key of every collection: sorts like its number. */
export const pagingKey = (i: number): string => `key-${String(i).padStart(7, '0')}`;

/** The sizes to measure. */
export function pagingSizes(): number[] {
  const raw = process.env.BENCH_PAGING_SIZES;
  if (raw === undefined || raw === '') return [1000, 10_000, 100_000];
  return raw.split(',').map((s) => Number(s));
}

/**
 * Runs the paging comparisons on `store`, whose collection `collectionOf(n)` holds the keys
 * `pagingKey(0..n-1)`, and writes bench/results/<suite>.json and <suite>-blocking.json.
 */
export async function benchPaging(
  suite: string,
  store: Pageable,
  collectionOf: (n: number) => string,
  options: { pageIterations?: number; passIterations?: number; note?: string } = {},
): Promise<void> {
  const sizes = pagingSizes();
  const small = sizes[0] as number;
  const pageLimit = 100;
  const passLimit = 1000;
  // Wall time includes being descheduled on a loaded machine; CPU time of the call does not.
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const timed = async (collection: string, limit: number, cursor: string | undefined) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const page = await store.keys(collection, { limit, cursor });
    wallMs.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
    return page;
  };
  // A page at a random depth of the collection (the cursor is chosen untimed).
  const pageSide = (n: number) => {
    let cursor = pagingKey(0);
    return {
      name: `keys() page of ${pageLimit} at a random depth, ${n} entries`,
      before: () => {
        cursor = pagingKey(Math.floor(Math.random() * (n - pageLimit)));
      },
      run: async () => {
        const page = await timed(collectionOf(n), pageLimit, cursor);
        if (page.keys.length === 0) throw new Error('an empty page in the middle of the collection');
      },
    };
  };
  // Full passes over `total` keys in all: one pass over n entries, or total / n passes.
  const passSide = (n: number, total: number) => ({
    name: `${total / n} full pass(es) over ${n} entries, pages of ${passLimit}`,
    run: async () => {
      let seen = 0;
      for (let p = 0; p < total / n; p++) {
        let cursor: string | undefined;
        do {
          const page = await timed(collectionOf(n), passLimit, cursor);
          seen += page.keys.length;
          cursor = page.cursor;
        } while (cursor !== undefined);
      }
      if (seen !== total) throw new Error(`a full pass saw ${seen} keys of ${total}`);
    },
  });
  const comparisons: Comparison[] = [];
  for (const n of sizes.slice(1)) {
    comparisons.push({
      label: `page ${n / 1000}k / page ${small / 1000}k`,
      target: '<= 1.5',
      a: pageSide(n),
      b: pageSide(small),
      iterations: options.pageIterations ?? 300,
    });
  }
  if (process.env.BENCH_PAGING_PASS !== '0') {
    for (const n of sizes.slice(1)) {
      comparisons.push({
        label: `full pass per key ${n / 1000}k / ${small / 1000}k`,
        target: '<= 1.5',
        a: passSide(n, n),
        b: passSide(small, n),
        iterations: options.passIterations ?? 10,
        warmup: 1,
      });
    }
  }
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const result = await comparePaired(suite, comparisons);
  delay.disable();
  const blocking = {
    suite: `${suite}-blocking`,
    date: result.date,
    note: options.note,
    sizes,
    keysCalls: wallMs.length,
    longestKeysCallMs: round(Math.max(...wallMs)),
    keysCallWallMs: {
      p50: round(quantile(wallMs, 0.5)),
      p99: round(quantile(wallMs, 0.99)),
      p999: round(quantile(wallMs, 0.999)),
    },
    longestKeysCallCpuMs: round(Math.max(...cpuMs)),
    keysCallCpuMs: {
      p50: round(quantile(cpuMs, 0.5)),
      p99: round(quantile(cpuMs, 0.99)),
      p999: round(quantile(cpuMs, 0.999)),
    },
    keysCallsOver10msCpu: cpuMs.filter((x) => x > 10).length,
    eventLoopDelayMaxMs: Math.round((delay.max / 1e6) * 100) / 100,
    eventLoopDelayP99Ms: Math.round((delay.percentile(99) / 1e6) * 100) / 100,
  };
  console.log(
    `  keys() calls: ${blocking.keysCalls}; longest ${blocking.longestKeysCallMs} ms wall, ` +
      `${blocking.longestKeysCallCpuMs} ms CPU (p99.9 ${blocking.keysCallCpuMs.p999} ms CPU), ` +
      `${blocking.keysCallsOver10msCpu} over 10 ms CPU; event loop delay max ` +
      `${blocking.eventLoopDelayMaxMs} ms, p99 ${blocking.eventLoopDelayP99Ms} ms`,
  );
  writeResult(`${suite}-blocking`, blocking);
}
