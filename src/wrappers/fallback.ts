/**
 * The fallback wrapper: uses a secondary store while the primary cannot be reached.
 * @module
 */

import type { AsyncKeyValue } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { InterceptingWrapper, type StoreCall, type StoreOperation } from './base.js';
import { isRetryableError } from './retry.js';

/**
 * What {@link FallbackOptions.onFallback} receives each time the secondary store is used.
 *
 * @example
 * ```ts
 * const onFallback = (info: FallbackInfo) => console.warn(`fallback store used for ${info.operation}`);
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
   * Also send `take`, `putIfAbsent` and `increment` to the secondary (default `false`). Their
   * exactly-once promise then holds only within each store: an authorization code stored in the
   * primary can be taken again once the primary is back, a `putIfAbsent` that wins on the
   * secondary does not know what the primary holds, and a counter on the secondary starts again
   * from zero (a rate limit lets more through). Leave off for codes, refresh tokens and replay detection.
   */
  atomic?: boolean | undefined;
  /** Called each time the secondary is used (it receives no key or value). */
  onFallback?: ((info: FallbackInfo) => void) | undefined;
}

/**
 * Sends each operation to the primary store and, when it fails with `StoreConnectionError`
 * (including `StoreTimeoutError`), repeats it on the secondary. Other errors (validation,
 * decryption, ...) are thrown as they are. Reads fall back always, writes with `writes: true`,
 * `take` / `putIfAbsent` / `increment` only with `atomic: true`. `capabilities` are the primary's.
 *
 * Consistency caveats: the two stores are not synchronised. A read that falls back sees only what
 * the secondary holds (a copy you maintain, or nothing); a write that falls back is not in the
 * primary when it comes back, and a delete that falls back leaves the primary's entry alive. Use
 * it for availability of data that tolerates this (a replica for reads, a cache), not as a
 * replication mechanism. `close()` closes both stores.
 *
 * @example
 * ```ts
 * import { type FallbackWrapper, withFallback } from 'oauth-kv';
 *
 * const store: FallbackWrapper = withFallback(redisStore, replicaStore); // reads survive a Redis outage
 * ```
 */
export class FallbackWrapper extends InterceptingWrapper {
  readonly #secondary: AsyncKeyValue;
  readonly #writes: boolean;
  readonly #atomic: boolean;
  readonly #onFallback: ((info: FallbackInfo) => void) | undefined;

  constructor(primary: AsyncKeyValue, secondary: AsyncKeyValue, options: FallbackOptions = {}) {
    super(primary);
    if (typeof secondary !== 'object' || secondary === null || typeof secondary.get !== 'function') {
      throw new StoreSetupError('Fallback: the secondary must be a store');
    }
    this.#secondary = secondary;
    this.#writes = options.writes ?? false;
    this.#atomic = options.atomic ?? false;
    this.#onFallback = options.onFallback;
  }

  override async close(): Promise<void> {
    const results = await Promise.allSettled([this.inner.close(), this.#secondary.close()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    try {
      return await call.run(this.inner);
    } catch (error) {
      if (!this.#fallsBack(call.operation) || !isRetryableError(error)) throw error;
      this.#onFallback?.({ operation: call.operation, error: error as Error });
      return call.run(this.#secondary);
    }
  }

  #fallsBack(operation: StoreOperation): boolean {
    if (operation === 'take' || operation === 'putIfAbsent' || operation === 'increment') {
      return this.#atomic;
    }
    return READS.has(operation) || this.#writes;
  }
}

/** Operations that only read: they always fall back. */
const READS: ReadonlySet<StoreOperation> = new Set<StoreOperation>([
  'get',
  'getMany',
  'ttl',
  'ttlMany',
  'keys',
  'collections',
]);

/**
 * Wraps `primary` in a {@link FallbackWrapper} that falls back to `secondary`.
 *
 * @example
 * ```ts
 * import { withFallback } from 'oauth-kv';
 *
 * const store = withFallback(postgresStore, replicaStore, { writes: false });
 * ```
 */
export function withFallback(
  primary: AsyncKeyValue,
  secondary: AsyncKeyValue,
  options: FallbackOptions = {},
): FallbackWrapper {
  return new FallbackWrapper(primary, secondary, options);
}
