/**
 * A store written from scratch on the raw AsyncKeyValue contract, as a custom-backend author who
 * does not extend BaseStore would: its own validation (raw-validate.ts), expiry, copies, paging and
 * every optional capability, over a Map that several instances may share (a "backing"). It passes
 * the whole suite; each class in broken-raw.ts overrides one small part of it with a realistic
 * mistake.
 */
import type {
  AsyncKeyValue,
  CollectionOptions,
  JsonObject,
  KeysOptions,
  KeysPage,
  PutOptions,
  StoreCapabilities,
  TtlResult,
} from '../../src/contract.js';
import {
  NotSupportedError,
  SerializationError,
  StoreClosedError,
  ValidationError,
} from '../../src/errors.js';
import { checkName, checkOptions, checkTtl, collectionOf, kind, snapshot } from './raw-validate.js';

export interface Slot {
  json: string;
  expiresAt: number | undefined;
}
/** collection → key → slot. */
export type Backing = Map<string, Map<string, Slot>>;

export class RawStore implements AsyncKeyValue {
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
    increment: true,
  };
  protected readonly data: Backing;
  protected closed = false;
  protected timer: ReturnType<typeof setInterval> | undefined;

  constructor(backing: Backing = new Map()) {
    this.data = backing;
    this.timer = setInterval(() => void this.sweep(), 60_000);
    this.timer.unref();
  }

  // ---- hooks the broken variants override ------------------------------------------------------

  protected now(): number {
    return Date.now();
  }
  protected open(options: unknown): string {
    if (this.closed) throw new StoreClosedError('the store is closed');
    return collectionOf(options);
  }
  protected key(key: unknown): string {
    return checkName(key, 'key');
  }
  protected keyList(keys: unknown): string[] {
    if (!Array.isArray(keys))
      throw new ValidationError('keys must be an array', [{ message: 'array', path: 'keys' }]);
    return keys.map((k) => this.key(k));
  }
  protected expiry(ttl: unknown): number | undefined {
    const seconds = checkTtl(ttl);
    return seconds === undefined ? undefined : this.now() + seconds * 1000;
  }
  protected encode(value: unknown): string {
    return snapshot(value).json;
  }
  protected decode(json: string): JsonObject {
    return JSON.parse(json) as JsonObject;
  }
  protected live(slot: Slot | undefined): Slot | undefined {
    return slot === undefined || (slot.expiresAt !== undefined && slot.expiresAt <= this.now())
      ? undefined
      : slot;
  }
  protected read(collection: string, key: string): Slot | undefined {
    return this.live(this.data.get(collection)?.get(key));
  }
  protected write(collection: string, key: string, slot: Slot): void {
    let slots = this.data.get(collection);
    if (slots === undefined) {
      slots = new Map();
      this.data.set(collection, slots);
    }
    slots.set(key, slot);
  }
  /** Removes an entry; whether a live one was there. */
  protected remove(collection: string, key: string): boolean {
    const slots = this.data.get(collection);
    const had = this.live(slots?.get(key)) !== undefined;
    slots?.delete(key);
    if (slots?.size === 0) this.data.delete(collection);
    return had;
  }
  /** Whether keys() lists the entry. */
  protected listable(slot: Slot): boolean {
    return this.live(slot) !== undefined;
  }
  protected sweep(): number {
    let removed = 0;
    for (const [collection, slots] of this.data) {
      for (const [key, slot] of slots) {
        if (this.live(slot) === undefined) {
          slots.delete(key);
          removed++;
        }
      }
      if (slots.size === 0) this.data.delete(collection);
    }
    return removed;
  }

  // ---- the contract ------------------------------------------------------------------------------

  async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const collection = this.open(options);
    const slot = this.read(collection, this.key(key));
    return slot && this.decode(slot.json);
  }
  async getMany(keys: readonly string[], options?: CollectionOptions): Promise<(JsonObject | undefined)[]> {
    const collection = this.open(options);
    return this.keyList(keys).map((k) => {
      const slot = this.read(collection, k);
      return slot && this.decode(slot.json);
    });
  }
  async ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    const collection = this.open(options);
    return this.ttlOf(this.read(collection, this.key(key)));
  }
  async ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    const collection = this.open(options);
    return this.keyList(keys).map((k) => this.ttlOf(this.read(collection, k)));
  }
  protected ttlOf(slot: Slot | undefined): TtlResult {
    if (slot === undefined) return { value: undefined, ttl: undefined };
    const ttl = slot.expiresAt === undefined ? undefined : Math.max(0, (slot.expiresAt - this.now()) / 1000);
    return { value: this.decode(slot.json), ttl };
  }
  async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    const collection = this.open(options);
    const k = this.key(key);
    const expiresAt = this.expiry(checkOptions(options).ttl);
    this.write(collection, k, { json: this.encode(value), expiresAt });
  }
  async putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions): Promise<void> {
    const collection = this.open(options);
    const expiresAt = this.expiry(checkOptions(options).ttl);
    if (!Array.isArray(entries) || entries.some((e) => !Array.isArray(e) || e.length !== 2)) {
      throw new SerializationError('putMany takes an array of [key, value] pairs', '$');
    }
    const ready = new Map<string, string>();
    for (const [key, value] of entries) {
      const k = this.key(key);
      ready.delete(k);
      ready.set(k, this.encode(value));
    }
    for (const [k, json] of ready) this.write(collection, k, { json, expiresAt });
  }
  async delete(key: string, options?: CollectionOptions): Promise<boolean> {
    const collection = this.open(options);
    return this.remove(collection, this.key(key));
  }
  async deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    const collection = this.open(options);
    let n = 0;
    for (const k of new Set(this.keyList(keys))) if (this.remove(collection, k)) n++;
    return n;
  }
  async take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const collection = this.open(options);
    const k = this.key(key);
    const slot = this.read(collection, k);
    this.remove(collection, k);
    return slot && this.decode(slot.json);
  }
  async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const collection = this.open(options);
    const k = this.key(key);
    const expiresAt = this.expiry(checkOptions(options).ttl);
    const json = this.encode(value);
    if (this.read(collection, k) !== undefined) return false;
    this.write(collection, k, { json, expiresAt });
    return true;
  }
  async increment(key: string, by: number = 1, options?: PutOptions): Promise<number> {
    const collection = this.open(options);
    const k = this.key(key);
    const expiresAt = this.expiry(checkOptions(options).ttl);
    if (!Number.isSafeInteger(by)) {
      throw new ValidationError('increment() adds a safe integer', [{ message: 'safe integer', path: 'by' }]);
    }
    // No await between the read and the write: atomic on one backing.
    const slot = this.read(collection, k);
    if (slot === undefined) {
      this.write(collection, k, { json: JSON.stringify({ count: by }), expiresAt });
      return by;
    }
    const value = this.decode(slot.json);
    if (typeof value.count !== 'number') {
      throw new ValidationError('the entry is not a counter', [{ message: 'not a number', path: '$.count' }]);
    }
    const count = value.count + by;
    this.write(collection, k, { json: JSON.stringify({ ...value, count }), expiresAt: slot.expiresAt });
    return count;
  }
  async keys(collection = 'default_collection', options?: KeysOptions): Promise<KeysPage> {
    const c = this.open({ collection });
    if (!this.capabilities.keys) throw new NotSupportedError('keys', 'RawStore');
    const { limit = 1000, cursor } = this.pageOptions(options);
    const live = [...(this.data.get(c) ?? new Map<string, Slot>())]
      .filter(([k, slot]) => this.listable(slot) && (cursor === undefined || k > cursor))
      .map(([k]) => k)
      .sort();
    const page = live.slice(0, limit);
    return { keys: page, cursor: live.length > limit ? page[page.length - 1] : undefined };
  }
  protected pageOptions(options: unknown): { limit?: number; cursor?: string } {
    const { limit, cursor } = checkOptions(options) as { limit?: unknown; cursor?: unknown };
    const bad = (option: string, got: string) => {
      const message = `bad ${option}, got ${got}`;
      return new ValidationError(message, [{ message, path: `options.${option}` }]);
    };
    if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) > 0))
      throw bad('limit', typeof limit === 'number' ? String(limit) : kind(limit));
    if (cursor !== undefined && typeof cursor !== 'string') throw bad('cursor', kind(cursor));
    return { limit: limit as number | undefined, cursor: cursor as string | undefined };
  }
  async collections(): Promise<string[]> {
    this.open(undefined);
    this.sweep();
    return [...this.data.keys()];
  }
  async destroyCollection(collection: string): Promise<boolean> {
    const c = this.open({ collection });
    const slots = this.data.get(c);
    const had = [...(slots?.values() ?? [])].some((slot) => this.live(slot));
    this.data.delete(c);
    return had;
  }
  async cull(): Promise<number> {
    this.open(undefined);
    return this.sweep();
  }
  async ping(): Promise<void> {
    this.open(undefined);
  }
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
  }
}
