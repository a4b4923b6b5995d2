/**
 * The base of every wrapper: a store that forwards each operation to the store it wraps.
 * @module
 */
import type {
  AsyncKeyValue,
  CollectionOptions,
  JsonObject,
  KeysOptions,
  KeysPage,
  PutOptions,
  StoreCapabilities,
  TtlResult,
} from '../contract.js';
import { DERIVE_SECRETS, deriveStoreSecrets } from '../secrets.js';

/**
 * Forwards every operation of the {@link AsyncKeyValue} contract to `inner`. Extend it and
 * override only what your wrapper changes; capabilities, `take`, `putIfAbsent` and the optional
 * operations pass through unchanged in meaning.
 *
 * @example
 * ```ts
 * import { WrapperStore, type JsonObject, type CollectionOptions } from 'oauth-kv';
 *
 * class LoggingStore extends WrapperStore {
 *   override async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
 *     console.log('get', options?.collection ?? 'default_collection'); // never log values
 *     return super.get(key, options);
 *   }
 * }
 * const store = new LoggingStore(new MemoryStore());
 * ```
 */
export class WrapperStore implements AsyncKeyValue {
  /** The wrapped store. */
  protected readonly inner: AsyncKeyValue;

  constructor(inner: AsyncKeyValue) {
    this.inner = inner;
  }

  get capabilities(): StoreCapabilities {
    return this.inner.capabilities;
  }

  get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.inner.get(key, options);
  }
  getMany(keys: readonly string[], options?: CollectionOptions): Promise<(JsonObject | undefined)[]> {
    return this.inner.getMany(keys, options);
  }
  ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.inner.ttl(key, options);
  }
  ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.inner.ttlMany(keys, options);
  }
  put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.inner.put(key, value, options);
  }
  putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions): Promise<void> {
    return this.inner.putMany(entries, options);
  }
  delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.inner.delete(key, options);
  }
  deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.inner.deleteMany(keys, options);
  }
  take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.inner.take(key, options);
  }
  putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, value, options);
  }
  keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.inner.keys(collection, options);
  }
  collections(): Promise<string[]> {
    return this.inner.collections();
  }
  destroyCollection(collection: string): Promise<boolean> {
    return this.inner.destroyCollection(collection);
  }
  cull(): Promise<number> {
    return this.inner.cull();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** Secrets derived from key material below this wrapper (see `DERIVE_SECRETS`). */
  [DERIVE_SECRETS](purpose: string): Uint8Array[] | undefined {
    return deriveStoreSecrets(this.inner, purpose);
  }
}

/**
 * The name of a store operation, as reported by the retry, timeout, statistics and fallback
 * wrappers.
 *
 * @example
 * ```ts
 * import type { StoreOperation } from 'oauth-kv';
 * const op: StoreOperation = 'putIfAbsent';
 * ```
 */
export type StoreOperation =
  | 'get'
  | 'getMany'
  | 'ttl'
  | 'ttlMany'
  | 'put'
  | 'putMany'
  | 'delete'
  | 'deleteMany'
  | 'take'
  | 'putIfAbsent'
  | 'keys'
  | 'collections'
  | 'destroyCollection'
  | 'cull';

/**
 * A wrapper that runs every operation but `close()` through one hook, `intercept`, with the
 * operation's name: the shape of the retry and timeout wrappers. Extend it and implement
 * `intercept` once instead of overriding fourteen methods.
 *
 * @example
 * ```ts
 * import { InterceptingWrapper, type StoreOperation } from 'oauth-kv';
 *
 * class TimingStore extends InterceptingWrapper {
 *   protected async intercept<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
 *     const start = performance.now();
 *     try { return await call(); } finally { console.log(operation, performance.now() - start); }
 *   }
 * }
 * ```
 */
export abstract class InterceptingWrapper extends WrapperStore {
  /** Runs `call` (the operation on the inner store) in whatever way the wrapper adds. */
  protected abstract intercept<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T>;

  override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.intercept('get', () => this.inner.get(key, options));
  }
  override getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    return this.intercept('getMany', () => this.inner.getMany(keys, options));
  }
  override ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.intercept('ttl', () => this.inner.ttl(key, options));
  }
  override ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.intercept('ttlMany', () => this.inner.ttlMany(keys, options));
  }
  override put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.intercept('put', () => this.inner.put(key, value, options));
  }
  override putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.intercept('putMany', () => this.inner.putMany(entries, options));
  }
  override delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.intercept('delete', () => this.inner.delete(key, options));
  }
  override deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.intercept('deleteMany', () => this.inner.deleteMany(keys, options));
  }
  override take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.intercept('take', () => this.inner.take(key, options));
  }
  override putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.intercept('putIfAbsent', () => this.inner.putIfAbsent(key, value, options));
  }
  override keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.intercept('keys', () => this.inner.keys(collection, options));
  }
  override collections(): Promise<string[]> {
    return this.intercept('collections', () => this.inner.collections());
  }
  override destroyCollection(collection: string): Promise<boolean> {
    return this.intercept('destroyCollection', () => this.inner.destroyCollection(collection));
  }
  override cull(): Promise<number> {
    return this.intercept('cull', () => this.inner.cull());
  }
}
