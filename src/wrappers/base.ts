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
}
