/**
 * The fallback wrapper: uses a secondary store while the primary cannot be reached.
 * @module
 */
import type {
  AsyncKeyValue,
  CollectionOptions,
  JsonObject,
  KeysOptions,
  KeysPage,
  PutOptions,
  TtlResult,
} from '../contract.js';
import type { StoreOperation } from './base.js';
import { WrapperStore } from './base.js';
import { isRetryableError } from './retry.js';

/**
 * What {@link FallbackOptions.onFallback} receives each time the secondary store is used.
 *
 * @example
 * ```ts
 * const onFallback = (info: FallbackInfo) => metrics.increment(`kv.fallback.${info.operation}`);
 * ```
 */
export interface FallbackInfo {
  /** The operation that went to the secondary store. */
  readonly operation: StoreOperation;
  /** The primary's `StoreConnectionError` (or `StoreTimeoutError`). */
  readonly error: Error;
}

/**
 * Options of {@link FallbackWrapper}.
 *
 * @example
 * ```ts
 * const options: FallbackOptions = { writes: true, onFallback: (i) => console.warn('fallback', i.operation) };
 * ```
 */
export interface FallbackOptions {
  /**
   * Also send `put`, `putMany`, `delete`, `deleteMany`, `destroyCollection` and `cull` to the
   * secondary when the primary cannot be reached (default `false`: only reads fall back).
   */
  writes?: boolean | undefined;
  /**
   * Also send `take` and `putIfAbsent` to the secondary (default `false`). Their exactly-once
   * promise then holds only within each store: an authorization code stored in the primary can
   * be taken again once the primary is back, and a `putIfAbsent` that wins on the secondary does
   * not know what the primary holds. Leave off for codes, refresh tokens and replay detection.
   */
  atomic?: boolean | undefined;
  /** Called each time the secondary is used (it receives no key or value). */
  onFallback?: ((info: FallbackInfo) => void) | undefined;
}

/**
 * Sends each operation to the primary store and, when it fails with `StoreConnectionError`
 * (including `StoreTimeoutError`), repeats it on the secondary. Other errors (validation,
 * decryption, ...) are thrown as they are. Reads fall back always, writes with `writes: true`,
 * `take` / `putIfAbsent` only with `atomic: true`. `capabilities` are the primary's.
 *
 * Consistency caveats: the two stores are not synchronised. A read that falls back sees only what
 * the secondary holds (a copy you maintain, or nothing); a write that falls back is not in the
 * primary when it comes back, and a delete that falls back leaves the primary's entry alive. Use
 * it for availability of data that tolerates this (a replica for reads, a cache), not as a
 * replication mechanism. `close()` closes both stores.
 *
 * @example
 * ```ts
 * import { FallbackWrapper } from 'oauth-kv';
 *
 * const store = new FallbackWrapper(redisStore, replicaStore); // reads survive a Redis outage
 * ```
 */
export class FallbackWrapper extends WrapperStore {
  readonly #secondary: AsyncKeyValue;
  readonly #writes: boolean;
  readonly #atomic: boolean;
  readonly #onFallback: ((info: FallbackInfo) => void) | undefined;

  constructor(primary: AsyncKeyValue, secondary: AsyncKeyValue, options: FallbackOptions = {}) {
    super(primary);
    if (typeof secondary !== 'object' || secondary === null || typeof secondary.get !== 'function') {
      throw new TypeError('Fallback: the secondary must be a store');
    }
    this.#secondary = secondary;
    this.#writes = options.writes ?? false;
    this.#atomic = options.atomic ?? false;
    this.#onFallback = options.onFallback;
  }

  override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#run('get', true, (s) => s.get(key, options));
  }
  override getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    return this.#run('getMany', true, (s) => s.getMany(keys, options));
  }
  override ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.#run('ttl', true, (s) => s.ttl(key, options));
  }
  override ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.#run('ttlMany', true, (s) => s.ttlMany(keys, options));
  }
  override put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.#run('put', this.#writes, (s) => s.put(key, value, options));
  }
  override putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.#run('putMany', this.#writes, (s) => s.putMany(entries, options));
  }
  override delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.#run('delete', this.#writes, (s) => s.delete(key, options));
  }
  override deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.#run('deleteMany', this.#writes, (s) => s.deleteMany(keys, options));
  }
  override take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#run('take', this.#atomic, (s) => s.take(key, options));
  }
  override putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.#run('putIfAbsent', this.#atomic, (s) => s.putIfAbsent(key, value, options));
  }
  override keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.#run('keys', true, (s) => s.keys(collection, options));
  }
  override collections(): Promise<string[]> {
    return this.#run('collections', true, (s) => s.collections());
  }
  override destroyCollection(collection: string): Promise<boolean> {
    return this.#run('destroyCollection', this.#writes, (s) => s.destroyCollection(collection));
  }
  override cull(): Promise<number> {
    return this.#run('cull', this.#writes, (s) => s.cull());
  }
  override async close(): Promise<void> {
    const results = await Promise.allSettled([this.inner.close(), this.#secondary.close()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  async #run<T>(
    operation: StoreOperation,
    fallBack: boolean,
    call: (store: AsyncKeyValue) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(this.inner);
    } catch (error) {
      if (!fallBack || !isRetryableError(error)) throw error;
      this.#onFallback?.({ operation, error: error as Error });
      return call(this.#secondary);
    }
  }
}

/**
 * Wraps `primary` in a {@link FallbackWrapper} that falls back to `secondary`.
 *
 * @example
 * ```ts
 * import { withFallback } from 'oauth-kv';
 *
 * const store = withFallback(postgresStore, readReplicaStore, { writes: false });
 * ```
 */
export function withFallback(
  primary: AsyncKeyValue,
  secondary: AsyncKeyValue,
  options: FallbackOptions = {},
): FallbackWrapper {
  return new FallbackWrapper(primary, secondary, options);
}
