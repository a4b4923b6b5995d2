/**
 * The timeout wrapper: a time limit for each operation.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { StoreSetupError, StoreTimeoutError } from '../errors.js';
import { InterceptingWrapper, STORE_OPERATIONS, type StoreCall, type StoreOperation } from './base.js';

/**
 * Options of {@link TimeoutWrapper}.
 *
 * @example
 * ```ts
 * const options: TimeoutOptions = { timeoutMs: 2_000, operations: { destroyCollection: 30_000 } };
 * ```
 */
export interface TimeoutOptions {
  /** Limit of every operation in ms: a finite number above 0. */
  timeoutMs: number;
  /** Limits of single operations, in ms, overriding `timeoutMs`. */
  operations?: Partial<Record<StoreOperation, number>> | undefined;
}

/**
 * Rejects an operation that takes longer than its limit with `StoreTimeoutError` (a kind of
 * `StoreConnectionError`, so the retry and fallback wrappers treat it the same way). The message
 * names the operation and the limit, never a key or value.
 *
 * The wrapped operation is not cancelled: it may still complete after the timeout. For writes,
 * `take` and `putIfAbsent` a timeout is therefore ambiguous (the write may or may not have
 * happened), exactly like a dropped connection. `close()` has no limit.
 *
 * @example
 * ```ts
 * import { type TimeoutWrapper, withTimeout } from 'oauth-kv';
 *
 * const store: TimeoutWrapper = withTimeout(firestoreStore, { timeoutMs: 2_000 });
 * await store.get('k'); // StoreTimeoutError: get did not complete within 2000 ms
 * ```
 */
export class TimeoutWrapper extends InterceptingWrapper {
  readonly #timeoutMs: number;
  readonly #operations: Partial<Record<StoreOperation, number>>;

  constructor(inner: AsyncKeyValue, options: TimeoutOptions) {
    super(inner);
    checkLimit(options?.timeoutMs, 'timeoutMs');
    const operations: Partial<Record<StoreOperation, number>> = {};
    for (const [name, ms] of Object.entries(options.operations ?? {})) {
      if (!STORE_OPERATIONS.has(name as StoreOperation))
        throw new StoreSetupError(`Timeout: unknown operation ${JSON.stringify(name)}`);
      checkLimit(ms, `operations.${name}`);
      operations[name as StoreOperation] = ms;
    }
    this.#timeoutMs = options.timeoutMs;
    this.#operations = operations;
  }

  protected intercept<T>(call: StoreCall<T>): Promise<T> {
    const { operation } = call;
    const ms = this.#operations[operation] ?? this.#timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StoreTimeoutError(`${operation} did not complete within ${ms} ms`));
      }, ms);
      let pending: Promise<T>;
      try {
        pending = call.run();
      } catch (error) {
        clearTimeout(timer);
        reject(error);
        return;
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

function checkLimit(ms: unknown, name: string): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > 2_147_483_647) {
    throw new StoreSetupError(`Timeout: ${name} must be a number of milliseconds above 0 (at most 2^31-1)`);
  }
}

/**
 * Wraps `store` in a {@link TimeoutWrapper}.
 *
 * @example
 * ```ts
 * import { withTimeout } from 'oauth-kv';
 *
 * const store = withTimeout(redisStore, { timeoutMs: 1_000 });
 * ```
 */
export function withTimeout(store: AsyncKeyValue, options: TimeoutOptions): TimeoutWrapper {
  return new TimeoutWrapper(store, options);
}
