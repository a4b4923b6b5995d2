/**
 * Keyv in both directions: {@link KeyvStore} turns any Keyv instance or Keyv storage adapter into
 * an oauth-kv store, and {@link toKeyv} / {@link KeyvAdapter} turn any oauth-kv store into a Keyv
 * storage adapter.
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import { MemoryStore } from 'oauth-kv';
 * import { KeyvStore, toKeyv } from 'oauth-kv/keyv';
 *
 * const store = new KeyvStore(new Keyv()); // Keyv → oauth-kv
 * const keyv = new Keyv({ store: toKeyv(new MemoryStore()) }); // oauth-kv → Keyv
 * ```
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Keyv, KeyvStoreAdapter, StoredData } from 'keyv';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { AsyncKeyValue, JsonObject, JsonValue, KeysPage, StoreCapabilities } from '../../contract.js';
import { documentToEntry, formatIsoDate, type PreparedEntry, type StoredEntry } from '../../entry.js';
import {
  DeserializationError,
  NotSupportedError,
  OAuthKVError,
  StoreConnectionError,
  StoreSetupError,
} from '../../errors.js';
import { isPlainObject } from '../../validation.js';

// ================================================================================================
// Keyv → oauth-kv
// ================================================================================================

/**
 * Options of {@link KeyvStore}.
 *
 * @example
 * ```ts
 * const store = new KeyvStore(new KeyvRedis('redis://localhost:6379'), { namespace: 'oauth' });
 * ```
 */
export interface KeyvStoreOptions extends BaseStoreOptions {
  /**
   * Keyv namespace used when a storage adapter (not a Keyv instance) is given: the store wraps the
   * adapter in a `Keyv` with this namespace and `throwOnErrors: true` (default `"oauth-kv"`).
   * A Keyv instance keeps its own namespace.
   */
  namespace?: string | undefined;
}

/** The oauth-kv envelope kept in Keyv: py-key-value's document with the value as JSON text. */
interface Envelope {
  version: 1;
  value: string;
  created_at: string;
  expires_at?: string;
}

/**
 * An oauth-kv store over any Keyv instance or Keyv storage adapter (`@keyv/redis`,
 * `@keyv/postgres`, a `Map`, ...). Entry `(collection, key)` is the Keyv key
 * `"{collection with % → %25 and : → %3A}:{key}"` (injective), and its Keyv value is an envelope
 * holding the value as JSON text with `created_at` / `expires_at`, so expiry is exact whatever the
 * adapter does; the TTL is passed to Keyv as well so the backend evicts.
 *
 * Keyv has no atomic get-and-delete or set-if-absent, so `capabilities.atomic` is `false`:
 * `take` and `putIfAbsent` work, but two racing callers may both win. Keep single-use
 * authorization codes and refresh-token rotation in a store with `atomic: true` (PostgreSQL,
 * Redis, Firestore). `keys`, `collections`, `destroyCollection` and `cull` need Keyv's iterator
 * and scan the whole namespace.
 *
 * A Keyv instance passed in swallows adapter errors on reads unless it was created with
 * `throwOnErrors: true`; an adapter passed in is wrapped with `throwOnErrors: true`. Failures
 * become {@link StoreConnectionError}. `close()` never disconnects what was passed in.
 *
 * @example
 * ```ts
 * import Keyv from 'keyv';
 * import KeyvRedis from '@keyv/redis';
 * import { KeyvStore } from 'oauth-kv/keyv';
 *
 * const store = new KeyvStore(new Keyv({ store: new KeyvRedis(process.env.REDIS_URL), throwOnErrors: true }));
 * await store.put('client-1', { client_id: 'client-1' }, { collection: 'clients' });
 * ```
 */
export class KeyvStore extends BaseStore {
  readonly capabilities: StoreCapabilities;
  readonly #source: Keyv | KeyvStoreAdapter | Map<unknown, unknown>;
  readonly #namespace: string;
  #keyv: Promise<Keyv> | undefined;

  constructor(keyv: Keyv | KeyvStoreAdapter | Map<unknown, unknown>, options: KeyvStoreOptions = {}) {
    super(options);
    if (keyv === null || typeof keyv !== 'object' || typeof (keyv as { get?: unknown }).get !== 'function') {
      throw new StoreSetupError('KeyvStore takes a Keyv instance, a Keyv storage adapter or a Map');
    }
    this.#source = keyv;
    this.#namespace = options.namespace ?? 'oauth-kv';
    const iterable = isKeyv(keyv)
      ? typeof keyv.iterator === 'function'
      : keyv instanceof Map || typeof (keyv as KeyvStoreAdapter).iterator === 'function';
    this.capabilities = {
      keys: iterable,
      collections: iterable,
      destroyCollection: iterable,
      cull: iterable,
      atomic: false,
    };
  }

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const keyv = await this.#get();
    const raw = await this.#call('get', () => keyv.get(keyvKey(collection, key)));
    return raw === undefined || raw === null ? undefined : readEnvelope(raw);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | undefined)[]> {
    const keyv = await this.#get();
    const raws = (await this.#call('getMany', () =>
      keyv.getMany(keys.map((key) => keyvKey(collection, key))),
    )) as unknown[];
    return keys.map((_, i) => {
      const raw = raws[i];
      return raw === undefined || raw === null ? undefined : readEnvelope(raw);
    });
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const keyv = await this.#get();
    const ok = await this.#call('set', () =>
      keyv.set(keyvKey(collection, key), envelope(entry), ttlMs(entry)),
    );
    if (ok === false) throw new StoreConnectionError('Keyv set failed (see the Keyv "error" event)');
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    const keyv = await this.#get();
    const results: unknown = await this.#call('setMany', () =>
      keyv.setMany(
        entries.map(([key, entry]) => ({
          key: keyvKey(collection, key),
          value: envelope(entry),
          ttl: ttlMs(entry),
        })),
      ),
    );
    if (Array.isArray(results) && results.includes(false)) {
      throw new StoreConnectionError('Keyv setMany failed (see the Keyv "error" event)');
    }
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const keyv = await this.#get();
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', () => keyv.get(k));
    if (raw === undefined || raw === null) return undefined;
    const deleted = await this.#call('delete', () => keyv.delete(k));
    return deleted ? removedFrom(raw) : undefined;
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const keyv = await this.#get();
    const ks = keys.map((key) => keyvKey(collection, key));
    const raws = (await this.#call('getMany', () => keyv.getMany(ks))) as unknown[];
    const present = ks.filter((_, i) => raws[i] !== undefined && raws[i] !== null);
    if (present.length > 0) await this.#call('deleteMany', () => keyv.deleteMany(present));
    return raws.map((raw) => (raw === undefined || raw === null ? undefined : removedFrom(raw)));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const keyv = await this.#get();
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', () => keyv.get(k));
    if (raw === undefined || raw === null) return undefined;
    const entry = readEnvelope(raw);
    // Only the caller whose delete removed the entry returns it. Adapters whose delete reports
    // whether it removed something atomically (Redis DEL) make this exactly-once; Keyv does not
    // promise that in general, hence capabilities.atomic = false.
    const deleted = await this.#call('delete', () => keyv.delete(k));
    return deleted ? entry : undefined;
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const keyv = await this.#get();
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', () => keyv.get(k));
    if (raw !== undefined && raw !== null && this.#live(raw)) return false;
    const ok = await this.#call('set', () => keyv.set(k, envelope(entry), ttlMs(entry)));
    if (ok === false) throw new StoreConnectionError('Keyv set failed (see the Keyv "error" event)');
    return true;
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    const keys: string[] = [];
    for (const item of await this.#scan()) {
      if (item.collection === collection && item.live && (cursor === undefined || item.key > cursor)) {
        keys.push(item.key);
      }
    }
    keys.sort();
    const page = keys.slice(0, limit);
    return { keys: page, cursor: keys.length > limit ? page[page.length - 1] : undefined };
  }

  protected override async listCollections(): Promise<string[]> {
    const names = new Set<string>();
    for (const item of await this.#scan()) if (item.live) names.add(item.collection);
    return [...names];
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    const items = (await this.#scan()).filter((item) => item.collection === collection);
    if (items.length === 0) return false;
    const keyv = await this.#get();
    await this.#call('deleteMany', () => keyv.deleteMany(items.map((i) => keyvKey(collection, i.key))));
    return items.some((item) => item.live);
  }

  protected override async removeExpired(): Promise<number> {
    // Iterating makes Keyv evict what its own expiry passed; entries our clock sees as expired
    // (a custom clock, or a Keyv without TTL support) are deleted here and counted.
    const expired = (await this.#scan()).filter((item) => !item.live);
    if (expired.length === 0) return 0;
    const keyv = await this.#get();
    await this.#call('deleteMany', () => keyv.deleteMany(expired.map((i) => keyvKey(i.collection, i.key))));
    return expired.length;
  }

  // ---- internals -----------------------------------------------------------------------------

  #get(): Promise<Keyv> {
    if (this.#keyv === undefined) {
      const source = this.#source;
      if (isKeyv(source)) {
        this.#keyv = Promise.resolve(source);
      } else {
        this.#keyv = (async () => {
          let mod: typeof import('keyv');
          try {
            mod = await import('keyv');
          } catch (err) {
            throw new StoreSetupError('KeyvStore needs the keyv package: npm install keyv', { cause: err });
          }
          const keyv = new mod.Keyv({ store: source, namespace: this.#namespace, throwOnErrors: true });
          // Keyv 5 builds iterator() only for adapters it knows by dialect; any adapter with an
          // iterator works the same way.
          const adapter = source as KeyvStoreAdapter;
          if (keyv.iterator === undefined && typeof adapter.iterator === 'function') {
            keyv.iterator = keyv.generateIterator(adapter.iterator.bind(adapter));
          }
          return keyv;
        })();
        this.#keyv.catch(() => {
          this.#keyv = undefined;
        });
      }
    }
    return this.#keyv;
  }

  /** Every entry of this store's Keyv namespace: decoded names and whether it is live. */
  async #scan(): Promise<Array<{ collection: string; key: string; live: boolean }>> {
    const keyv = await this.#get();
    const iterator = keyv.iterator;
    if (typeof iterator !== 'function') throw new NotSupportedError('keys', 'KeyvStore');
    const out: Array<{ collection: string; key: string; live: boolean }> = [];
    await this.#call('iterator', async () => {
      for await (const item of iterator(undefined) as AsyncIterable<[string, unknown]>) {
        const [k, raw] = item;
        const names = typeof k === 'string' ? parseKeyvKey(k) : undefined;
        if (names === undefined || raw === undefined || raw === null) continue;
        out.push({ ...names, live: this.#live(raw) });
      }
    });
    return out;
  }

  /** `true` unless the envelope is readable and expired (unreadable entries count as present). */
  #live(raw: unknown): boolean {
    try {
      const { expiresAt } = readEnvelope(raw);
      return expiresAt === undefined || expiresAt > this.now();
    } catch {
      return true;
    }
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OAuthKVError) throw err;
      throw new StoreConnectionError(`Keyv ${operation} failed`, { cause: err });
    }
  }
}

function isKeyv(value: unknown): value is Keyv {
  const v = value as { getRaw?: unknown; hooks?: unknown; opts?: { store?: unknown } } | null;
  return typeof v?.getRaw === 'function' && typeof v.hooks === 'object' && v.opts?.store !== undefined;
}

/** `(collection, key)` → one Keyv key; the collection part never holds `:`, so this is injective. */
function keyvKey(collection: string, key: string): string {
  return `${collection.replace(/%/g, '%25').replace(/:/g, '%3A')}:${key}`;
}

function parseKeyvKey(k: string): { collection: string; key: string } | undefined {
  const i = k.indexOf(':');
  if (i < 1) return undefined;
  const collection = k.slice(0, i).replace(/%(25|3A)/g, (_m, hex: string) => (hex === '25' ? '%' : ':'));
  return { collection, key: k.slice(i + 1) };
}

/** What a removed envelope reports: its expiry; an unreadable one counts as an entry without expiry. */
function removedFrom(raw: unknown): RemovedEntry {
  try {
    return { expiresAt: readEnvelope(raw).expiresAt };
  } catch {
    return { expiresAt: undefined };
  }
}

function envelope(entry: PreparedEntry): Envelope {
  const doc: Envelope = { version: 1, value: entry.json, created_at: formatIsoDate(entry.createdAt) };
  if (entry.expiresAt !== undefined) doc.expires_at = formatIsoDate(entry.expiresAt);
  return doc;
}

function ttlMs(entry: PreparedEntry): number | undefined {
  return entry.ttl === undefined ? undefined : Math.max(1, Math.ceil(entry.ttl * 1000));
}

function readEnvelope(raw: unknown): StoredEntry {
  if (!isPlainObject(raw)) throw new DeserializationError('The Keyv value is not an oauth-kv envelope');
  return documentToEntry(raw);
}

// ================================================================================================
// oauth-kv → Keyv
// ================================================================================================

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
