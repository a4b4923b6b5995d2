/**
 * The TTL policy wrapper: a default TTL for writes without one, and min/max clamps, per collection.
 * @module
 */

import type { AsyncKeyValue, JsonObject, PutOptions } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { validateCollectionOptions, validatePutOptions, validateTtl } from '../validation.js';
import { incrementOn, WrapperStore } from './base.js';

/**
 * The TTL rules of one collection (or the default rules). All values are seconds, finite and
 * above 0; `minTtl <= defaultTtl <= maxTtl` where given.
 *
 * @example
 * ```ts
 * const codes: TtlPolicy = { defaultTtl: 300, maxTtl: 600 }; // codes live 5 min, never over 10
 * ```
 */
export interface TtlPolicy {
  /** TTL given to writes that pass none. Default: none (when `maxTtl` is set, `maxTtl` is used). */
  defaultTtl?: number | undefined;
  /** Shorter TTLs (given or default) are raised to this. */
  minTtl?: number | undefined;
  /**
   * Longer TTLs are lowered to this. A write without a TTL and without a `defaultTtl` gets
   * `maxTtl`, so no entry of the collection lives longer than `maxTtl`.
   */
  maxTtl?: number | undefined;
}

/**
 * Options of {@link TtlPolicyWrapper}: the default policy (its own fields) plus per-collection
 * policies. A collection listed in `collections` uses only its own policy, not the default one
 * (list `{}` to exempt a collection from the default policy).
 *
 * @example
 * ```ts
 * const options: TtlPolicyOptions = {
 *   maxTtl: 30 * 86_400, // nothing lives longer than 30 days...
 *   collections: {
 *     codes: { defaultTtl: 300, maxTtl: 600 }, // ...authorization codes 5 to 10 minutes
 *     clients: {}, // registered clients never expire unless the caller says so
 *   },
 * };
 * ```
 */
export interface TtlPolicyOptions extends TtlPolicy {
  /** Policies by collection name; a listed collection ignores the default policy. */
  collections?: Readonly<Record<string, TtlPolicy>> | ReadonlyMap<string, TtlPolicy> | undefined;
}

interface ResolvedPolicy {
  readonly defaultTtl: number | undefined;
  readonly minTtl: number | undefined;
  readonly maxTtl: number | undefined;
}

/**
 * Applies a TTL policy to every write (`put`, `putMany`, `putIfAbsent`): a write without a TTL
 * gets the collection's `defaultTtl` (or `maxTtl`), and any TTL is clamped to
 * `[minTtl, maxTtl]` (like py-key-value's `TTLClampWrapper`). The caller's TTL is validated
 * first: `0`, negatives, `NaN` and non-numbers still throw `InvalidTTLError` and write nothing.
 * Reads, `take` and the optional operations pass through unchanged. An invalid policy throws a
 * `StoreSetupError` from `withTtlPolicy`.
 *
 * @example
 * ```ts
 * import { MemoryStore, type TtlPolicyWrapper, withTtlPolicy } from 'oauth-kv';
 *
 * const store: TtlPolicyWrapper = withTtlPolicy(new MemoryStore(), { collections: { codes: { defaultTtl: 300 } } });
 * await store.put('code-1', { client_id: 'c' }, { collection: 'codes' }); // expires in 300 s
 * ```
 */
export class TtlPolicyWrapper extends WrapperStore {
  readonly #default: ResolvedPolicy;
  readonly #byCollection: ReadonlyMap<string, ResolvedPolicy>;

  constructor(inner: AsyncKeyValue, options: TtlPolicyOptions = {}) {
    super(inner);
    this.#default = resolvePolicy(options, 'the default policy');
    const byCollection = new Map<string, ResolvedPolicy>();
    const entries =
      options.collections instanceof Map
        ? [...options.collections.entries()]
        : Object.entries(options.collections ?? {});
    for (const [name, policy] of entries) {
      if (typeof name !== 'string' || name.length === 0 || !name.isWellFormed()) {
        throw new StoreSetupError('TTL policy: collection names must be non-empty, well-formed strings');
      }
      byCollection.set(name, resolvePolicy(policy, `the policy of collection ${JSON.stringify(name)}`));
    }
    this.#byCollection = byCollection;
  }

  /**
   * The TTL a write to `collection` with the given TTL would get. Throws `InvalidTTLError` for an
   * invalid `ttl`.
   *
   * @example
   * ```ts
   * store.effectiveTtl('codes', undefined); // 300
   * store.effectiveTtl('codes', 86_400); // 600 (clamped to maxTtl)
   * ```
   */
  effectiveTtl(collection: string | undefined, ttl: number | undefined): number | undefined {
    validateTtl(ttl);
    return this.#effective(validateCollectionOptions({ collection }), ttl);
  }

  #effective(collection: string, ttl: number | undefined): number | undefined {
    const policy = this.#byCollection.get(collection) ?? this.#default;
    let effective = ttl ?? policy.defaultTtl ?? policy.maxTtl;
    if (effective === undefined) return undefined;
    if (policy.minTtl !== undefined && effective < policy.minTtl) effective = policy.minTtl;
    if (policy.maxTtl !== undefined && effective > policy.maxTtl) effective = policy.maxTtl;
    return effective;
  }

  override async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.inner.put(key, value, this.#apply(options));
  }

  override async putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    return this.inner.putMany(entries, this.#apply(options));
  }

  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, value, this.#apply(options));
  }

  /**
   * The wrapped store's atomic `increment`, with the policy's TTL: it applies when the counter is
   * created (a counter keeps the expiry it was created with).
   */
  async increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    return incrementOn(this.inner, key, by, this.#apply(options));
  }

  #apply(options: PutOptions | undefined): PutOptions {
    const { collection, ttl } = validatePutOptions(options);
    return { collection, ttl: this.#effective(collection, ttl) };
  }
}

function resolvePolicy(policy: TtlPolicy, where: string): ResolvedPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new StoreSetupError(`TTL policy: ${where} must be an object`);
  }
  const check = (name: keyof TtlPolicy): number | undefined => {
    const value = policy[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new StoreSetupError(`TTL policy: ${name} of ${where} must be a finite number of seconds above 0`);
    }
    return value;
  };
  const defaultTtl = check('defaultTtl');
  const minTtl = check('minTtl');
  const maxTtl = check('maxTtl');
  if (minTtl !== undefined && maxTtl !== undefined && minTtl > maxTtl) {
    throw new StoreSetupError(`TTL policy: minTtl is above maxTtl in ${where}`);
  }
  if (defaultTtl !== undefined) {
    if (minTtl !== undefined && defaultTtl < minTtl) {
      throw new StoreSetupError(`TTL policy: defaultTtl is below minTtl in ${where}`);
    }
    if (maxTtl !== undefined && defaultTtl > maxTtl) {
      throw new StoreSetupError(`TTL policy: defaultTtl is above maxTtl in ${where}`);
    }
  }
  return { defaultTtl, minTtl, maxTtl };
}

/**
 * Wraps `store` in a {@link TtlPolicyWrapper}.
 *
 * @example
 * ```ts
 * import { MemoryStore, withTtlPolicy } from 'oauth-kv';
 *
 * const store = withTtlPolicy(new MemoryStore(), { defaultTtl: 3600, maxTtl: 86_400 });
 * ```
 */
export function withTtlPolicy(store: AsyncKeyValue, options: TtlPolicyOptions = {}): TtlPolicyWrapper {
  return new TtlPolicyWrapper(store, options);
}
