/**
 * The retry wrapper: retries operations that failed because the backend could not be reached.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { OAuthKVError, StoreSetupError } from '../errors.js';
import { InterceptingWrapper, type StoreCall, type StoreOperation } from './base.js';

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
   * Also retry `take`, `putIfAbsent` and `increment` (default `false`). A connection failure is ambiguous: the
   * first attempt may have taken effect before the connection dropped. A retried `take` then
   * finds nothing (the value is lost to every caller), and a retried `putIfAbsent` answers
   * `false` although this caller's write is the one stored, and a retried `increment` counts
   * twice. Leave this off for authorization codes, replay detection and rate limits; the error
   * reaches the caller, who can decide.
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
 * try { await store.get('k'); } catch (err) { if (isRetryableError(err)) console.warn('transient: try again later'); }
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
 * an ambiguous failure the result may understate what was deleted. `take`, `putIfAbsent` and
 * `increment` are not retried unless `retryNonIdempotent` is set (see there why).
 *
 * @example
 * ```ts
 * import { type RetryWrapper, withRetry } from 'oauth-kv';
 *
 * const store: RetryWrapper = withRetry(redisStore, { retries: 4, onRetry: (i) => console.warn(i.operation, i.attempt) });
 * ```
 */
export class RetryWrapper extends InterceptingWrapper {
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
      throw new StoreSetupError('Retry: retries must be an integer of 0 or more');
    }
    const base = options.baseDelayMs ?? 50;
    const max = options.maxDelayMs ?? 2000;
    if (!Number.isFinite(base) || base < 0) throw new StoreSetupError('Retry: baseDelayMs must be 0 or more');
    if (!Number.isFinite(max) || max < 0) throw new StoreSetupError('Retry: maxDelayMs must be 0 or more');
    this.#retries = retries;
    this.#baseDelayMs = base;
    this.#maxDelayMs = max;
    this.#onRetry = options.onRetry;
    this.#retryNonIdempotent = options.retryNonIdempotent ?? false;
    this.#random = options.random ?? Math.random;
  }

  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    const { operation } = call;
    // take, putIfAbsent and increment are not idempotent: a retry after an ambiguous failure can
    // lose a code, make two callers win or count twice, so they run once unless the user opted in.
    if (!this.#retryNonIdempotent && NOT_IDEMPOTENT.has(operation)) return call.run();
    for (let failed = 0; ; failed++) {
      try {
        return await call.run();
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

/** Operations a retry after an ambiguous failure could apply twice. */
const NOT_IDEMPOTENT: ReadonlySet<StoreOperation> = new Set<StoreOperation>([
  'take',
  'putIfAbsent',
  'increment',
]);

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
