/**
 * Deliberately broken stores. Each breaks one promise of the contract; the conformance suite must
 * catch every one of them (test/conformance-self.test.ts checks which tests fail).
 */
import { BaseStore, type BatchTiming, type RemovedEntry } from '../../src/base-store.js';
import type { JsonObject, StoreCapabilities } from '../../src/contract.js';
import { isExpired, type PreparedEntry, type StoredEntry } from '../../src/entry.js';
import { MemoryStore } from '../../src/stores/memory.js';

/** delete() always answers true, even when nothing was there. */
export class AlwaysTrueDeleteStore extends MemoryStore {
  protected override async removeEntry(collection: string, key: string) {
    await super.removeEntry(collection, key);
    return { expiresAt: undefined }; // "removed a live entry", whatever was there
  }
}

/** Accepts a TTL and ignores it: entries never expire. */
export class IgnoresTtlStore extends MemoryStore {
  protected override writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    return super.writeEntry(collection, key, { ...entry, expiresAt: undefined });
  }
  protected override writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ) {
    return super.writeEntries(
      collection,
      entries.map(([k, e]) => [k, { ...e, expiresAt: undefined }] as const),
      { ...timing, expiresAt: undefined },
    );
  }
  protected override writeEntryIfAbsent(collection: string, key: string, entry: PreparedEntry) {
    return super.writeEntryIfAbsent(collection, key, { ...entry, expiresAt: undefined });
  }
}

/** take() is a get followed later by a delete, so racing callers can both win. */
export class NonAtomicTakeStore extends MemoryStore {
  protected override async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const entry = await this.readEntry(collection, key);
    await new Promise((resolve) => setImmediate(resolve));
    await this.removeEntry(collection, key);
    return entry;
  }
}

/** Joins collection and key with "::", so ("a::b","c") and ("a","b::c") are the same entry. */
export class AliasingStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: false,
    collections: false,
    destroyCollection: false,
    cull: false,
    atomic: true,
  };
  readonly #data = new Map<string, { json: string; expiresAt: number | undefined }>();
  #slot(collection: string, key: string) {
    return `${collection}::${key}`;
  }
  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const slot = this.#data.get(this.#slot(collection, key));
    return slot && { value: JSON.parse(slot.json) as JsonObject, expiresAt: slot.expiresAt };
  }
  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    this.#data.set(this.#slot(collection, key), { json: entry.json, expiresAt: entry.expiresAt });
  }
  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const slot = this.#data.get(this.#slot(collection, key));
    this.#data.delete(this.#slot(collection, key));
    return slot;
  }
  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const entry = await this.readEntry(collection, key);
    this.#data.delete(this.#slot(collection, key));
    return entry;
  }
  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const existing = this.#data.get(this.#slot(collection, key));
    if (existing && !isExpired(existing, this.now())) return false;
    await this.writeEntry(collection, key, entry);
    return true;
  }
}

/** Keeps and returns the caller's objects by reference instead of copying them. */
export class SharesReferencesStore extends AliasingStore {
  readonly #objects = new Map<string, StoredEntry>();
  protected override async readEntry(collection: string, key: string) {
    const entry = this.#objects.get(JSON.stringify([collection, key]));
    return entry && !isExpired(entry, this.now()) ? entry : undefined;
  }
  protected override async writeEntry(collection: string, key: string, entry: PreparedEntry) {
    this.#objects.set(JSON.stringify([collection, key]), { value: entry.value, expiresAt: entry.expiresAt });
  }
  protected override async removeEntry(collection: string, key: string) {
    const had = await this.readEntry(collection, key);
    this.#objects.delete(JSON.stringify([collection, key]));
    return had;
  }
  protected override async takeEntry(collection: string, key: string) {
    const entry = await this.readEntry(collection, key);
    this.#objects.delete(JSON.stringify([collection, key]));
    return entry;
  }
  protected override async writeEntryIfAbsent(collection: string, key: string, entry: PreparedEntry) {
    if (await this.readEntry(collection, key)) return false;
    await this.writeEntry(collection, key, entry);
    return true;
  }
}
