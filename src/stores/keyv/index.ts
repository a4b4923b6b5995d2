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
import type { Keyv } from 'keyv';
import { options as check, type Lazy } from '../../backend/kit.js';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { KeysPage, StoreCapabilities } from '../../contract.js';
import { isExpired, type PreparedEntry, type StoredEntry } from '../../entry.js';
import {
  type DeserializationError,
  NotSupportedError,
  StoreOperationError,
  StoreSetupError,
} from '../../errors.js';
import { canIterate, type KeyvSource, keyvError, keyvOf } from './connection.js';
import {
  envelope,
  keyvKey,
  parseKeyvKey,
  readEnvelope,
  readEnvelopeOrError,
  removedFrom,
  ttlMs,
} from './envelope.js';

export { KeyvAdapter, type KeyvAdapterOptions, type KeyvAdapterOpts, toKeyv } from './adapter.js';

// ================================================================================================
// Keyv → oauth-kv
// ================================================================================================

/**
 * Options of {@link KeyvStore}.
 *
 * @example
 * ```ts
 * import KeyvRedis from '@keyv/redis';
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
  /**
   * `close()` also disconnects the Keyv instance or adapter (its `disconnect()`), for a store that
   * owns what it was given, as `createStore('keyv+redis://…')` does. Default `false`: what was
   * passed in stays connected.
   */
  closeAdapter?: boolean | undefined;
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
 * `throwOnErrors: true`; an adapter passed in is wrapped with `throwOnErrors: true`. An adapter's
 * failure is a {@link StoreOperationError} (never retried) unless it is clearly a lost connection
 * (a network error code in its cause chain): then a `StoreConnectionError`. `close()` does not
 * disconnect what was passed in unless `closeAdapter` is set.
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
  readonly #keyv: Lazy<Keyv>;
  readonly #owned: { disconnect?: unknown } | undefined;

  constructor(keyv: KeyvSource, options: KeyvStoreOptions = {}) {
    const opts: KeyvStoreOptions = check.object('KeyvStore', 'options', options);
    super(opts);
    if (keyv === null || typeof keyv !== 'object' || typeof (keyv as { get?: unknown }).get !== 'function') {
      throw new StoreSetupError('KeyvStore takes a Keyv instance, a Keyv storage adapter or a Map');
    }
    this.#keyv = keyvOf(keyv, check.string('KeyvStore', 'namespace', opts.namespace, 'oauth-kv'));
    this.#owned = check.boolean('KeyvStore', 'closeAdapter', opts.closeAdapter, false)
      ? (keyv as { disconnect?: unknown })
      : undefined;
    const iterable = canIterate(keyv);
    this.capabilities = {
      keys: iterable,
      collections: iterable,
      destroyCollection: iterable,
      cull: iterable,
      atomic: false,
    };
  }

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const raw = await this.#call('get', (keyv) => keyv.get(keyvKey(collection, key)));
    return raw === undefined || raw === null ? undefined : readEnvelope(raw);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    const raws = await this.#getMany(keys.map((key) => keyvKey(collection, key)));
    return keys.map((_, i) => readEnvelopeOrError(raws[i]));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const ok = await this.#call('set', (keyv) =>
      keyv.set(keyvKey(collection, key), envelope(entry), ttlMs(entry.ttl)),
    );
    if (ok === false) throw new StoreOperationError('Keyv set failed (see the Keyv "error" event)');
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ): Promise<void> {
    const ttl = ttlMs(timing.ttl);
    const results: unknown = await this.#call('setMany', (keyv) =>
      keyv.setMany(
        entries.map(([key, entry]) => ({ key: keyvKey(collection, key), value: envelope(entry), ttl })),
      ),
    );
    if (Array.isArray(results) && results.includes(false)) {
      throw new StoreOperationError('Keyv setMany failed (see the Keyv "error" event)');
    }
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', (keyv) => keyv.get(k));
    if (raw === undefined || raw === null) return undefined;
    const deleted = await this.#call('delete', (keyv) => keyv.delete(k));
    return deleted ? removedFrom(raw) : undefined;
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const ks = keys.map((key) => keyvKey(collection, key));
    const raws = await this.#getMany(ks);
    const present = ks.filter((_, i) => raws[i] !== undefined && raws[i] !== null);
    if (present.length > 0) await this.#call('deleteMany', (keyv) => keyv.deleteMany(present));
    return raws.map((raw) => (raw === undefined || raw === null ? undefined : removedFrom(raw)));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', (keyv) => keyv.get(k));
    if (raw === undefined || raw === null) return undefined;
    const entry = readEnvelope(raw);
    // Only the caller whose delete removed the entry returns it. Adapters whose delete reports
    // whether it removed something atomically (Redis DEL) make this exactly-once; Keyv does not
    // promise that in general, hence capabilities.atomic = false.
    const deleted = await this.#call('delete', (keyv) => keyv.delete(k));
    return deleted ? entry : undefined;
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const k = keyvKey(collection, key);
    const raw = await this.#call('get', (keyv) => keyv.get(k));
    if (raw !== undefined && raw !== null && this.#live(raw)) return false;
    const ok = await this.#call('set', (keyv) => keyv.set(k, envelope(entry), ttlMs(entry.ttl)));
    if (ok === false) throw new StoreOperationError('Keyv set failed (see the Keyv "error" event)');
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
    const doomed = items.map((i) => keyvKey(collection, i.key));
    await this.#call('deleteMany', (keyv) => keyv.deleteMany(doomed));
    return items.some((item) => item.live);
  }

  protected override async removeExpired(): Promise<number> {
    // Iterating makes Keyv evict what its own expiry passed; entries our clock sees as expired
    // (a custom clock, or a Keyv without TTL support) are deleted here and counted.
    const expired = (await this.#scan()).filter((item) => !item.live);
    if (expired.length === 0) return 0;
    const doomed = expired.map((i) => keyvKey(i.collection, i.key));
    await this.#call('deleteMany', (keyv) => keyv.deleteMany(doomed));
    return expired.length;
  }

  protected override async closeStore(): Promise<void> {
    const owned = this.#owned;
    if (typeof owned?.disconnect !== 'function') return;
    try {
      await (owned.disconnect as () => Promise<void>).call(owned);
    } catch {
      // never connected, or already gone: nothing left to release
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  async #getMany(keys: string[]): Promise<unknown[]> {
    return (await this.#call('getMany', (keyv) => keyv.getMany(keys))) as unknown[];
  }

  /**
   * Every entry of this store's Keyv namespace, each once: decoded names and whether it is live.
   * Keyv's iterator may yield a key twice (`@keyv/redis` follows `SCAN`, which repeats keys when
   * the database shrinks during the scan).
   */
  async #scan(): Promise<Array<{ collection: string; key: string; live: boolean }>> {
    const out: Array<{ collection: string; key: string; live: boolean }> = [];
    const seen = new Set<string>();
    await this.#call('iterator', async (keyv) => {
      const iterator = keyv.iterator;
      if (typeof iterator !== 'function') throw new NotSupportedError('keys', 'KeyvStore');
      for await (const item of iterator(undefined) as AsyncIterable<[string, unknown]>) {
        const [k, raw] = item;
        const names = typeof k === 'string' ? parseKeyvKey(k) : undefined;
        if (names === undefined || raw === undefined || raw === null || seen.has(k)) continue;
        seen.add(k);
        out.push({ ...names, live: this.#live(raw) });
      }
    });
    return out;
  }

  /** `true` unless the envelope is readable and expired (unreadable entries count as present). */
  #live(raw: unknown): boolean {
    try {
      return !isExpired(readEnvelope(raw), this.now());
    } catch {
      return true;
    }
  }

  /** Runs one Keyv call on the store's Keyv; failures follow the error policy ({@link keyvError}). */
  async #call<T>(operation: string, fn: (keyv: Keyv) => Promise<T>): Promise<T> {
    const keyv = await this.#keyv.get();
    try {
      return await fn(keyv);
    } catch (err) {
      throw keyvError(operation, err);
    }
  }
}
