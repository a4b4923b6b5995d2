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
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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
  // When each call ran, to tell a garbage collection that fell inside a call from the call's own work.
  const startedAt: number[] = [];
  const timed = async (collection: string, limit: number, cursor: string | undefined) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const page = await store.keys(collection, { limit, cursor });
    startedAt.push(started);
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
  const gcs: Array<{ start: number; end: number; kind: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const result = await comparePaired(suite, comparisons);
  delay.disable();
  await new Promise((resolve) => setTimeout(resolve, 100)); // the gc entries are delivered in a later task
  observer.disconnect();
  // A call during which a collection ran: its time is partly the collector's (every allocation of
  // the process can trigger one), not work of keys() itself.
  const withGc = wallMs.map((w, i) => {
    const start = startedAt[i] as number;
    return gcs.some((g) => g.start < start + w && g.end > start);
  });
  const cpuWithoutGc = cpuMs.filter((_, i) => !withGc[i]);
  const over10 = cpuMs.map((c, i) => [c, i] as const).filter(([c]) => c > 10);
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
    keysCallsOver10msCpu: over10.length,
    keysCallsOver10msCpuWithGcInside: over10.filter(([, i]) => withGc[i]).length,
    keysCallsWithGcInside: withGc.filter(Boolean).length,
    longestKeysCallCpuMsWithoutGc: round(Math.max(...cpuWithoutGc)),
    gcPauses: gcs.length,
    longestGcPauseMs: round(Math.max(0, ...gcs.map((g) => g.end - g.start))),
    // perf_hooks constants: 1 minor (scavenge), 2 major (mark-compact), 4 incremental, 8 weak callbacks.
    gcPausesOver10ms: gcs
      .filter((g) => g.end - g.start > 10)
      .map((g) => ({ ms: round(g.end - g.start), kind: g.kind })),
    eventLoopDelayMaxMs: Math.round((delay.max / 1e6) * 100) / 100,
    eventLoopDelayP99Ms: Math.round((delay.percentile(99) / 1e6) * 100) / 100,
  };
  console.log(
    `  keys() calls: ${blocking.keysCalls}; longest ${blocking.longestKeysCallMs} ms wall, ` +
      `${blocking.longestKeysCallCpuMs} ms CPU (p99.9 ${blocking.keysCallCpuMs.p999} ms CPU), ` +
      `${blocking.keysCallsOver10msCpu} over 10 ms CPU (${blocking.keysCallsOver10msCpuWithGcInside} with a ` +
      `garbage collection inside; longest without one ${blocking.longestKeysCallCpuMsWithoutGc} ms CPU; ` +
      `longest collection ${blocking.longestGcPauseMs} ms); event loop delay max ` +
      `${blocking.eventLoopDelayMaxMs} ms, p99 ${blocking.eventLoopDelayP99Ms} ms`,
  );
  writeResult(`${suite}-blocking`, blocking);
}
