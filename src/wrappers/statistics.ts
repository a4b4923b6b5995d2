/**
 * The statistics wrapper: counts calls, hits, misses and errors per collection and operation.
 * @module
 */
import type { AsyncKeyValue, TtlResult } from '../contract.js';
import { OAuthKVError } from '../errors.js';
import { InterceptingWrapper, type StoreCall, type StoreOperation } from './base.js';

/**
 * Counters of one operation.
 *
 * @example
 * ```ts
 * const stats = withStatistics(store).statistics();
 * const { calls, hits, misses, errors } = stats.collections.codes?.take ?? {};
 * ```
 */
export interface OperationStatistics {
  /** Calls, successful or not. */
  calls: number;
  /**
   * Keys found: by `get`, `getMany`, `ttl`, `ttlMany` and `take` (a value returned), `delete` and
   * `deleteMany` (an entry deleted), `putIfAbsent` (the value was written).
   */
  hits: number;
  /** Keys not found by the same operations (`putIfAbsent`: an entry was already there). */
  misses: number;
  /** Calls that threw. */
  errors: number;
  /** Errors by their `code` (`STORE_CONNECTION`, `INVALID_KEY`, ...; `OTHER` for foreign errors). */
  errorCodes: Record<string, number>;
}

/**
 * A snapshot of a {@link StatisticsWrapper}'s counters. Objects have no prototype, so any
 * collection name is a safe member name.
 *
 * @example
 * ```ts
 * const snap: StatisticsSnapshot = withStatistics(store).statistics();
 * console.log(snap.totals.get?.hits, snap.collections.clients?.get?.misses);
 * ```
 */
export interface StatisticsSnapshot {
  /** When counting started (construction or the last `reset()`), epoch ms. */
  since: number;
  /** Counters over all collections, by operation. */
  totals: Partial<Record<StoreOperation, OperationStatistics>>;
  /**
   * Counters by collection, then operation. `collections()` and `cull()` have no collection and
   * appear only in `totals`.
   */
  collections: Record<string, Partial<Record<StoreOperation, OperationStatistics>>>;
}

type Counters = Map<StoreOperation, OperationStatistics>;

/**
 * Counts, per collection and operation, calls, hits, misses and errors, for dashboards and
 * tests ("how many token lookups miss?"). Keys and values are never recorded. `statistics()`
 * returns a snapshot (a copy); `reset()` starts counting again. Counters are in-process and kept
 * for every collection name seen, so a store addressed with unbounded collection names grows them.
 *
 * @example
 * ```ts
 * import { MemoryStore, type StatisticsWrapper, withStatistics } from 'oauth-kv';
 *
 * const store: StatisticsWrapper = withStatistics(new MemoryStore());
 * await store.get('missing');
 * store.statistics().totals.get; // { calls: 1, hits: 0, misses: 1, errors: 0, errorCodes: {} }
 * ```
 */
export class StatisticsWrapper extends InterceptingWrapper {
  #since = Date.now();
  #totals: Counters = new Map();
  #byCollection = new Map<string, Counters>();

  /**
   * A copy of the counters.
   *
   * @example
   * ```ts
   * const { totals } = store.statistics();
   * const hitRate = (totals.get?.hits ?? 0) / Math.max(1, totals.get?.calls ?? 0);
   * ```
   */
  statistics(): StatisticsSnapshot {
    const collections = Object.create(null) as StatisticsSnapshot['collections'];
    for (const [name, counters] of this.#byCollection) collections[name] = copyCounters(counters);
    return { since: this.#since, totals: copyCounters(this.#totals), collections };
  }

  /**
   * Sets every counter back to zero.
   *
   * @example
   * ```ts
   * store.reset();
   * ```
   */
  reset(): void {
    this.#since = Date.now();
    this.#totals = new Map();
    this.#byCollection = new Map();
  }

  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    // Counters are taken now, so a reset() while the call runs does not resurrect old maps.
    const targets = [this.#totals];
    // Collection-less operations and malformed collections count in the totals only.
    if (call.collection !== undefined) {
      let counters = this.#byCollection.get(call.collection);
      if (counters === undefined) {
        counters = new Map();
        this.#byCollection.set(call.collection, counters);
      }
      targets.push(counters);
    }
    const stats = targets.map((counters) => entry(counters, call.operation));
    for (const s of stats) s.calls++;
    try {
      const result = await call.run();
      const [hits, misses] = hitsAndMisses(call.operation, call.args, result);
      for (const s of stats) {
        s.hits += hits;
        s.misses += misses;
      }
      return result;
    } catch (error) {
      const code = error instanceof OAuthKVError ? error.code : 'OTHER';
      for (const s of stats) {
        s.errors++;
        s.errorCodes[code] = (s.errorCodes[code] ?? 0) + 1;
      }
      throw error;
    }
  }
}

/** Keys found and not found by one call, from its operation, arguments and result. */
function hitsAndMisses(
  operation: StoreOperation,
  args: readonly unknown[],
  result: unknown,
): [number, number] {
  switch (operation) {
    case 'get':
    case 'take':
      return found([result]);
    case 'getMany':
      return found(result as unknown[]);
    case 'ttl':
      return found([(result as TtlResult).value]);
    case 'ttlMany':
      return found((result as TtlResult[]).map((r) => r.value));
    case 'delete':
    case 'putIfAbsent':
      return result ? [1, 0] : [0, 1];
    case 'deleteMany': {
      const requested = Array.isArray(args[0]) ? new Set(args[0]).size : 0;
      return [result as number, Math.max(0, requested - (result as number))];
    }
    default:
      return [0, 0];
  }
}

function found(values: readonly unknown[]): [number, number] {
  let hits = 0;
  for (const value of values) if (value !== undefined) hits++;
  return [hits, values.length - hits];
}

function entry(counters: Counters, operation: StoreOperation): OperationStatistics {
  let stats = counters.get(operation);
  if (stats === undefined) {
    stats = { calls: 0, hits: 0, misses: 0, errors: 0, errorCodes: Object.create(null) };
    counters.set(operation, stats);
  }
  return stats;
}

function copyCounters(counters: Counters): Partial<Record<StoreOperation, OperationStatistics>> {
  const out = Object.create(null) as Partial<Record<StoreOperation, OperationStatistics>>;
  for (const [operation, s] of counters) {
    out[operation] = { ...s, errorCodes: Object.assign(Object.create(null), s.errorCodes) };
  }
  return out;
}

/**
 * Wraps `store` in a {@link StatisticsWrapper}.
 *
 * @example
 * ```ts
 * import { withStatistics } from 'oauth-kv';
 *
 * const store = withStatistics(inner);
 * setInterval(() => console.log(store.statistics().totals), 60_000);
 * ```
 */
export function withStatistics(store: AsyncKeyValue): StatisticsWrapper {
  return new StatisticsWrapper(store);
}
