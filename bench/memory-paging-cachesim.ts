/**
 * Simulated cache misses of one MemoryStore `keys()` page (not a `*.bench.ts` suite: run by hand).
 * Fills collections of 1k and 100k entries as bench/memory-paging.bench.ts does, warms up, then
 * pages `count` times at random depths of one collection between two `os.getPriority()` calls,
 * where callgrind dumps its counters, so the second dump holds only the pages:
 *
 * ```sh
 * npx esbuild bench/memory-paging-cachesim.ts --bundle --platform=node --format=esm --outfile=/tmp/cachesim.mjs
 * valgrind --tool=callgrind --cache-sim=yes --dump-before=uv_os_getpriority --callgrind-out-file=/tmp/cg \
 *   node --predictable --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 /tmp/cachesim.mjs 100000 100 2000
 * grep -E '^(events|summary|totals):' /tmp/cg.2   # divide by count: Ir, Dr, D1mr, DLmr... per page
 * ```
 *
 * Arguments: collection size (1000 or 100000), page limit, pages counted.
 */
import { getPriority } from 'node:os';
import { MemoryStore } from '../src/stores/memory.js';
import { pagingKey } from './paging.js';

const [size = '100000', limitArg = '100', countArg = '2000'] = process.argv.slice(2);
const store = new MemoryStore({ sweepIntervalMs: 0 });
const value = { client_id: 'c1', scope: 'openid profile' };
for (const n of [1000, 100_000]) {
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  for (let i = 0; i < n; i += 1000) {
    await store.putMany(
      order.slice(i, i + 1000).map((k) => [pagingKey(k), value] as const),
      { collection: `c${n}` },
    );
  }
}
const n = Number(size);
const limit = Number(limitArg);
const pages = async (count: number) => {
  for (let i = 0; i < count; i++) {
    const cursor = pagingKey(Math.floor(Math.random() * (n - limit)));
    await store.keys(`c${n}`, { limit, cursor });
  }
};
await pages(3000); // JIT warm-up
(globalThis as { gc?: () => void }).gc?.();
getPriority(); // dump 1: start-up, filling, warm-up
await pages(Number(countArg));
getPriority(); // dump 2: the pages only
await store.close();
