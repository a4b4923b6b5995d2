/**
 * The statistics wrapper: counts calls, hits, misses and errors per collection and operation.
 * @module
 */
import {
  type AsyncKeyValue,
  type CollectionOptions,
  DEFAULT_COLLECTION,
  type JsonObject,
  type KeysOptions,
  type KeysPage,
  type PutOptions,
  type TtlResult,
} from '../contract.js';
import { OAuthKVError } from '../errors.js';
import type { StoreOperation } from './base.js';
import { WrapperStore } from './base.js';

/**
 * Counters of one operation.
 *
 * @example
 * ```ts
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
 * const snap: StatisticsSnapshot = stats.statistics();
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

/** Marks operations that address no collection. */
const NONE = Symbol('no collection');

/**
 * Counts, per collection and operation, calls, hits, misses and errors, for dashboards and
 * tests ("how many token lookups miss?"). Keys and values are never recorded. `statistics()`
 * returns a snapshot (a copy); `reset()` starts counting again. Counters are in-process and kept
 * for every collection name seen, so a store addressed with unbounded collection names grows them.
 *
 * @example
 * ```ts
 * import { MemoryStore, StatisticsWrapper } from 'oauth-kv';
 *
 * const store = new StatisticsWrapper(new MemoryStore());
 * await store.get('missing');
 * store.statistics().totals.get; // { calls: 1, hits: 0, misses: 1, errors: 0, errorCodes: {} }
 * ```
 */
export class StatisticsWrapper extends WrapperStore {
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

  override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#count(
      'get',
      options?.collection,
      () => this.inner.get(key, options),
      (v) => found([v]),
    );
  }
  override getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    return this.#count('getMany', options?.collection, () => this.inner.getMany(keys, options), found);
  }
  override ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.#count(
      'ttl',
      options?.collection,
      () => this.inner.ttl(key, options),
      (r) => found([r.value]),
    );
  }
  override ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.#count(
      'ttlMany',
      options?.collection,
      () => this.inner.ttlMany(keys, options),
      (rs) => found(rs.map((r) => r.value)),
    );
  }
  override put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.#count('put', options?.collection, () => this.inner.put(key, value, options));
  }
  override putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.#count('putMany', options?.collection, () => this.inner.putMany(entries, options));
  }
  override delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.#count(
      'delete',
      options?.collection,
      () => this.inner.delete(key, options),
      (d) => (d ? [1, 0] : [0, 1]),
    );
  }
  override deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    const requested = Array.isArray(keys) ? new Set(keys).size : 0;
    return this.#count(
      'deleteMany',
      options?.collection,
      () => this.inner.deleteMany(keys, options),
      (n) => [n, Math.max(0, requested - n)],
    );
  }
  override take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#count(
      'take',
      options?.collection,
      () => this.inner.take(key, options),
      (v) => found([v]),
    );
  }
  override putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.#count(
      'putIfAbsent',
      options?.collection,
      () => this.inner.putIfAbsent(key, value, options),
      (w) => (w ? [1, 0] : [0, 1]),
    );
  }
  override keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.#count('keys', collection, () => this.inner.keys(collection, options));
  }
  override collections(): Promise<string[]> {
    return this.#count('collections', NONE, () => this.inner.collections());
  }
  override destroyCollection(collection: string): Promise<boolean> {
    return this.#count('destroyCollection', collection, () => this.inner.destroyCollection(collection));
  }
  override cull(): Promise<number> {
    return this.#count('cull', NONE, () => this.inner.cull());
  }

  async #count<T>(
    operation: StoreOperation,
    collection: unknown,
    start: () => Promise<T>,
    classify?: (result: T) => [hits: number, misses: number],
  ): Promise<T> {
    // Counters are taken now, so a reset() while the call runs does not resurrect old maps.
    const targets = [this.#totals];
    const name = collection === undefined ? DEFAULT_COLLECTION : collection;
    // Collection-less operations (NONE) and invalid names count in the totals only.
    if (typeof name === 'string') {
      let counters = this.#byCollection.get(name);
      if (counters === undefined) {
        counters = new Map();
        this.#byCollection.set(name, counters);
      }
      targets.push(counters);
    }
    const stats = targets.map((counters) => entry(counters, operation));
    for (const s of stats) s.calls++;
    try {
      const result = await start();
      if (classify) {
        const [hits, misses] = classify(result);
        for (const s of stats) {
          s.hits += hits;
          s.misses += misses;
        }
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
