/**
 * Composition: build a stack of wrappers around a store, listed from the outside in.
 * @module
 */

import type { AsyncKeyValue } from '../contract.js';
import { StoreSetupError } from '../errors.js';

/**
 * One layer of a stack: a function that wraps a store. Every `with...` factory becomes a layer
 * through {@link layer}; any `(inner) => new MyWrapper(inner)` is one too.
 *
 * @example
 * ```ts
 * const tenant: Layer = (inner) => withNamespace(inner, { prefix: 'tenant-a' });
 * ```
 */
export type Layer<R extends AsyncKeyValue = AsyncKeyValue> = (inner: AsyncKeyValue) => R;

/**
 * Turns a wrapper factory (`withTtlPolicy`, `withNamespace`, `withEncryption`, ...) and its
 * arguments after the store into a {@link Layer} for {@link compose}. Arguments are type-checked
 * against the factory.
 *
 * @example
 * ```ts
 * import { layer, withTtlPolicy } from 'oauth-kv';
 *
 * const ttl = layer(withTtlPolicy, { defaultTtl: 3600 });
 * ```
 */
export function layer<A extends unknown[], R extends AsyncKeyValue>(
  wrap: (store: AsyncKeyValue, ...args: A) => R,
  ...args: A
): Layer<R> {
  if (typeof wrap !== 'function') throw new StoreSetupError('layer() takes a wrapper factory function');
  return (inner) => wrap(inner, ...args);
}

/**
 * Builds a stack that reads top to bottom the way a call travels: the first layer is the
 * outermost (the one your code calls), the last argument is the backend. So
 * `compose(A, B, C, store)` is `A(B(C(store)))`: a `put` passes A, then B, then C, then reaches
 * the store; a `get` result comes back through C, B, A. The result has the type of the outermost
 * layer (so `compose(layer(withStatistics), ...)` keeps `.statistics()`).
 *
 * Order matters; see docs/wrappers.md. The recommended OAuth stack is
 * namespace → TTL policy → encryption → backend: names are prefixed before anything else sees
 * them, TTLs are applied to what is written, encryption sees the final value, and the backend
 * stores ciphertext. Put a size limit above encryption to limit plaintext, below to limit
 * ciphertext; statistics and timeouts outermost to measure what callers see; a cache below
 * encryption caches ciphertext (safer for a shared cache), above it caches plaintext.
 *
 * @example
 * ```ts
 * import { compose, layer, MemoryStore, withNamespace, withStatistics, withTtlPolicy } from 'oauth-kv';
 *
 * const store = compose(
 *   layer(withStatistics),
 *   layer(withNamespace, { prefix: 'my-mcp' }),
 *   layer(withTtlPolicy, { collections: { codes: { defaultTtl: 300 } } }),
 *   new MemoryStore(),
 * );
 * store.statistics(); // typed: the outermost layer is a StatisticsWrapper
 * ```
 */
export function compose<S extends AsyncKeyValue>(store: S): S;
export function compose<R extends AsyncKeyValue>(
  outermost: Layer<R>,
  ...rest: [...layers: Layer[], store: AsyncKeyValue]
): R;
export function compose(...parts: Array<Layer | AsyncKeyValue>): AsyncKeyValue {
  if (parts.length === 0) throw new StoreSetupError('compose() needs a store as its last argument');
  let store = parts[parts.length - 1];
  if (!isStore(store)) throw new StoreSetupError('compose(): the last argument must be a store');
  for (let i = parts.length - 2; i >= 0; i--) {
    const wrap = parts[i];
    if (typeof wrap !== 'function') {
      throw new StoreSetupError(
        `compose(): argument ${i + 1} must be a layer (a function that wraps a store)`,
      );
    }
    store = wrap(store);
    if (!isStore(store)) throw new StoreSetupError(`compose(): layer ${i + 1} did not return a store`);
  }
  return store;
}

function isStore(value: unknown): value is AsyncKeyValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncKeyValue).get === 'function' &&
    typeof (value as AsyncKeyValue).put === 'function'
  );
}
