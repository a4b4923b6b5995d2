/**
 * The retry wrapper: retries operations that failed because the backend could not be reached.
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
import { OAuthKVError } from '../errors.js';
import { WrapperStore } from './base.js';

/**
 * The name of a store operation, as reported by the retry, timeout and statistics wrappers.
 *
 * @example
 * ```ts
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
 * What {@link RetryOptions.onRetry} receives before each new attempt.
 *
 * @example
 * ```ts
 * const onRetry = (info: RetryInfo) => console.warn(`${info.operation}: attempt ${info.attempt + 1} in ${info.delayMs} ms`);
 * ```
 */
export interface RetryInfo {
  /** The operation being retried. */
  readonly operation: StoreOperation;
  /** How many attempts failed so far (1 before the first retry). */
  readonly attempt: number;
  /** How long the wrapper waits before the next attempt. */
  readonly delayMs: number;
  /** The `StoreConnectionError` (or `StoreTimeoutError`) of the failed attempt. */
  readonly error: Error;
}

/**
 * Options of {@link RetryWrapper}.
 *
 * @example
 * ```ts
 * const options: RetryOptions = { retries: 5, baseDelayMs: 100, maxDelayMs: 5_000 };
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; `0` turns retrying off). */
  retries?: number | undefined;
  /** Delay cap of the first retry in ms (default 50); the cap doubles with each retry. */
  baseDelayMs?: number | undefined;
  /** Largest delay in ms (default 2 000). */
  maxDelayMs?: number | undefined;
  /** Called before each retry (for logs and metrics; it receives no stored value). */
  onRetry?: ((info: RetryInfo) => void) | undefined;
  /**
   * Also retry `take` and `putIfAbsent` (default `false`). A connection failure is ambiguous: the
   * first attempt may have taken effect before the connection dropped. A retried `take` then
   * finds nothing (the value is lost to every caller), and a retried `putIfAbsent` answers
   * `false` although this caller's write is the one stored. Leave this off for authorization
   * codes and replay detection; the error reaches the caller, who can decide.
   */
  retryNonIdempotent?: boolean | undefined;
  /** Source of jitter in `[0, 1)` (default `Math.random`). */
  random?: (() => number) | undefined;
}

/**
 * `true` for errors a retry may cure: `StoreConnectionError` and `StoreTimeoutError` (matched by
 * their stable `code`, so copies of the package from different installs agree).
 *
 * @example
 * ```ts
 * import { isRetryableError } from 'oauth-kv';
 * try { await store.get('k'); } catch (err) { if (isRetryableError(err)) scheduleRetry(); }
 * ```
 */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof OAuthKVError)
    return error.code === 'STORE_CONNECTION' || error.code === 'STORE_TIMEOUT';
  if (!(error instanceof Error) || !('code' in error)) return false;
  return (
    error.name.startsWith('Store') && (error.code === 'STORE_CONNECTION' || error.code === 'STORE_TIMEOUT')
  );
}

/**
 * Retries an operation that failed with `StoreConnectionError` (including `StoreTimeoutError`),
 * with exponential backoff and full jitter: before retry `n` it waits a random time in
 * `[0, min(maxDelayMs, baseDelayMs * 2^(n-1)))`. Any other error (validation, serialization,
 * decryption, read-only, ...) is thrown at once.
 *
 * Idempotence: reads, `put`, `putMany`, `keys`, `collections` and `cull` are safe to repeat.
 * `delete`, `deleteMany` and `destroyCollection` are retried too; their effect is the same, but after
 * an ambiguous failure the result may understate what was deleted. `take` and `putIfAbsent` are
 * not retried unless `retryNonIdempotent` is set (see there why).
 *
 * @example
 * ```ts
 * import { RetryWrapper } from 'oauth-kv';
 *
 * const store = new RetryWrapper(redisStore, { retries: 4, onRetry: (i) => console.warn(i.operation, i.attempt) });
 * ```
 */
export class RetryWrapper extends WrapperStore {
  readonly #retries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  readonly #retryNonIdempotent: boolean;
  readonly #random: () => number;

  constructor(inner: AsyncKeyValue, options: RetryOptions = {}) {
    super(inner);
    const retries = options.retries ?? 3;
    if (!Number.isSafeInteger(retries) || retries < 0) {
      throw new RangeError('Retry: retries must be an integer of 0 or more');
    }
    const base = options.baseDelayMs ?? 50;
    const max = options.maxDelayMs ?? 2000;
    if (!Number.isFinite(base) || base < 0) throw new RangeError('Retry: baseDelayMs must be 0 or more');
    if (!Number.isFinite(max) || max < 0) throw new RangeError('Retry: maxDelayMs must be 0 or more');
    this.#retries = retries;
    this.#baseDelayMs = base;
    this.#maxDelayMs = max;
    this.#onRetry = options.onRetry;
    this.#retryNonIdempotent = options.retryNonIdempotent ?? false;
    this.#random = options.random ?? Math.random;
  }

  override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#run('get', () => this.inner.get(key, options));
  }
  override getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    return this.#run('getMany', () => this.inner.getMany(keys, options));
  }
  override ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.#run('ttl', () => this.inner.ttl(key, options));
  }
  override ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.#run('ttlMany', () => this.inner.ttlMany(keys, options));
  }
  override put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.#run('put', () => this.inner.put(key, value, options));
  }
  override putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.#run('putMany', () => this.inner.putMany(entries, options));
  }
  override delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.#run('delete', () => this.inner.delete(key, options));
  }
  override deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.#run('deleteMany', () => this.inner.deleteMany(keys, options));
  }
  override take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const take = () => this.inner.take(key, options);
    return this.#retryNonIdempotent ? this.#run('take', take) : take();
  }
  override putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const put = () => this.inner.putIfAbsent(key, value, options);
    return this.#retryNonIdempotent ? this.#run('putIfAbsent', put) : put();
  }
  override keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.#run('keys', () => this.inner.keys(collection, options));
  }
  override collections(): Promise<string[]> {
    return this.#run('collections', () => this.inner.collections());
  }
  override destroyCollection(collection: string): Promise<boolean> {
    return this.#run('destroyCollection', () => this.inner.destroyCollection(collection));
  }
  override cull(): Promise<number> {
    return this.#run('cull', () => this.inner.cull());
  }

  async #run<T>(operation: StoreOperation, attempt: () => Promise<T>): Promise<T> {
    for (let failed = 0; ; failed++) {
      try {
        return await attempt();
      } catch (error) {
        if (failed >= this.#retries || !isRetryableError(error)) throw error;
        const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** failed);
        const delayMs = Math.floor(this.#random() * cap);
        this.#onRetry?.({ operation, attempt: failed + 1, delayMs, error: error as Error });
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}

/**
 * Wraps `store` in a {@link RetryWrapper}.
 *
 * @example
 * ```ts
 * import { withRetry } from 'oauth-kv';
 *
 * const store = withRetry(postgresStore, { retries: 3 });
 * ```
 */
export function withRetry(store: AsyncKeyValue, options: RetryOptions = {}): RetryWrapper {
  return new RetryWrapper(store, options);
}
