/**
 * The base class of every oauth-kv backend. It validates names, TTLs and values once, serializes
 * values once, hides expired entries and computes remaining TTLs, so a backend implements only the
 * few primitives that touch its storage.
 * @module
 */
import {
  type AsyncKeyValue,
  COUNTER_FIELD,
  type CollectionOptions,
  DEFAULT_COLLECTION,
  type JsonObject,
  type KeysOptions,
  type KeysPage,
  type PutOptions,
  type StoreCapabilities,
  type TtlResult,
} from './contract.js';
import { isExpired, type PreparedEntry, type StoredEntry } from './entry.js';
import { DeserializationError, NotSupportedError, StoreClosedError, ValidationError } from './errors.js';
import {
  snapshotValue,
  validateCollectionOptions,
  validateEntries,
  validateKeyList,
  validateKeysOptions,
  validateName,
  validateTtl,
} from './validation.js';

declare global {
  interface SymbolConstructor {
    /**
     * The symbol `await using` calls (explicit resource management, ES2024). Declared here too, as
     * `@types/node` does, so a consumer whose `lib` predates it (a Worker project without
     * `@types/node`) still compiles the stores' `[Symbol.asyncDispose]()`.
     */
    readonly asyncDispose: unique symbol;
  }
}

/**
 * Default page size of `keys()`.
 *
 * @example
 * ```ts
 * import { DEFAULT_KEYS_LIMIT } from 'oauth-kv';
 * const page = await store.keys('clients'); // at most DEFAULT_KEYS_LIMIT (1000) keys
 * ```
 */
export const DEFAULT_KEYS_LIMIT = 1000;

/** The key the default `ping()` reads (never written by oauth-kv). */
const PING_KEY = '__oauth_kv_ping__';

/**
 * Options every {@link BaseStore} accepts.
 *
 * @example
 * ```ts
 * let now = 0;
 * const store = new MemoryStore({ clock: () => now }); // deterministic time in tests
 * ```
 */
export interface BaseStoreOptions {
  /** Source of the current time in epoch ms (default `Date.now`). For tests and simulations. */
  clock?: (() => number) | undefined;
}

/**
 * What a backend reports of an entry it removed: its expiry (epoch ms, `undefined` for none). The
 * base decides from it whether the entry was live. A backend that cannot read the removed entry
 * (corrupt) reports `{ expiresAt: undefined }`: deleting is how such an entry is cleared.
 *
 * @example
 * ```ts
 * import type { RemovedEntry } from 'oauth-kv/backend';
 * const removed: RemovedEntry = { expiresAt: Date.now() + 1000 };
 * ```
 */
export interface RemovedEntry {
  readonly expiresAt?: number | undefined;
}

/**
 * The TTL and clock reading shared by every entry of one `putMany` batch: a batch has one TTL and
 * one write time, so a backend reads them here instead of from an entry.
 *
 * @example
 * ```ts
 * import type { BatchTiming } from 'oauth-kv/backend';
 * const timing: BatchTiming = { ttl: 60, createdAt: Date.now(), expiresAt: Date.now() + 60_000 };
 * ```
 */
export interface BatchTiming {
  /** Seconds, or `undefined` for no expiry. */
  readonly ttl: number | undefined;
  /** Epoch ms of the write. */
  readonly createdAt: number;
  /** Epoch ms, or `undefined` for no expiry. */
  readonly expiresAt: number | undefined;
}

/**
 * Extend this to write a backend: implement `readEntry`, `writeEntry`, `removeEntry`, `takeEntry`
 * and `writeEntryIfAbsent` (plus the bulk and optional primitives where the backend can do better
 * than the defaults). Names arrive validated, bulk key lists without duplicates, and values
 * serialized once as {@link PreparedEntry}. Entries a primitive returns may be expired: the base
 * hides them.
 *
 * @example
 * ```ts
 * import { BaseStore, type PreparedEntry, type RemovedEntry, type StoredEntry } from 'oauth-kv/backend';
 *
 * // Entries in one Map. Each primitive runs without an await, so take and putIfAbsent are atomic.
 * class MapStore extends BaseStore {
 *   readonly capabilities = { keys: false, collections: false, destroyCollection: false, cull: false, atomic: true };
 *   readonly #data = new Map<string, { json: string; expiresAt: number | undefined }>();
 *
 *   protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
 *     const e = this.#data.get(JSON.stringify([collection, key]));
 *     return e && { value: JSON.parse(e.json), expiresAt: e.expiresAt };
 *   }
 *   protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
 *     this.#data.set(JSON.stringify([collection, key]), { json: entry.json, expiresAt: entry.expiresAt });
 *   }
 *   protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
 *     const id = JSON.stringify([collection, key]);
 *     const e = this.#data.get(id);
 *     this.#data.delete(id);
 *     return e && { expiresAt: e.expiresAt }; // expired or not: the base decides
 *   }
 *   protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
 *     const id = JSON.stringify([collection, key]);
 *     const e = this.#data.get(id);
 *     this.#data.delete(id);
 *     return e && { value: JSON.parse(e.json), expiresAt: e.expiresAt };
 *   }
 *   protected async writeEntryIfAbsent(collection: string, key: string, entry: PreparedEntry): Promise<boolean> {
 *     const id = JSON.stringify([collection, key]);
 *     const e = this.#data.get(id);
 *     if (e && (e.expiresAt === undefined || e.expiresAt > entry.createdAt)) return false; // live entry
 *     this.#data.set(id, { json: entry.json, expiresAt: entry.expiresAt });
 *     return true;
 *   }
 * }
 * ```
 */
export abstract class BaseStore implements AsyncKeyValue {
  abstract readonly capabilities: StoreCapabilities;
  #closed = false;
  readonly #clock: () => number;

  constructor(options: BaseStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  // ---- primitives a backend implements -------------------------------------------------------

  /** Reads one entry (expired or not), or `undefined` when none is stored. */
  protected abstract readEntry(collection: string, key: string): Promise<StoredEntry | undefined>;
  /** Writes one entry, replacing any existing one. Resolves once durable. */
  protected abstract writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void>;
  /** Deletes one entry; reports what it removed (expired or not), or `undefined` when none was stored. */
  protected abstract removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined>;
  /** Atomically reads and deletes one entry; returns it (expired or not) or `undefined`. */
  protected abstract takeEntry(collection: string, key: string): Promise<StoredEntry | undefined>;
  /** Atomically writes when no unexpired entry exists (an expired one is replaced); `true` if written. */
  protected abstract writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean>;

  /**
   * Reads distinct keys, in order. An entry that cannot be decoded is returned as its
   * `DeserializationError` (that position reads as missing in `getMany`; the others are unaffected).
   * Default: one `readEntry` per key, concurrently.
   */
  protected readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    return Promise.all(
      keys.map((key) =>
        // Stryker disable next-line all: only an entry a backend cannot read gets here; no store test can make one (test/python-nan-getmany.test.ts does)
        this.readEntry(collection, key).catch((err: unknown) => {
          // Stryker disable next-line all: as above
          if (err instanceof DeserializationError) return err;
          throw err;
        }),
      ),
    );
  }
  /**
   * Writes distinct keys; every entry shares the batch's TTL and timestamps (`timing`).
   * Default: one `writeEntry` per key, concurrently.
   */
  protected async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    await Promise.all(entries.map(([key, entry]) => this.writeEntry(collection, key, entry)));
  }
  /** Deletes distinct keys; reports what each removed, in order. Default: one by one. */
  protected removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    return Promise.all(keys.map((key) => this.removeEntry(collection, key)));
  }
  /** One page of unexpired keys. Override when `capabilities.keys`. */
  protected listKeys(_collection: string, _limit: number, _cursor: string | undefined): Promise<KeysPage> {
    throw new NotSupportedError('keys', this.constructor.name);
  }
  /** Collections holding entries. Override when `capabilities.collections`. */
  protected listCollections(): Promise<string[]> {
    throw new NotSupportedError('collections', this.constructor.name);
  }
  /** Deletes a collection; `true` if it held entries. Override when `capabilities.destroyCollection`. */
  protected removeCollection(_collection: string): Promise<boolean> {
    throw new NotSupportedError('destroyCollection', this.constructor.name);
  }
  /** Deletes expired entries; how many. Override when `capabilities.cull`. */
  protected removeExpired(): Promise<number> {
    throw new NotSupportedError('cull', this.constructor.name);
  }
  /**
   * Atomically adds `by` to the counter's `count` and returns the new count; when no live entry is
   * stored, writes `created` (the value `{ count: by }` with the caller's TTL) and returns `by`. The
   * expiry of an existing counter is kept. Returns `undefined`, writing nothing, when the live value
   * is not a counter. Override when `capabilities.increment`.
   */
  protected incrementEntry(
    _collection: string,
    _key: string,
    _by: number,
    _created: PreparedEntry,
  ): Promise<number | undefined> {
    throw new NotSupportedError('increment', this.constructor.name);
  }
  /** Releases what the store created. Called once, by `close()`. */
  protected async closeStore(): Promise<void> {}
  /**
   * One cheap round trip to the backend, for `ping()`. Default: reads one key of the default
   * collection that is never written (an entry there that cannot be decoded still counts as an
   * answer). Override with the backend's own ping where it has one.
   */
  // Stryker disable all: on a store that is up, ping() resolves whether or not the default makes its round
  // trip, and no store test can make a backend answer with an undecodable entry; test/ping.test.ts checks
  // the read on FirestoreStore and KeyvStore and a failing backend
  protected async pingStore(): Promise<void> {
    await this.readEntry(DEFAULT_COLLECTION, PING_KEY).catch((err: unknown) => {
      if (!(err instanceof DeserializationError)) throw err;
    });
  }
  // Stryker restore all

  // ---- helpers for backends ------------------------------------------------------------------

  /** The current time in epoch ms, from the configured clock. */
  protected now(): number {
    return this.#clock();
  }

  /** `true` once `close()` was called. */
  // Stryker disable next-line all: for backends that check it themselves; MemoryStore does not
  protected get closed(): boolean {
    return this.#closed;
  }

  // ---- the public contract -------------------------------------------------------------------

  async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    return this.#live(await this.readEntry(collection, key))?.value;
  }

  async getMany(keys: readonly string[], options?: CollectionOptions): Promise<(JsonObject | undefined)[]> {
    const entries = await this.#readMany(keys, options);
    // Stryker disable next-line ArrayDeclaration: equivalent: every index is assigned below
    const values = new Array<JsonObject | undefined>(entries.length);
    for (let i = 0; i < entries.length; i++) values[i] = entries[i]?.value;
    return values;
  }

  async ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    return this.#ttlResult(this.#live(await this.readEntry(collection, key)));
  }

  async ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return (await this.#readMany(keys, options)).map((entry) => this.#ttlResult(entry));
  }

  async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    const entry = this.#prepare(value, options?.ttl);
    await this.writeEntry(collection, key, entry);
  }

  async putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions): Promise<void> {
    const collection = this.#begin(options);
    const pairs = validateEntries(entries);
    const timing = this.#timing(options?.ttl);
    const { ttl, createdAt, expiresAt } = timing;
    // Stryker disable next-line ArrayDeclaration: equivalent: every index is assigned below
    let prepared = new Array<[string, PreparedEntry]>(pairs.length);
    const keys = new Set<string>();
    for (let i = 0; i < pairs.length; i++) {
      const [key, value] = pairs[i]!;
      keys.add(key);
      const { value: validated, json } = snapshotValue(value);
      prepared[i] = [key, { ttl, createdAt, expiresAt, value: validated, json }];
    }
    // Stryker disable next-line ConditionalExpression: equivalent, a shortcut: writeEntries([]) writes nothing
    if (prepared.length === 0) return;
    // Stryker disable next-line ConditionalExpression: `true` is equivalent (a list without duplicates is its own last occurrences); `false` is killed by the smallest BaseStore, which refuses a key twice, but Stryker cannot mark one variant
    if (keys.size !== prepared.length) prepared = lastOccurrences(prepared);
    await this.writeEntries(collection, prepared, timing);
  }

  async delete(key: string, options?: CollectionOptions): Promise<boolean> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    return this.#wasLive(await this.removeEntry(collection, key));
  }

  async deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    const collection = this.#begin(options);
    const unique = uniqueKeys(keys);
    // Stryker disable next-line ConditionalExpression: equivalent, a shortcut: removeEntries([]) removes nothing
    if (unique.length === 0) return 0;
    const removed = await this.removeEntries(collection, unique);
    let live = 0;
    for (const entry of removed) if (this.#wasLive(entry)) live++;
    return live;
  }

  async take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    return this.#live(await this.takeEntry(collection, key))?.value;
  }

  async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    return this.writeEntryIfAbsent(collection, key, this.#prepare(value, options?.ttl));
  }

  async increment(key: string, by = 1, options?: PutOptions): Promise<number> {
    const collection = this.#begin(options);
    validateName(key, 'key');
    if (!Number.isSafeInteger(by)) {
      throw new ValidationError('increment() needs a safe integer to add', [
        { message: 'must be a safe integer', path: 'by' },
      ]);
    }
    const count = await this.incrementEntry(
      collection,
      key,
      by,
      this.#prepare({ [COUNTER_FIELD]: by }, options?.ttl),
    );
    if (count === undefined) {
      throw new ValidationError('The entry increment() was asked to add to is not a counter', [
        { message: 'must be a number', path: `$.${COUNTER_FIELD}` },
      ]);
    }
    return count;
  }

  async keys(collection: string = DEFAULT_COLLECTION, options?: KeysOptions): Promise<KeysPage> {
    this.#begin({ collection });
    const { limit = DEFAULT_KEYS_LIMIT, cursor } = validateKeysOptions(options);
    return this.listKeys(collection, limit, cursor);
  }

  async collections(): Promise<string[]> {
    this.#begin(undefined);
    return this.listCollections();
  }

  async destroyCollection(collection: string): Promise<boolean> {
    this.#begin({ collection });
    return this.removeCollection(collection);
  }

  async cull(): Promise<number> {
    this.#begin(undefined);
    return this.removeExpired();
  }

  async ping(): Promise<void> {
    this.#begin(undefined);
    await this.pingStore();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeStore();
  }

  /**
   * `close()`, for `await using store = new MemoryStore()`: the store closes when the block ends.
   *
   * @example
   * ```ts
   * import { MemoryStore } from 'oauth-kv';
   * {
   *   await using store = new MemoryStore();
   *   await store.put('k', { a: 1 });
   * } // closed here
   * ```
   */
  // Stryker disable next-line all: not an AsyncKeyValue operation (the suite's view of a store has none); test/async-dispose.test.ts checks it
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Checks the store is open and returns the validated collection. */
  #begin(options: CollectionOptions | undefined): string {
    if (this.#closed) throw new StoreClosedError(`${this.constructor.name} is closed`);
    return validateCollectionOptions(options);
  }

  #timing(ttl: unknown): BatchTiming {
    validateTtl(ttl);
    const createdAt = this.now();
    return { ttl, createdAt, expiresAt: ttl === undefined ? undefined : createdAt + ttl * 1000 };
  }

  #prepare(value: unknown, ttl: unknown): PreparedEntry {
    const timing = this.#timing(ttl);
    const { value: validated, json } = snapshotValue(value);
    return { ...timing, value: validated, json };
  }

  #live(entry: StoredEntry | undefined): StoredEntry | undefined {
    return entry === undefined || isExpired(entry, this.now()) ? undefined : entry;
  }

  #wasLive(entry: RemovedEntry | undefined): boolean {
    return entry !== undefined && !isExpired(entry, this.now());
  }

  async #readMany(
    keys: readonly string[],
    options: CollectionOptions | undefined,
  ): Promise<(StoredEntry | undefined)[]> {
    const collection = this.#begin(options);
    const unique = uniqueKeys(keys);
    // Stryker disable next-line ConditionalExpression: equivalent, a shortcut: readEntries([]) reads nothing
    if (unique.length === 0) return [];
    const read = await this.readEntries(collection, unique);
    // One clock reading for the batch. An entry that cannot be decoded reads as missing here; `get`
    // of that key throws its error.
    const now = this.now();
    // Stryker disable next-line ArrayDeclaration: equivalent: every index is assigned below
    const entries = new Array<StoredEntry | undefined>(read.length);
    for (let i = 0; i < read.length; i++) {
      const e = read[i];
      entries[i] = e === undefined || e instanceof DeserializationError || isExpired(e, now) ? undefined : e;
    }
    // Stryker disable next-line ConditionalExpression: equivalent, a shortcut: without duplicates the general path gives the same
    if (unique.length === keys.length) return entries;
    const byKey = new Map(unique.map((key, i) => [key, entries[i]]));
    // Duplicates get their own copy so callers never share one object between two positions.
    const seen = new Set<string>();
    return keys.map((key) => {
      const entry = byKey.get(key);
      if (entry === undefined) return undefined;
      // Stryker disable next-line all: equivalent: copying the first occurrence as well changes nothing visible
      if (!seen.has(key)) {
        seen.add(key);
        return entry;
      }
      return { ...entry, value: structuredClone(entry.value) };
    });
  }

  #ttlResult(entry: StoredEntry | undefined): TtlResult {
    if (entry === undefined) return { value: undefined, ttl: undefined };
    const ttl =
      entry.expiresAt === undefined ? undefined : Math.max(0, (entry.expiresAt - this.now()) / 1000);
    return { value: entry.value, ttl };
  }
}

/** The entries without duplicate keys: a later duplicate wins, in its own position. */
function lastOccurrences(prepared: ReadonlyArray<[string, PreparedEntry]>): Array<[string, PreparedEntry]> {
  const byKey = new Map<string, PreparedEntry>();
  for (const [key, entry] of prepared) {
    byKey.delete(key);
    byKey.set(key, entry);
  }
  return [...byKey];
}

/** Validates a list of keys and returns them without duplicates, first occurrence first. */
function uniqueKeys(keys: readonly string[]): string[] {
  validateKeyList(keys);
  // Stryker disable next-line ConditionalExpression: equivalent when false (deduplicating a list of one gives the same list); the true variant is killed but Stryker cannot mark one variant
  return keys.length < 2 ? [...keys] : [...new Set(keys)];
}
