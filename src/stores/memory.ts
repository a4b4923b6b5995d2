/**
 * An in-process store for tests, development and single-replica caches.
 * @module
 */
import { options as check } from '../backend/kit.js';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../base-store.js';
import { COUNTER_FIELD, type KeysPage, type StoreCapabilities } from '../contract.js';
import { isExpired, type PreparedEntry, type StoredEntry } from '../entry.js';
import { StoreSetupError } from '../errors.js';

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ maxEntriesPerCollection: 10_000, sweepIntervalMs: 30_000 });
 * ```
 */
export interface MemoryStoreOptions extends BaseStoreOptions {
  /**
   * Most entries one collection holds; past it the least recently used entry is evicted.
   * Default: unbounded.
   */
  maxEntriesPerCollection?: number | undefined;
  /**
   * How often expired entries are evicted in the background, in ms (default 60 000; `0` turns the
   * timer off, leaving eviction to reads, writes and `cull()`). The timer never keeps the process alive.
   */
  sweepIntervalMs?: number | undefined;
}

/** The longest delay `setInterval` honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

interface Slot {
  json: string;
  createdAt: number;
  expiresAt: number | undefined;
}

/**
 * An in-memory store with copy-on-read and copy-on-write, real eviction of expired entries,
 * optional LRU bound per collection, atomic `take`/`putIfAbsent`, and every optional capability.
 * Nothing survives the process: use `FileStore` or a database for OAuth state you must keep.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'oauth-kv';
 *
 * const store = new MemoryStore();
 * await store.put('client-1', { client_id: 'client-1' }, { collection: 'clients' });
 * await store.get('client-1', { collection: 'clients' }); // { client_id: 'client-1' }
 * await store.close(); // stops the eviction timer
 * ```
 */
export class MemoryStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
    increment: true,
  };
  readonly #data = new Map<string, Map<string, Slot>>();
  readonly #maxEntries: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  // Stryker disable all: MemoryStore's own options and sweep timer. No AsyncKeyValue operation can tell
  // when an expired entry is evicted (it is invisible either way); test/memory-store.test.ts checks them.
  constructor(options: MemoryStoreOptions = {}) {
    const opts: MemoryStoreOptions = check.object('MemoryStore', 'options', options);
    super(opts);
    const max = opts.maxEntriesPerCollection;
    this.#maxEntries =
      max === undefined ? undefined : check.integer('MemoryStore', 'maxEntriesPerCollection', max, 1);
    // 0 turns the timer off; anything else must be a positive number of ms.
    const interval =
      opts.sweepIntervalMs === 0
        ? 0
        : check.positiveNumber('MemoryStore', 'sweepIntervalMs', opts.sweepIntervalMs, 60_000);
    if (interval > MAX_TIMER_MS) {
      // setInterval would clamp it to 1 ms and sweep continuously.
      throw new StoreSetupError(`MemoryStore option sweepIntervalMs must be at most ${MAX_TIMER_MS} ms`);
    }
    if (interval > 0) {
      this.#timer = setInterval(() => this.#sweep(), interval);
      this.#timer.unref?.();
    }
  }
  // Stryker restore all

  /**
   * Number of entries held in memory, including expired ones not yet evicted.
   *
   * @example
   * ```ts
   * await store.cull();
   * console.log(store.size); // only live entries remain
   * ```
   */
  // Stryker disable all: not part of the AsyncKeyValue contract; test/memory-store.test.ts checks it
  get size(): number {
    let n = 0;
    for (const slots of this.#data.values()) n += slots.size;
    return n;
  }
  // Stryker restore all

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const slots = this.#data.get(collection);
    const slot = slots?.get(key);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: slot is undefined whenever slots is (the second test narrows the type)
    if (slot === undefined || slots === undefined) return undefined;
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent: evicts early; the base hides an expired entry anyway
    if (isExpired(slot, this.now())) {
      this.#drop(collection, slots, key);
      return undefined;
    }
    // Stryker disable next-line all: LRU order matters only once the bound evicts, which the suite never makes it do (test/memory-store.test.ts checks it)
    if (this.#maxEntries !== undefined) {
      slots.delete(key); // most recently used goes last
      slots.set(key, slot);
    }
    return toEntry(slot);
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    this.#set(collection, key, entry);
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    for (const [key, entry] of entries) this.#set(collection, key, entry);
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const slots = this.#data.get(collection);
    const slot = slots?.get(key);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: slot is undefined whenever slots is (the second test narrows the type)
    if (slot === undefined || slots === undefined) return undefined;
    this.#drop(collection, slots, key);
    return slot;
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const slots = this.#data.get(collection);
    const slot = slots?.get(key);
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent: slot is undefined whenever slots is (the second test narrows the type)
    if (slot === undefined || slots === undefined) return undefined;
    this.#drop(collection, slots, key);
    return toEntry(slot);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const existing = this.#data.get(collection)?.get(key);
    if (existing !== undefined && !isExpired(existing, this.now())) return false;
    this.#set(collection, key, entry);
    return true;
  }

  protected override async incrementEntry(
    collection: string,
    key: string,
    by: number,
    created: PreparedEntry,
  ): Promise<number | undefined> {
    // One synchronous read-modify-write: nothing else runs between the read and the write.
    const slot = this.#data.get(collection)?.get(key);
    if (slot === undefined || isExpired(slot, this.now())) {
      this.#set(collection, key, created);
      return by;
    }
    const value = JSON.parse(slot.json) as Record<string, unknown>;
    const current = value[COUNTER_FIELD];
    if (typeof current !== 'number') return undefined;
    const count = current + by;
    slot.json = JSON.stringify({ ...value, [COUNTER_FIELD]: count });
    return count;
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    const slots = this.#data.get(collection);
    if (slots === undefined) return { keys: [], cursor: undefined };
    const now = this.now();
    const live = [...slots]
      .filter(([key, slot]) => !isExpired(slot, now) && (cursor === undefined || key > cursor))
      .map(([key]) => key)
      .sort();
    const keys = live.slice(0, limit);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent under the contract: an extra, empty last page is allowed
    return { keys, cursor: live.length > limit ? keys[keys.length - 1] : undefined };
  }

  protected override async listCollections(): Promise<string[]> {
    this.#sweep();
    return [...this.#data.keys()];
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    const slots = this.#data.get(collection);
    if (slots === undefined) return false;
    const now = this.now();
    const hadLive = [...slots.values()].some((slot) => !isExpired(slot, now));
    this.#data.delete(collection);
    return hadLive;
  }

  protected override async removeExpired(): Promise<number> {
    return this.#sweep();
  }

  /** Nothing to reach: an open MemoryStore always answers. */
  protected override async pingStore(): Promise<void> {}

  protected override async closeStore(): Promise<void> {
    // Stryker disable next-line ConditionalExpression: equivalent: clearInterval(undefined) does nothing
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#data.clear();
  }

  #set(collection: string, key: string, entry: PreparedEntry): void {
    let slots = this.#data.get(collection);
    if (slots === undefined) {
      slots = new Map();
      this.#data.set(collection, slots);
    }
    slots.delete(key);
    slots.set(key, { json: entry.json, createdAt: entry.createdAt, expiresAt: entry.expiresAt });
    // Stryker disable all: the bound evicts live entries, which the contract does not allow; it is MemoryStore's opt-in cache mode, checked by test/memory-store.test.ts
    if (this.#maxEntries !== undefined && slots.size > this.#maxEntries) {
      // Expired entries go first; then the least recently used (the first in insertion order).
      this.#sweepCollection(collection, slots, this.now());
      while (slots.size > this.#maxEntries) {
        const oldest = slots.keys().next().value as string;
        slots.delete(oldest);
      }
    }
    // Stryker restore all
  }

  #drop(collection: string, slots: Map<string, Slot>, key: string): void {
    slots.delete(key);
    // Stryker disable next-line ConditionalExpression: equivalent: collections() sweeps empty collections away before listing
    if (slots.size === 0) this.#data.delete(collection);
  }

  /** Evicts every expired entry; returns how many. */
  #sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [collection, slots] of this.#data) removed += this.#sweepCollection(collection, slots, now);
    return removed;
  }

  #sweepCollection(collection: string, slots: Map<string, Slot>, now: number): number {
    let removed = 0;
    for (const [key, slot] of slots) {
      if (isExpired(slot, now)) {
        slots.delete(key);
        removed++;
      }
    }
    if (slots.size === 0) this.#data.delete(collection);
    return removed;
  }
}

function toEntry(slot: Slot): StoredEntry {
  return { value: JSON.parse(slot.json), createdAt: slot.createdAt, expiresAt: slot.expiresAt };
}
