/**
 * The read-only wrapper: reads pass through, writes are refused or ignored.
 * @module
 */
import type { AsyncKeyValue, CollectionOptions, JsonObject, PutOptions } from '../contract.js';
import { NotSupportedError, ReadOnlyError, StoreSetupError } from '../errors.js';
import { WrapperStore } from './base.js';

/**
 * Options of {@link ReadOnlyWrapper}.
 *
 * @example
 * ```ts
 * const options: ReadOnlyOptions = { mode: 'ignore' };
 * ```
 */
export interface ReadOnlyOptions {
  /**
   * `'throw'` (default): every write throws `ReadOnlyError`. `'ignore'`: writes do nothing and
   * report that nothing changed (`delete` → `false`, `deleteMany`/`cull` → `0`,
   * `putIfAbsent` → `false`, `destroyCollection` → `false`, `take` → `undefined`).
   */
  mode?: 'throw' | 'ignore' | undefined;
}

/**
 * A read-only view of a store: `get`, `getMany`, `ttl`, `ttlMany`, `keys` and `collections` pass
 * through; `put`, `putMany`, `delete`, `deleteMany`, `putIfAbsent`, `destroyCollection`, `cull`
 * and `take` never change the store.
 *
 * `take` never deletes: in `'throw'` mode it throws `ReadOnlyError`; in `'ignore'` mode it returns
 * `undefined` without reading, because handing out a value it cannot consume would break
 * `take`'s exactly-once promise (an authorization code could be redeemed twice). Use `get` to read.
 *
 * @example
 * ```ts
 * import { type ReadOnlyWrapper, withReadOnly } from 'oauth-kv';
 *
 * const audit: ReadOnlyWrapper = withReadOnly(store);
 * await audit.get('client-1', { collection: 'clients' }); // works
 * await audit.put('client-1', {}); // throws ReadOnlyError
 * ```
 */
export class ReadOnlyWrapper extends WrapperStore {
  readonly #ignore: boolean;

  constructor(inner: AsyncKeyValue, options: ReadOnlyOptions = {}) {
    super(inner);
    const mode = options.mode ?? 'throw';
    if (mode !== 'throw' && mode !== 'ignore')
      throw new StoreSetupError("ReadOnly: mode must be 'throw' or 'ignore'");
    this.#ignore = mode === 'ignore';
  }

  override async put(_key: string, _value: JsonObject, _options?: PutOptions): Promise<void> {
    this.#refuse('put');
  }
  override async putMany(
    _entries: ReadonlyArray<readonly [string, JsonObject]>,
    _options?: PutOptions,
  ): Promise<void> {
    this.#refuse('putMany');
  }
  override async delete(_key: string, _options?: CollectionOptions): Promise<boolean> {
    this.#refuse('delete');
    return false;
  }
  override async deleteMany(_keys: readonly string[], _options?: CollectionOptions): Promise<number> {
    this.#refuse('deleteMany');
    return 0;
  }
  override async take(_key: string, _options?: CollectionOptions): Promise<JsonObject | undefined> {
    this.#refuse('take');
    return undefined;
  }
  override async putIfAbsent(_key: string, _value: JsonObject, _options?: PutOptions): Promise<boolean> {
    this.#refuse('putIfAbsent');
    return false;
  }
  /**
   * Throws `ReadOnlyError`, in `'ignore'` mode too: an ignored increment has no count to return
   * that would not mislead a rate limit. `NotSupportedError` when the wrapped store has no
   * `increment` at all.
   */
  async increment(_key: string, _by?: number, _options?: PutOptions): Promise<number> {
    if (this.inner.increment === undefined || this.inner.capabilities.increment !== true) {
      throw new NotSupportedError('increment', this.inner.constructor.name);
    }
    throw new ReadOnlyError('The store is read-only: increment is not allowed');
  }
  override async destroyCollection(_collection: string): Promise<boolean> {
    this.#refuse('destroyCollection');
    return false;
  }
  override async cull(): Promise<number> {
    this.#refuse('cull');
    return 0;
  }

  #refuse(operation: string): void {
    if (!this.#ignore) throw new ReadOnlyError(`The store is read-only: ${operation} is not allowed`);
  }
}

/**
 * Wraps `store` in a {@link ReadOnlyWrapper}.
 *
 * @example
 * ```ts
 * import { withReadOnly } from 'oauth-kv';
 *
 * const view = withReadOnly(store, { mode: 'ignore' });
 * ```
 */
export function withReadOnly(store: AsyncKeyValue, options: ReadOnlyOptions = {}): ReadOnlyWrapper {
  return new ReadOnlyWrapper(store, options);
}
