/**
 * MemoryStore `keys()` paging at 1k, 10k and 100k entries (bench/paging.ts): one page and a full
 * pass per key, larger collection over the 1k one (target <= 1.5), and the longest `keys()` call,
 * which is how long MemoryStore blocks the event loop (target <= 10 ms).
 */
import { MemoryStore } from '../src/stores/memory.js';
import { benchPaging, pagingKey, pagingSizes } from './paging.js';

export default async function run(): Promise<void> {
  const store = new MemoryStore({ sweepIntervalMs: 0 });
  const value = { client_id: 'c1', scope: 'openid profile' };
  try {
    for (const n of pagingSizes()) {
      // Written in a shuffled order, as a real store fills up.
      const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
      for (let i = 0; i < n; i += 1000) {
        await store.putMany(
          order.slice(i, i + 1000).map((k) => [pagingKey(k), value] as const),
          { collection: `c${n}` },
        );
      }
    }
    await benchPaging('memory-paging', store, (n) => `c${n}`);
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
