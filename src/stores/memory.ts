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

/** Keys per chunk of a {@link SortedKeys} index once split: an insert moves at most twice this many. */
const CHUNK = 256;
/** Most index positions one `keys()` call looks at, live or expired: bounds the time it blocks. */
const SCAN_BUDGET = 4096;

/** One run of consecutive keys of a {@link SortedKeys} index, with each key's expiry. */
interface Chunk {
  keys: string[];
  /** `expiresAt` of each key, `Infinity` for none: a page checks expiry without touching entries. */
  expires: number[];
  /**
   * No key of the chunk expires before this (a lower bound: it only ever goes down), so a page
   * reads `expires` only in a chunk where some key may have expired.
   */
  soonest: number;
}

/**
 * The keys of one collection in sorted order (UTF-16 code units, as `<` and `Array#sort` compare),
 * kept as sorted chunks of at most 2 * CHUNK keys with their expiry: an insert or a removal is a
 * binary search and a splice inside one chunk, and a page is a binary search and a scan of
 * consecutive memory, whatever the collection's size.
 *
 * In a large collection a page costs cache misses more than instructions, so the chunk search reads
 * a compact array of each chunk's last key (not each chunk and its keys array), and the scan skips
 * the expiries of a chunk where no key can have expired.
 */
class SortedKeys {
  readonly #chunks: Chunk[] = [];
  /** The last key of each chunk, in the same order: all the chunk search reads. */
  readonly #lasts: string[] = [];

  /** Adds `key`, which must not be present. */
  insert(key: string, expires: number): void {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push({ keys: [key], expires: [expires], soonest: expires });
      this.#lasts.push(key);
      return;
    }
    // The first chunk whose last key is above `key`, else the last chunk: `key` belongs there.
    const i = Math.min(this.#chunkAbove(key), chunks.length - 1);
    const chunk = chunks[i] as Chunk;
    const at = above(chunk.keys, key);
    chunk.keys.splice(at, 0, key);
    chunk.expires.splice(at, 0, expires);
    chunk.soonest = Math.min(chunk.soonest, expires);
    if (at === chunk.keys.length - 1) this.#lasts[i] = key;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent: splitting only keeps chunks short (speed); the order is the same split or not
    if (chunk.keys.length > 2 * CHUNK) {
      const { soonest } = chunk; // still a lower bound for both halves
      chunks.splice(i + 1, 0, {
        keys: chunk.keys.splice(CHUNK),
        expires: chunk.expires.splice(CHUNK),
        soonest,
      });
      this.#lasts.splice(i, 0, chunk.keys[CHUNK - 1] as string);
    }
  }

  /** Removes `key`, which must be present. */
  remove(key: string): void {
    const [i, at] = this.#find(key);
    const chunk = this.#chunks[i] as Chunk;
    chunk.keys.splice(at, 1);
    chunk.expires.splice(at, 1);
    if (chunk.keys.length === 0) {
      this.#chunks.splice(i, 1);
      this.#lasts.splice(i, 1);
      return;
    }
    // Stryker disable next-line ConditionalExpression: a stale chunk head (its old last key) misroutes only a later key sorting between the old and the new last key, a layout the conformance suite does not make; test/memory-store.test.ts kills it
    if (at === chunk.keys.length) this.#lasts[i] = chunk.keys[at - 1] as string; // the last key went
  }

  /** Changes the expiry of `key`, which must be present. */
  expire(key: string, expires: number): void {
    const [i, at] = this.#find(key);
    const chunk = this.#chunks[i] as Chunk;
    chunk.expires[at] = expires;
    chunk.soonest = Math.min(chunk.soonest, expires);
  }

  /**
   * One `keys()` page: up to `limit` keys above `cursor` unexpired at `now`, looking at no more
   * than SCAN_BUDGET keys; the cursor is the last key looked at when any follows.
   */
  page(cursor: string | undefined, limit: number, now: number): KeysPage {
    const chunks = this.#chunks;
    const keys: string[] = [];
    let i = cursor === undefined ? 0 : this.#chunkAbove(cursor);
    let j = cursor === undefined || i === chunks.length ? 0 : above((chunks[i] as Chunk).keys, cursor);
    let scanned = 0;
    let last = cursor;
    for (; i < chunks.length; i++, j = 0) {
      const chunk = chunks[i] as Chunk;
      for (; j < chunk.keys.length; j++) {
        // A key follows the page: there is a next page (it may be empty, which the contract allows).
        if (keys.length === limit) return { keys, cursor: last };
        // Stryker disable next-line all: the budget cuts a page short only after 4096 keys looked at in one call (allowed: a page may be shorter than limit while more follow); test/memory-store.test.ts checks it
        if (scanned++ === SCAN_BUDGET) return { keys, cursor: last };
        const key = chunk.keys[j] as string;
        // Stryker disable next-line ConditionalExpression,EqualityOperator: `chunk.soonest > now` made false is equivalent (every expiry read, same page); the `>=` variants differ only in the very millisecond a key expires, which a suite on a real clock cannot aim at (test/memory-store.test.ts kills them with a fixed clock)
        if (chunk.soonest > now || (chunk.expires[j] as number) > now) keys.push(key);
        last = key;
      }
    }
    return { keys, cursor: undefined };
  }

  /** The chunk and the position of `key`, which must be present. */
  #find(key: string): [number, number] {
    // `key` is present, so the first chunk whose last key is not below it holds it.
    const i = this.#chunkAbove(key, true);
    return [i, above((this.#chunks[i] as Chunk).keys, key, true)];
  }

  /** The index of the first chunk whose last key is above `key` (or not below it, with `orEqual`). */
  // Stryker disable next-line BooleanLiteral: equivalent: without orEqual the key is absent (insert) or a cursor, where the chunk ending on it leads to the next one anyway
  #chunkAbove(key: string, orEqual = false): number {
    const lasts = this.#lasts;
    let lo = 0;
    let hi = lasts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const last = lasts[mid] as string;
      // Stryker disable next-line EqualityOperator: `>=` is equivalent: a chunk whose last key equals `key` is the one `orEqual` finds, and without `orEqual` the key is absent (insert) or a cursor, where the chunk ending on it leads to the next one
      if (last > key || (orEqual && last === key)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** The position of the first key in sorted `keys` above `key` (or not below it, with `orEqual`). */
function above(keys: readonly string[], key: string, orEqual = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid] as string;
    if (k > key || (orEqual && k === key)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const expiryOf = (slot: Slot): number => slot.expiresAt ?? Number.POSITIVE_INFINITY;

/**
 * The entries of one collection in recency order (the least recently used first), with their keys
 * also kept sorted for `keys()` paging.
 */
class Slots extends Map<string, Slot> {
  readonly order = new SortedKeys();

  /** Stores `slot` under `key` as the most recently used. */
  override set(key: string, slot: Slot): this {
    const old = super.get(key);
    if (old === undefined) this.order.insert(key, expiryOf(slot));
    else {
      super.delete(key); // most recently used goes last
      // Stryker disable next-line ConditionalExpression: equivalent: writing the same expiry again changes nothing (it only saves a search)
      if (old.expiresAt !== slot.expiresAt) this.order.expire(key, expiryOf(slot));
    }
    return super.set(key, slot);
  }

  /** Makes `key` (holding `slot`) the most recently used. */
  // Stryker disable next-line BlockStatement: LRU order matters only once the bound evicts, which the suite never makes it do (test/memory-store.test.ts checks it)
  touch(key: string, slot: Slot): void {
    super.delete(key);
    super.set(key, slot);
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    // Stryker disable next-line ConditionalExpression: `if (true)` is equivalent: every caller deletes a key it has just found; `if (false)` is killed, but Stryker cannot mark one variant
    if (had) this.order.remove(key);
    return had;
  }
}

/**
 * An in-memory store with copy-on-read and copy-on-write, real eviction of expired entries,
 * optional LRU bound per collection, atomic `take`/`putIfAbsent`, and every optional capability.
 * Nothing survives the process: use `FileStore` or a database for OAuth state you must keep.
 * `keys()` pages from a sorted index kept per collection: a page costs about the same at 1k and
 * 100k entries, and one call looks at no more than 4096 keys (a page behind many expired ones may
 * come back short, with a cursor).
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
  readonly #data = new Map<string, Slots>();
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
      slots.touch(key, slot); // most recently used goes last
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
    return slots.order.page(cursor, limit, this.now());
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
      slots = new Slots();
      this.#data.set(collection, slots);
    }
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

  #drop(collection: string, slots: Slots, key: string): void {
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

  #sweepCollection(collection: string, slots: Slots, now: number): number {
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
