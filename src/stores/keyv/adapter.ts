/**
 * oauth-kv → Keyv: {@link KeyvAdapter} / {@link toKeyv} turn any oauth-kv store into a Keyv
 * storage adapter.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { AsyncKeyValue, JsonObject, JsonValue } from '../../contract.js';
import { NotSupportedError } from '../../errors.js';

/**
 * Options of {@link toKeyv} / {@link KeyvAdapter}.
 *
 * @example
 * ```ts
 * const adapter = toKeyv(store, { collection: 'cache', closeStoreOnDisconnect: true });
 * ```
 */
export interface KeyvAdapterOptions {
  /** The oauth-kv collection that holds this adapter's entries (default `"keyv"`). */
  collection?: string | undefined;
  /** `disconnect()` (Keyv's `keyv.disconnect()`) closes the store too (default `false`). */
  closeStoreOnDisconnect?: boolean | undefined;
}

/**
 * What {@link KeyvAdapter} exposes as `opts`: Keyv reads `dialect` and `url` to enable `iterator()`.
 *
 * @example
 * ```ts
 * const adapter = toKeyv(store, { collection: 'cache' });
 * console.log(adapter.opts); // { dialect: 'etcd', url: 'oauth-kv', collection: 'cache' }
 * ```
 */
export interface KeyvAdapterOpts {
  /**
   * Keyv 5 only builds `keyv.iterator()` for adapters whose `opts.dialect` is one of its own
   * (`sqlite`, `postgres`, `mysql`, `mongo`, `redis`, `valkey`, `etcd`). The adapter reports
   * `"etcd"` (the entry Keyv special-cases least) when the store can enumerate keys, so Keyv's
   * iterator works, and `"oauth-kv"` otherwise.
   */
  dialect: string;
  /** Always `"oauth-kv"`: Keyv also searches `url` for a dialect name, so it holds no user text. */
  url: string;
  /** The collection of the adapter. */
  collection: string;
  [option: string]: unknown;
}

/**
 * A Keyv storage adapter over any oauth-kv store: `new Keyv({ store: new KeyvAdapter(store) })`.
 * Keyv values (usually the strings Keyv serialized) are stored as `{ v: <value> }` in one
 * collection, with Keyv's TTL (ms) as the entry's TTL. Keyv prefixes keys with its namespace
 * (`"keyv:foo"`); `clear()` deletes only the keys of the current namespace (all of the collection
 * when there is none), which needs a store with `keys` (or `destroyCollection`) capability.
 * `disconnect()` leaves the store open unless `closeStoreOnDisconnect`.
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import { FirestoreStore } from 'oauth-kv/firestore';
 * import { KeyvAdapter } from 'oauth-kv/keyv';
 *
 * const keyv = new Keyv({ store: new KeyvAdapter(new FirestoreStore({ projectId: 'p' }), { collection: 'cache' }) });
 * await keyv.set('greeting', 'hello', 60_000);
 * ```
 */
export class KeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  /** Options Keyv inspects; see {@link KeyvAdapterOpts}. */
  opts: KeyvAdapterOpts;
  /** Set by Keyv to its namespace; `clear()` and `iterator()` use it. */
  namespace?: string | undefined;
  readonly #store: AsyncKeyValue;
  readonly #collection: string;
  readonly #closeStore: boolean;

  constructor(store: AsyncKeyValue, options: KeyvAdapterOptions = {}) {
    super();
    this.#store = store;
    this.#collection = options.collection ?? 'keyv';
    this.#closeStore = options.closeStoreOnDisconnect ?? false;
    this.opts = {
      dialect: store.capabilities.keys ? 'etcd' : 'oauth-kv',
      url: 'oauth-kv',
      collection: this.#collection,
    };
  }

  /** The value Keyv stored under `key`, or `undefined`. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return unwrap(await this.#store.get(key, this.#opts())) as StoredData<Value> | undefined;
  }

  /** {@link KeyvAdapter.get} for many keys, in order (one `getMany` on the store). */
  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const values = await this.#store.getMany(keys, this.#opts());
    return values.map((v) => unwrap(v)) as Array<StoredData<Value | undefined>>;
  }

  /** Stores `{ v: value }` under `key`; `ttl` in ms (Keyv's unit). A negative TTL deletes. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    if (typeof ttl === 'number' && ttl < 0) {
      // Already expired in Keyv's terms: what was there is replaced by nothing.
      await this.#store.delete(key, this.#opts());
      return true;
    }
    const seconds = typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? ttl / 1000 : undefined;
    await this.#store.put(key, wrap(value), { ...this.#opts(), ttl: seconds });
    return true;
  }

  /**
   * Writes many entries, one `putMany` per distinct TTL. Keyv's adapter type says `Promise<void>`,
   * but `keyv.setMany()` hands the adapter's result to its caller as `boolean[]`, so it resolves to
   * one `true` per entry.
   */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    // putMany takes one TTL per batch: group the entries by TTL.
    const groups = new Map<number | undefined, Array<[string, JsonObject]>>();
    for (const { key, value, ttl } of entries) {
      const t = typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? ttl : undefined;
      const group = groups.get(t) ?? [];
      group.push([key, wrap(value)]);
      groups.set(t, group);
    }
    for (const [ttl, group] of groups) {
      await this.#store.putMany(group, { ...this.#opts(), ttl: ttl === undefined ? undefined : ttl / 1000 });
    }
    return entries.map(() => true) as unknown as undefined;
  }

  /** Deletes `key`; `true` when it existed. */
  async delete(key: string): Promise<boolean> {
    return this.#store.delete(key, this.#opts());
  }

  /** Deletes many keys; `true` when at least one existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.#store.deleteMany(keys, this.#opts())) > 0;
  }

  /** `true` when `key` holds an unexpired entry. */
  async has(key: string): Promise<boolean> {
    return (await this.#store.get(key, this.#opts())) !== undefined;
  }

  /** {@link KeyvAdapter.has} for many keys, in order. */
  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.#store.getMany(keys, this.#opts())).map((v) => v !== undefined);
  }

  /** Deletes the keys of the current Keyv namespace in this collection (all of it without one). */
  async clear(): Promise<void> {
    const namespace = this.namespace;
    if (namespace === undefined && this.#store.capabilities.destroyCollection) {
      await this.#store.destroyCollection(this.#collection);
      return;
    }
    if (!this.#store.capabilities.keys) throw new NotSupportedError('keys', 'KeyvAdapter.clear');
    const doomed = await this.#keysOf(namespace);
    for (let i = 0; i < doomed.length; i += 500) {
      await this.#store.deleteMany(doomed.slice(i, i + 500), this.#opts());
    }
  }

  /** `[key, value]` pairs of the collection (of `namespace` when given), 500 keys per page. */
  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    if (!this.#store.capabilities.keys) throw new NotSupportedError('keys', 'KeyvAdapter.iterator');
    let cursor: string | undefined;
    for (let guard = 0; guard < 10_000_000; guard++) {
      const page = await this.#store.keys(this.#collection, { limit: 500, cursor });
      const keys = page.keys.filter((k) => inNamespace(k, namespace));
      const values = keys.length === 0 ? [] : await this.#store.getMany(keys, this.#opts());
      for (const [i, key] of keys.entries()) {
        const value = values[i];
        if (value !== undefined) yield [key, unwrap(value) as Awaited<Value>];
      }
      cursor = page.cursor;
      if (cursor === undefined) return;
    }
  }

  /** Closes the store only with `closeStoreOnDisconnect`. */
  async disconnect(): Promise<void> {
    if (this.#closeStore) await this.#store.close();
  }

  #opts(): { collection: string } {
    return { collection: this.#collection };
  }

  async #keysOf(namespace: string | undefined): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10_000_000; guard++) {
      const page = await this.#store.keys(this.#collection, { limit: 1000, cursor });
      keys.push(...page.keys.filter((k) => inNamespace(k, namespace)));
      cursor = page.cursor;
      if (cursor === undefined) break;
    }
    return keys;
  }
}

/**
 * Wraps an oauth-kv store as a Keyv storage adapter (see {@link KeyvAdapter}).
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import { MemoryStore } from 'oauth-kv';
 * import { toKeyv } from 'oauth-kv/keyv';
 *
 * const keyv = new Keyv({ store: toKeyv(new MemoryStore(), { collection: 'cache' }) });
 * await keyv.set('k', { any: 'value' }, 1000);
 * ```
 */
export function toKeyv(store: AsyncKeyValue, options: KeyvAdapterOptions = {}): KeyvAdapter {
  return new KeyvAdapter(store, options);
}

function inNamespace(key: string, namespace: string | undefined): boolean {
  return namespace === undefined || key.startsWith(`${namespace}:`);
}

function wrap(value: unknown): JsonObject {
  return { v: value as JsonValue };
}

function unwrap(stored: JsonObject | undefined): unknown {
  return stored === undefined ? undefined : stored.v;
}
