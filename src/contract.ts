/**
 * The `AsyncKeyValue` contract that every oauth-kv store and wrapper implements.
 * The normative description is `docs/contract.md`.
 * @module
 */

/**
 * Any JSON value.
 *
 * @example
 * ```ts
 * import type { JsonValue } from 'oauth-kv';
 * const v: JsonValue = [1, 'two', { three: null }];
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A plain JSON object: what every store holds as a value.
 *
 * @example
 * ```ts
 * import type { JsonObject } from 'oauth-kv';
 * const client: JsonObject = { client_id: 'abc', redirect_uris: ['https://app.example/cb'] };
 * ```
 */
export type JsonObject = { [key: string]: JsonValue };

/**
 * The collection every operation uses when none is given (the same as py-key-value).
 *
 * @example
 * ```ts
 * import { DEFAULT_COLLECTION } from 'oauth-kv';
 * console.log(DEFAULT_COLLECTION); // "default_collection"
 * ```
 */
export const DEFAULT_COLLECTION = 'default_collection';

/**
 * Options of every read and delete.
 *
 * @example
 * ```ts
 * await store.get('client-1', { collection: 'clients' });
 * ```
 */
export interface CollectionOptions {
  /** The collection to address; defaults to {@link DEFAULT_COLLECTION}. */
  collection?: string | undefined;
}

/**
 * Options of `put`, `putMany` and `putIfAbsent`.
 *
 * @example
 * ```ts
 * await store.put('code-1', { client_id: 'c' }, { collection: 'codes', ttl: 300 });
 * ```
 */
export interface PutOptions extends CollectionOptions {
  /** Time to live in seconds: a finite number above 0, fractions allowed. `undefined`: no expiry. */
  ttl?: number | undefined;
}

/**
 * What `ttl()` returns: the value and its remaining lifetime.
 *
 * @example
 * ```ts
 * const { value, ttl } = await store.ttl('code-1', { collection: 'codes' });
 * if (value && ttl !== undefined) console.log(`expires in ${ttl.toFixed(1)} s`);
 * ```
 */
export interface TtlResult {
  /** The value, `undefined` when missing or expired. */
  value: JsonObject | undefined;
  /** Remaining seconds; `undefined` when the entry has no expiry or is missing. */
  ttl: number | undefined;
}

/**
 * Options of the paged `keys()` enumeration.
 *
 * @example
 * ```ts
 * let cursor: string | undefined;
 * do {
 *   const page = await store.keys('clients', { limit: 100, cursor });
 *   for (const key of page.keys) console.log(key);
 *   cursor = page.cursor;
 * } while (cursor !== undefined);
 * ```
 */
export interface KeysOptions {
  /** Most keys in one page (default 1000). */
  limit?: number | undefined;
  /** The `cursor` of the previous page; omit for the first page. */
  cursor?: string | undefined;
}

/**
 * One page of keys. Enumeration is complete when `cursor` is `undefined`.
 * A page may hold fewer than `limit` keys even when more follow.
 *
 * @example
 * ```ts
 * const { keys, cursor } = await store.keys('clients', { limit: 10 });
 * ```
 */
export interface KeysPage {
  /** Keys of unexpired entries, each at most once across all pages of one enumeration. */
  keys: string[];
  /** Opaque position for the next page; `undefined` when there is none. */
  cursor: string | undefined;
}

/**
 * What a store can do beyond the core operations. Every wrapper passes these through.
 *
 * @example
 * ```ts
 * if (store.capabilities.cull) setInterval(() => void store.cull(), 60_000);
 * ```
 */
export interface StoreCapabilities {
  /** `keys(collection, {limit, cursor})` pages through a collection. */
  readonly keys: boolean;
  /** `collections()` lists collections that hold entries. */
  readonly collections: boolean;
  /** `destroyCollection(collection)` deletes a whole collection. */
  readonly destroyCollection: boolean;
  /** `cull()` deletes expired entries (stores with native expiry may report 0). */
  readonly cull: boolean;
  /**
   * `take` and `putIfAbsent` are atomic across concurrent callers, processes and store instances
   * on the same backing. When false they still work, but two racing callers may both win.
   */
  readonly atomic: boolean;
  /**
   * `increment(key, by, options)` adds to a counter in one atomic step across processes and store
   * instances on the same backing. Absent (or `false`) when the store or a wrapper in the stack
   * cannot: an encryption wrapper, for one, cannot add inside ciphertext.
   */
  readonly increment?: boolean;
}

/**
 * The member of a counter entry's value that {@link AsyncKeyValue.increment} adds to: a counter is
 * stored as the ordinary value `{ "count": n }`, so `get` reads it and py-key-value sees a normal entry.
 *
 * @example
 * ```ts
 * import { COUNTER_FIELD } from 'oauth-kv';
 * const n = (await store.get('hits', { collection: 'counters' }))?.[COUNTER_FIELD]; // a number
 * ```
 */
export const COUNTER_FIELD = 'count';

/**
 * The contract of every oauth-kv store and wrapper: JSON-object values addressed by
 * `(collection, key)`, with TTL, bulk operations and atomic `take` / `putIfAbsent`.
 *
 * @example
 * ```ts
 * import { MemoryStore, type AsyncKeyValue } from 'oauth-kv';
 *
 * const store: AsyncKeyValue = new MemoryStore();
 * await store.put('code-1', { client_id: 'c1' }, { collection: 'codes', ttl: 300 });
 * const code = await store.take('code-1', { collection: 'codes' }); // single use
 * ```
 */
export interface AsyncKeyValue {
  /** What this store supports beyond the core operations. */
  readonly capabilities: StoreCapabilities;

  /** The value stored under `key`, or `undefined` when missing or expired. Always a fresh object. */
  get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined>;
  /** Values in the order of `keys` (duplicates allowed), `undefined` for missing ones. */
  getMany(keys: readonly string[], options?: CollectionOptions): Promise<(JsonObject | undefined)[]>;
  /** The value with its remaining lifetime in seconds. */
  ttl(key: string, options?: CollectionOptions): Promise<TtlResult>;
  /** {@link AsyncKeyValue.ttl} for many keys, in order. */
  ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]>;
  /** Stores `value` under `key`, replacing what was there. */
  put(key: string, value: JsonObject, options?: PutOptions): Promise<void>;
  /** Stores many entries with one TTL; a later duplicate key wins. An empty batch is a no-op. */
  putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions): Promise<void>;
  /** Deletes `key`; `true` when an unexpired entry existed. */
  delete(key: string, options?: CollectionOptions): Promise<boolean>;
  /** Deletes many keys; the number of unexpired entries deleted. */
  deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number>;
  /**
   * Atomic get-and-delete: of all concurrent callers, across processes and instances on the same
   * backing, exactly one receives the value.
   */
  take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined>;
  /** Atomically writes only when no unexpired entry exists; `true` when written. */
  putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean>;

  /**
   * Optional ({@link StoreCapabilities.increment}): atomically adds `by` (a safe integer, default 1)
   * to the counter `key` and returns the new count. An absent or expired counter is created holding
   * `by`, with `options.ttl`; later increments keep the expiry the counter was created with. An
   * existing value that is not a counter (`{ count: <number> }`) is a `ValidationError` and is left
   * as it is.
   */
  increment?(key: string, by?: number, options?: PutOptions): Promise<number>;

  /** Optional ({@link StoreCapabilities.keys}): one page of the keys of a collection. */
  keys(collection?: string, options?: KeysOptions): Promise<KeysPage>;
  /** Optional ({@link StoreCapabilities.collections}): the collections that hold entries. */
  collections(): Promise<string[]>;
  /** Optional ({@link StoreCapabilities.destroyCollection}): deletes a collection; `true` if it held entries. */
  destroyCollection(collection: string): Promise<boolean>;
  /** Optional ({@link StoreCapabilities.cull}): deletes expired entries; how many were deleted. */
  cull(): Promise<number>;

  /**
   * Health check: one cheap round trip to the backend (PING, `SELECT … LIMIT 0`, one document
   * read), for readiness probes. Resolves when the backend answered; rejects with the error an
   * operation would get (`StoreConnectionError`, `StoreSetupError`, `StoreClosedError`, ...).
   */
  ping(): Promise<void>;

  /** Releases what the store created (connections, timers). A client passed in stays open. */
  close(): Promise<void>;
}
