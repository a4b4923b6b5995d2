/**
 * The MCP SDK 2.x client's `ResponseCacheStore` (cached server responses, SEP-2549) on any oauth-kv
 * store, so several client processes or replicas share one cache. The store owns the stamp counter:
 * here an atomic `increment` on a store that offers it, so stamps stay strictly increasing and unique
 * across processes.
 * @module
 */
import type { CacheEntry, CacheKey, CacheScope, ResponseCacheStore } from '@modelcontextprotocol/client';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DeserializationError, NotSupportedError, StoreSetupError } from '../errors.js';
import { validateTtl } from '../validation.js';

/**
 * Options of {@link McpResponseCacheStore}.
 *
 * @example
 * ```ts
 * import type { McpResponseCacheStoreOptions } from 'oauth-kv/mcp-v2';
 * const options: McpResponseCacheStoreOptions = { store, collection: 'my-mcp-cache', entryTtl: 3600 };
 * ```
 */
export interface McpResponseCacheStoreOptions {
  /** Where the cached responses live (may be wrapped with `withEncryption`: responses can be private). */
  store: AsyncKeyValue;
  /**
   * Where the stamp counter lives; needs the atomic `increment` capability (MemoryStore, FileStore,
   * RedisStore, PostgresStore). Default: `store`. An encrypting wrapper cannot increment: pass the
   * unencrypted store under it here (a counter is no secret).
   */
  counters?: AsyncKeyValue | undefined;
  /**
   * Declares that one process uses the cache: a store without `increment` is then accepted and the
   * stamps come from a counter in this process (strictly increasing here, seeded by the clock).
   */
  singleProcess?: boolean | undefined;
  /** Collection of the entries (default `"mcp-response-cache"`; the counter uses `<collection>-stamp`). */
  collection?: string | undefined;
  /**
   * Lifetime of an entry in the store, in seconds after its write (default 86 400, the SDK's longest
   * cache lifetime). Freshness is the client's decision (`expiresAt`); this only bounds the storage.
   */
  entryTtl?: number | undefined;
}

const STAMP_KEY = 'stamp';

function keyOf(key: CacheKey): string {
  return JSON.stringify([key.method, key.params ?? '', key.partition ?? '']);
}

/**
 * The 2.x SDK's `ResponseCacheStore` on an oauth-kv store: pass it as the `Client`'s
 * `responseCacheStore` in every process that should share the cache. Entries are stored as given
 * (`value`, `expiresAt`, `scope`) with the store-generated `stamp`, which comes from the store's
 * atomic `increment`, so stamps are unique and strictly increasing across processes. A store stack
 * without `increment` is refused with `StoreSetupError` unless `singleProcess` is declared.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/client';
 * import { McpResponseCacheStore } from 'oauth-kv/mcp-v2';
 *
 * const responseCacheStore = new McpResponseCacheStore({ store: redisStore });
 * const client = new Client({ name: 'agent', version: '1.0.0' }, { responseCacheStore });
 * ```
 */
export class McpResponseCacheStore implements ResponseCacheStore {
  readonly #store: AsyncKeyValue;
  readonly #counter: AsyncKeyValue | undefined;
  readonly #collection: string;
  readonly #stampCollection: string;
  readonly #ttl: number;
  #local = 0;

  constructor(options: McpResponseCacheStoreOptions) {
    if (typeof options !== 'object' || options === null || typeof options.store?.get !== 'function') {
      throw new StoreSetupError('McpResponseCacheStore needs a store');
    }
    if (options.singleProcess !== undefined && typeof options.singleProcess !== 'boolean') {
      throw new StoreSetupError('singleProcess must be a boolean');
    }
    const counter = options.counters ?? options.store;
    const atomic = counter.capabilities.increment === true && typeof counter.increment === 'function';
    if (!atomic && options.singleProcess !== true) {
      throw new StoreSetupError(
        'McpResponseCacheStore needs a store with the atomic increment capability for its stamp counter (MemoryStore, FileStore, RedisStore, PostgresStore; an encryption wrapper has none: pass the store under it as counters), or singleProcess: true',
      );
    }
    const collection = options.collection ?? 'mcp-response-cache';
    if (typeof collection !== 'string' || collection === '') {
      throw new StoreSetupError('collection must be a non-empty string');
    }
    const ttl = options.entryTtl ?? 86_400;
    validateTtl(ttl);
    this.#store = options.store;
    this.#counter = atomic ? counter : undefined;
    this.#collection = collection;
    this.#stampCollection = `${collection}-stamp`;
    this.#ttl = ttl;
  }

  /**
   * The entry under `key`, or `undefined`.
   *
   * @example
   * ```ts
   * const entry = await cache.get({ method: 'tools/list' });
   * ```
   */
  async get(key: CacheKey): Promise<CacheEntry | undefined> {
    const raw = await this.#store.get(keyOf(key), { collection: this.#collection });
    if (raw === undefined) return undefined;
    if (typeof raw.value !== 'string' || typeof raw.stamp !== 'number') {
      throw new DeserializationError('A stored MCP response cache entry has no value or stamp');
    }
    return {
      value: raw.value,
      stamp: raw.stamp,
      ...(typeof raw.expiresAt === 'number' ? { expiresAt: raw.expiresAt } : {}),
      ...(raw.scope === 'public' || raw.scope === 'private' ? { scope: raw.scope as CacheScope } : {}),
    };
  }

  /**
   * Writes `entry` under `key` with a new stamp and returns the stamp.
   *
   * @example
   * ```ts
   * const stamp = await cache.set({ method: 'tools/list' }, { value: '{"tools":[]}', expiresAt: Date.now() + 60_000 });
   * ```
   */
  async set(
    key: CacheKey,
    entry: { value: string; expiresAt?: number; scope?: CacheScope },
  ): Promise<number> {
    const stamp = await this.#nextStamp();
    const record: JsonObject = { value: entry.value, stamp };
    if (entry.expiresAt !== undefined) record.expiresAt = entry.expiresAt;
    if (entry.scope !== undefined) record.scope = entry.scope;
    await this.#store.put(keyOf(key), record, { collection: this.#collection, ttl: this.#ttl });
    return stamp;
  }

  /**
   * Drops the entry under `key`.
   *
   * @example
   * ```ts
   * await cache.delete({ method: 'resources/read', params: 'file:///a.txt' });
   * ```
   */
  async delete(key: CacheKey): Promise<void> {
    await this.#store.delete(keyOf(key), { collection: this.#collection });
  }

  /**
   * Drops every entry of `method` in every partition (needs the store's `keys` capability).
   *
   * @example
   * ```ts
   * await cache.evict('tools/list');
   * ```
   */
  async evict(method: string): Promise<void> {
    await this.#dropWhere((k) => {
      try {
        return (JSON.parse(k) as unknown[])[0] === method;
      } catch {
        return false;
      }
    });
  }

  /**
   * Drops every entry (the stamp counter keeps counting, so stamps never repeat).
   *
   * @example
   * ```ts
   * await cache.clear();
   * ```
   */
  async clear(): Promise<void> {
    if (this.#store.capabilities.destroyCollection) {
      await this.#store.destroyCollection(this.#collection);
      return;
    }
    await this.#dropWhere(() => true);
  }

  async #dropWhere(match: (key: string) => boolean): Promise<void> {
    if (!this.#store.capabilities.keys) throw new NotSupportedError('keys', this.#store.constructor.name);
    const doomed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.keys(this.#collection, { cursor, limit: 1000 });
      for (const k of page.keys) if (match(k)) doomed.push(k);
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (doomed.length > 0) await this.#store.deleteMany(doomed, { collection: this.#collection });
  }

  async #nextStamp(): Promise<number> {
    const counter = this.#counter;
    if (counter?.increment !== undefined) {
      return counter.increment(STAMP_KEY, 1, { collection: this.#stampCollection });
    }
    this.#local = Math.max(this.#local + 1, Date.now());
    return this.#local;
  }
}
