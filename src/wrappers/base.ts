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
import { NotSupportedError } from '../errors.js';
import { DERIVE_SECRETS, deriveStoreSecrets } from '../secrets.js';
import { peekCollection } from './args.js';

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
    const caps = this.inner.capabilities;
    // Only a wrapper that implements `increment` itself forwards it: one that transforms keys or
    // values (encryption, typed views) must not let an increment bypass it.
    if (caps.increment !== true || typeof (this as { increment?: unknown }).increment === 'function') {
      return caps;
    }
    return { ...caps, increment: false };
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
  /** Forwards the health check to the wrapped store (not intercepted, retried or cached). */
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** `close()` (this wrapper's, so what it closes too), for `await using store = withX(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
  | 'increment'
  | 'keys'
  | 'collections'
  | 'destroyCollection'
  | 'cull';

/** Every {@link StoreOperation}, in the contract's order. */
export const STORE_OPERATIONS: ReadonlySet<StoreOperation> = new Set<StoreOperation>([
  'get',
  'getMany',
  'ttl',
  'ttlMany',
  'put',
  'putMany',
  'delete',
  'deleteMany',
  'take',
  'putIfAbsent',
  'increment',
  'keys',
  'collections',
  'destroyCollection',
  'cull',
]);

/**
 * One call of a store operation as an {@link InterceptingWrapper} sees it: what is called, on
 * which collection, with which arguments, and a way to run it.
 *
 * @example
 * ```ts
 * import type { StoreCall } from 'oauth-kv';
 * const describe = (call: StoreCall<unknown>) => `${call.operation} on ${call.collection ?? '-'}`;
 * ```
 */
export interface StoreCall<T> {
  /** The operation called. */
  readonly operation: StoreOperation;
  /**
   * The collection it addresses (`"default_collection"` when the caller named none); `undefined`
   * for `collections()` and `cull()`, and when the caller's collection or options are malformed
   * (the store refuses those).
   */
  readonly collection: string | undefined;
  /** The caller's arguments, as given (keys and values: never log or record them). */
  readonly args: readonly unknown[];
  /** Runs the operation with the same arguments on `store` (default: the wrapped store). */
  run(store?: AsyncKeyValue): Promise<T>;
}

/**
 * A wrapper that runs every operation but `close()` through one hook, `intercept`, which receives
 * the call (operation, collection, arguments) and runs it, on the wrapped store or on another one.
 * Retry, timeout, statistics and fallback are built this way. Extend it and implement `intercept`
 * once instead of overriding fourteen methods.
 *
 * @example
 * ```ts
 * import { InterceptingWrapper, type StoreCall } from 'oauth-kv';
 *
 * class TimingStore extends InterceptingWrapper {
 *   protected async intercept<T>(call: StoreCall<T>): Promise<T> {
 *     const start = performance.now();
 *     try { return await call.run(); } finally { console.log(call.operation, performance.now() - start); }
 *   }
 * }
 * ```
 */
export abstract class InterceptingWrapper extends WrapperStore {
  /** Runs `call` (by default on the wrapped store) in whatever way the wrapper adds. */
  protected abstract intercept<T>(call: StoreCall<T>): Promise<T>;

  override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#call('get', options, [key, options], (s) => s.get(key, options));
  }
  override getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    return this.#call('getMany', options, [keys, options], (s) => s.getMany(keys, options));
  }
  override ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.#call('ttl', options, [key, options], (s) => s.ttl(key, options));
  }
  override ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.#call('ttlMany', options, [keys, options], (s) => s.ttlMany(keys, options));
  }
  override put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.#call('put', options, [key, value, options], (s) => s.put(key, value, options));
  }
  override putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.#call('putMany', options, [entries, options], (s) => s.putMany(entries, options));
  }
  override delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.#call('delete', options, [key, options], (s) => s.delete(key, options));
  }
  override deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.#call('deleteMany', options, [keys, options], (s) => s.deleteMany(keys, options));
  }
  override take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#call('take', options, [key, options], (s) => s.take(key, options));
  }
  override putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const args = [key, value, options];
    return this.#call('putIfAbsent', options, args, (s) => s.putIfAbsent(key, value, options));
  }
  /**
   * Runs the wrapped store's atomic `increment` through `intercept` (operation `'increment'`);
   * `NotSupportedError` when the store it runs on does not announce `capabilities.increment`.
   */
  increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    const args = [key, by, options];
    return this.#call('increment', options, args, (s) => incrementOn(s, key, by, options));
  }
  override keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    const where = { collection };
    return this.#call('keys', where, [collection, options], (s) => s.keys(collection, options));
  }
  override collections(): Promise<string[]> {
    return this.#call('collections', NONE, [], (s) => s.collections());
  }
  override destroyCollection(collection: string): Promise<boolean> {
    const where = { collection };
    return this.#call('destroyCollection', where, [collection], (s) => s.destroyCollection(collection));
  }
  override cull(): Promise<number> {
    return this.#call('cull', NONE, [], (s) => s.cull());
  }

  #call<T>(
    operation: StoreOperation,
    options: unknown,
    args: readonly unknown[],
    run: (store: AsyncKeyValue) => Promise<T>,
  ): Promise<T> {
    const collection = options === NONE ? undefined : peekCollection(options);
    return this.intercept({ operation, collection, args, run: (store = this.inner) => run(store) });
  }
}

/**
 * `store.increment(...)` when the store announces `capabilities.increment`; otherwise a rejected
 * `NotSupportedError` (the wrappers that forward `increment` never pass it to a store that did not
 * announce it).
 */
export function incrementOn(
  store: AsyncKeyValue,
  key: string,
  by: number | undefined,
  options: PutOptions | undefined,
): Promise<number> {
  if (store.increment === undefined || store.capabilities.increment !== true) {
    return Promise.reject(new NotSupportedError('increment', store.constructor.name));
  }
  return store.increment(key, by, options);
}

/** Marks operations that address no collection. */
const NONE = Symbol('no collection');
