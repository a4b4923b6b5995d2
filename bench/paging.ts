/**
 * The `keys()` paging workload of bench/{memory,file,postgres}-paging.bench.ts: how the cost of one
 * page and of a full pass per key grows from 1k to 10k and 100k entries in a collection, as paired,
 * interleaved ratios (`comparePaired`) of the larger collection over the 1k one, plus the longest
 * single `keys()` call seen (for MemoryStore that is how long it blocks the event loop: its
 * `keys()` never awaits) and the event loop's longest delay during full passes.
 *
 * Sizes: env BENCH_PAGING_SIZES (comma-separated, default 1000,10000,100000); env
 * BENCH_PAGING_PASS=0 skips the full-pass comparisons (they take minutes where a page costs O(n)).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { KeysPage } from '../src/contract.js';
import { type Comparison, comparePaired, writeResult } from './lib.js';

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
  let longestCallMs = 0;
  const timed = async (collection: string, limit: number, cursor: string | undefined) => {
    const started = performance.now();
    const page = await store.keys(collection, { limit, cursor });
    longestCallMs = Math.max(longestCallMs, performance.now() - started);
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
    longestKeysCallMs: Math.round(longestCallMs * 100) / 100,
    eventLoopDelayMaxMs: Math.round((delay.max / 1e6) * 100) / 100,
    eventLoopDelayP99Ms: Math.round((delay.percentile(99) / 1e6) * 100) / 100,
  };
  console.log(
    `  longest keys() call: ${blocking.longestKeysCallMs} ms; event loop delay max ` +
      `${blocking.eventLoopDelayMaxMs} ms, p99 ${blocking.eventLoopDelayP99Ms} ms`,
  );
  writeResult(`${suite}-blocking`, blocking);
}
