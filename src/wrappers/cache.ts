/**
 * The read-through cache wrapper: a fast store in front of a slow one.
 * @module
 */

import type { AsyncKeyValue, CollectionOptions, JsonObject, PutOptions } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { validateName } from '../validation.js';
import { batchArgs, keyArgs, manyArgs, writeArgs } from './args.js';
import { incrementOn, WrapperStore } from './base.js';

/**
 * Options of {@link CacheWrapper}.
 *
 * @example
 * ```ts
 * const options: CacheOptions = { cache: new MemoryStore({ maxEntriesPerCollection: 10_000 }), maxTtl: 60 };
 * ```
 */
export interface CacheOptions {
  /** The cache store (for example a bounded `MemoryStore`). Needs `destroyCollection`. */
  cache: AsyncKeyValue;
  /**
   * Longest time in seconds an entry stays in the cache (default: as long as it lives in the
   * backing store). Set it when other processes write to the backing store without going through
   * this wrapper: it bounds how long their changes stay invisible here.
   */
  maxTtl?: number | undefined;
}

/** Fills shorter than this many seconds of remaining life are not worth caching. */
const MIN_FILL_TTL = 0.001;

/**
 * A read-through cache: `get` and `getMany` are served from the cache store when it holds the
 * key (an empty object `{}` is a hit, not a miss); misses are read from the backing store with
 * their remaining TTL and written to the cache with that TTL (never longer than the backing
 * entry lives; capped by `maxTtl`). `ttl`/`ttlMany`, `keys` and `collections` always read the
 * backing store, so reported lifetimes are exact.
 *
 * Every write through this wrapper (`put`, `putMany`, `delete`, `deleteMany`, `take`,
 * `putIfAbsent`, `destroyCollection`) writes the backing store and invalidates the cache.
 * `take` and `putIfAbsent` run on the backing store, so their atomicity is the backing store's.
 * Concurrent reads and writes within this process never leave a stale value in the cache (a fill
 * that raced with a write is discarded). Writes by other processes are not seen until the cached
 * entry expires: bound that with `maxTtl`, or share one cache store between the processes.
 * `close()` closes the backing and the cache store.
 *
 * @example
 * ```ts
 * import { type CacheWrapper, MemoryStore, withCache } from 'oauth-kv';
 *
 * const store: CacheWrapper = withCache(postgresStore, { cache: new MemoryStore({ maxEntriesPerCollection: 5_000 }), maxTtl: 30 });
 * await store.get('client-1', { collection: 'clients' }); // from PostgreSQL, then cached
 * await store.get('client-1', { collection: 'clients' }); // from memory
 * ```
 */
export class CacheWrapper extends WrapperStore {
  readonly #cache: AsyncKeyValue;
  readonly #maxTtl: number | undefined;
  /** Bumped before and after every write, so fills that raced with a write can be discarded. */
  #generation = 0;

  constructor(backing: AsyncKeyValue, options: CacheOptions) {
    super(backing);
    const cache = options?.cache;
    if (typeof cache !== 'object' || cache === null || typeof cache.get !== 'function') {
      throw new StoreSetupError('Cache: options.cache must be a store');
    }
    if (cache === backing) throw new StoreSetupError('Cache: the cache must not be the backing store itself');
    if (!cache.capabilities.destroyCollection) {
      throw new StoreSetupError(
        'Cache: the cache store must support destroyCollection (to invalidate collections)',
      );
    }
    const maxTtl = options.maxTtl;
    if (maxTtl !== undefined && (typeof maxTtl !== 'number' || !Number.isFinite(maxTtl) || maxTtl <= 0)) {
      throw new StoreSetupError('Cache: maxTtl must be a finite number of seconds above 0');
    }
    this.#cache = cache;
    this.#maxTtl = maxTtl;
  }

  override async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const { key: k, collection } = keyArgs(key, options);
    const cached = await this.#cache.get(k, { collection });
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const { value, ttl } = await this.inner.ttl(k, { collection });
    if (value !== undefined) await this.#fill(collection, [[k, value, ttl]], generation);
    return value;
  }

  override async getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    const { keys: list, collection } = manyArgs(keys, options);
    const results = await this.#cache.getMany(list, { collection });
    const missing = [...new Set(list.filter((_, i) => results[i] === undefined))];
    if (missing.length === 0) return results;
    const generation = this.#generation;
    const loaded = await this.inner.ttlMany(missing, { collection });
    const byKey = new Map(missing.map((key, i) => [key, loaded[i]]));
    const fills: [string, JsonObject, number | undefined][] = [];
    const used = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      if (results[i] !== undefined) continue;
      const key = list[i] as string;
      const found = byKey.get(key);
      if (found?.value === undefined) continue;
      if (used.has(key)) {
        results[i] = structuredClone(found.value); // duplicates never share one object
      } else {
        used.add(key);
        results[i] = found.value;
        fills.push([key, found.value, found.ttl]);
      }
    }
    if (fills.length > 0) await this.#fill(collection, fills, generation);
    return results;
  }

  override async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    const a = writeArgs(key, options);
    return this.#write(a.collection, [a.key], (o) => this.inner.put(a.key, value, { ...o, ttl: a.ttl }));
  }

  override async putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    const a = batchArgs(entries, options);
    const pairs = a.entries as ReadonlyArray<readonly [string, JsonObject]>;
    const keys = pairs.map(([key]) => key);
    return this.#write(a.collection, keys, (o) => this.inner.putMany(pairs, { ...o, ttl: a.ttl }));
  }

  override async delete(key: string, options?: CollectionOptions): Promise<boolean> {
    const a = keyArgs(key, options);
    return this.#write(a.collection, [a.key], (o) => this.inner.delete(a.key, o));
  }

  override async deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    const a = manyArgs(keys, options);
    return this.#write(a.collection, a.keys, (o) => this.inner.deleteMany(a.keys, o));
  }

  override async take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const a = keyArgs(key, options);
    return this.#write(a.collection, [a.key], (o) => this.inner.take(a.key, o));
  }

  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const a = writeArgs(key, options);
    return this.#write(a.collection, [a.key], (o) =>
      this.inner.putIfAbsent(a.key, value, { ...o, ttl: a.ttl }),
    );
  }

  /**
   * The backing store's atomic `increment`, then the counter is dropped from the cache (the next
   * `get` reads the new count).
   */
  async increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    const a = writeArgs(key, options);
    return this.#write(a.collection, [a.key], (o) =>
      incrementOn(this.inner, a.key, by, { ...o, ttl: a.ttl }),
    );
  }

  override async destroyCollection(collection: string): Promise<boolean> {
    validateName(collection, 'collection');
    this.#generation++;
    try {
      return await this.inner.destroyCollection(collection);
    } finally {
      this.#generation++;
      await this.#cache.destroyCollection(collection);
    }
  }

  override async cull(): Promise<number> {
    const culled = await this.inner.cull();
    if (this.#cache.capabilities.cull) await this.#cache.cull();
    return culled;
  }

  override async close(): Promise<void> {
    const results = await Promise.allSettled([this.inner.close(), this.#cache.close()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  /**
   * Runs the backing write, then invalidates the cached keys (also when the write failed: a failed
   * write may still have happened). The generation is bumped before and after, so a fill that read
   * the backing store while the write was under way is discarded. Arguments arrive validated.
   */
  async #write<T>(
    collection: string,
    keys: readonly string[],
    run: (options: { collection: string }) => Promise<T>,
  ): Promise<T> {
    const unique = [...new Set(keys)];
    this.#generation++;
    try {
      return await run({ collection });
    } finally {
      this.#generation++;
      if (unique.length > 0) await this.#cache.deleteMany(unique, { collection });
    }
  }

  async #fill(
    collection: string,
    entries: ReadonlyArray<readonly [string, JsonObject, number | undefined]>,
    generation: number,
  ): Promise<void> {
    if (generation !== this.#generation) return; // a write ran meanwhile: what we read may be stale
    const written: string[] = [];
    const puts: Promise<void>[] = [];
    for (const [key, value, remaining] of entries) {
      let ttl = remaining;
      if (this.#maxTtl !== undefined && (ttl === undefined || ttl > this.#maxTtl)) ttl = this.#maxTtl;
      if (ttl !== undefined && ttl < MIN_FILL_TTL) continue;
      puts.push(this.#cache.put(key, value, { collection, ttl }));
      written.push(key);
    }
    await Promise.all(puts);
    // A write that started after the check above may have invalidated before our put landed.
    if (generation !== this.#generation && written.length > 0) {
      await this.#cache.deleteMany(written, { collection });
    }
  }
}

/**
 * Wraps `backing` in a read-through {@link CacheWrapper} using `options.cache`.
 *
 * @example
 * ```ts
 * import { MemoryStore, withCache } from 'oauth-kv';
 *
 * const store = withCache(firestoreStore, { cache: new MemoryStore(), maxTtl: 60 });
 * ```
 */
export function withCache(backing: AsyncKeyValue, options: CacheOptions): CacheWrapper {
  return new CacheWrapper(backing, options);
}
