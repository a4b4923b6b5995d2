// The test set of `npm run mutation` (stryker.config.json): only the conformance suite, run on the
// code that is mutated (src/base-store.ts, src/stores/memory.ts, src/validation.ts): MemoryStore as
// it comes; the smallest BaseStore
// (the five primitives, no optional capability, every default of the base in use); and a TTL
// policy wrapper, whose option checks live in src/validation.ts; and the OAuth certification.
import { BaseStore, type BatchTiming, type RemovedEntry } from '../../src/base-store.js';
import { describeConformance, describeOAuthConformance } from '../../src/conformance/index.js';
import type { StoreCapabilities } from '../../src/contract.js';
import type { PreparedEntry, StoredEntry } from '../../src/entry.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { withTtlPolicy } from '../../src/wrappers/ttl.js';

/**
 * The five primitives over a Map, as in the BaseStore documentation. Like a real backend it counts
 * on what BaseStore promises its primitives (valid names, bulk key lists without duplicates) and
 * fails loudly when that is broken, as a document database refusing an empty id or a SQL batch
 * returning one row per distinct key would.
 */
class MapStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: false,
    collections: false,
    destroyCollection: false,
    cull: false,
    atomic: true,
  };
  readonly #data = new Map<string, { json: string; expiresAt: number | undefined }>();
  #ended = false;
  /** Like pg's Pool.end(), ending twice is an error: the base must call it once. */
  protected override async closeStore(): Promise<void> {
    if (this.#ended) throw new Error('closed twice');
    this.#ended = true;
  }
  protected override removeEntries(collection: string, keys: readonly string[]) {
    if (new Set(keys).size !== keys.length) throw new Error('removeEntries was given a key twice');
    return super.removeEntries(collection, keys);
  }
  protected override writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ) {
    if (new Set(entries.map(([key]) => key)).size !== entries.length) {
      throw new Error('writeEntries was given a key twice');
    }
    return super.writeEntries(collection, entries, timing);
  }
  protected override readEntries(collection: string, keys: readonly string[]) {
    if (new Set(keys).size !== keys.length) throw new Error('readEntries was given a key twice');
    return super.readEntries(collection, keys);
  }
  #slot(collection: string, key: string) {
    return JSON.stringify([collection, key]);
  }
  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    if (key === '' || collection === '') throw new Error('readEntry was given an empty name');
    const slot = this.#data.get(this.#slot(collection, key));
    return slot && { value: JSON.parse(slot.json), expiresAt: slot.expiresAt };
  }
  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    this.#data.set(this.#slot(collection, key), { json: entry.json, expiresAt: entry.expiresAt });
  }
  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const slot = this.#data.get(this.#slot(collection, key));
    this.#data.delete(this.#slot(collection, key));
    return slot;
  }
  // No await between the read and the write: that is what makes these two atomic here.
  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const slot = this.#data.get(this.#slot(collection, key));
    this.#data.delete(this.#slot(collection, key));
    return slot && { value: JSON.parse(slot.json), expiresAt: slot.expiresAt };
  }
  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const existing = this.#data.get(this.#slot(collection, key));
    if (existing && (existing.expiresAt === undefined || existing.expiresAt > this.now())) return false;
    this.#data.set(this.#slot(collection, key), { json: entry.json, expiresAt: entry.expiresAt });
    return true;
  }
}

describeConformance('MemoryStore', { createStore: () => new MemoryStore() });
describeOAuthConformance('MemoryStore', { createStore: () => new MemoryStore(), sharedBacking: false });
describeConformance('the smallest BaseStore', { createStore: () => new MapStore(), modelRuns: 5 });
describeConformance('withTtlPolicy(MemoryStore)', {
  createStore: () => withTtlPolicy(new MemoryStore(), { minTtl: 0.1 }),
  modelRuns: 5,
});
