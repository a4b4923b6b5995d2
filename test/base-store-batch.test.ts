/**
 * What BaseStore hands a backend's bulk primitives: putMany gives writeEntries distinct keys (a
 * later duplicate wins, in its own position) with the batch's one timing; getMany reads the clock
 * once for the batch. The backend here is a real one (documents in a Map, as the BaseStore example
 * does), recording what its primitives receive.
 */
import { describe, expect, test } from 'vitest';
import { BaseStore, type BatchTiming, type RemovedEntry } from '../src/base-store.js';
import { DEFAULT_COLLECTION, type StoreCapabilities } from '../src/contract.js';
import type { PreparedEntry, StoredEntry } from '../src/entry.js';

class RecordingStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: false,
    collections: false,
    destroyCollection: false,
    cull: false,
    atomic: true,
  };
  readonly data = new Map<string, { json: string; expiresAt: number | undefined }>();
  readonly batches: Array<{ keys: string[]; entries: PreparedEntry[]; timing: BatchTiming }> = [];

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const e = this.data.get(`${collection}/${key}`);
    return e && { value: JSON.parse(e.json), expiresAt: e.expiresAt };
  }
  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    this.data.set(`${collection}/${key}`, { json: entry.json, expiresAt: entry.expiresAt });
  }
  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ): Promise<void> {
    this.batches.push({ keys: entries.map(([k]) => k), entries: entries.map(([, e]) => e), timing });
    for (const [key, entry] of entries) await this.writeEntry(collection, key, entry);
  }
  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const e = this.data.get(`${collection}/${key}`);
    this.data.delete(`${collection}/${key}`);
    return e;
  }
  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const e = await this.readEntry(collection, key);
    this.data.delete(`${collection}/${key}`);
    return e;
  }
  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    if (this.data.has(`${collection}/${key}`)) return false;
    await this.writeEntry(collection, key, entry);
    return true;
  }
}

describe('BaseStore bulk primitives', () => {
  test('putMany hands writeEntries each key once, a later duplicate in its own position', async () => {
    const store = new RecordingStore({ clock: () => 1_000 });
    await store.putMany(
      [
        ['a', { n: 1 }],
        ['b', { n: 2 }],
        ['a', { n: 3 }],
        ['c', { n: 4 }],
        ['b', { n: 5 }],
      ],
      { ttl: 60 },
    );
    expect(store.batches).toHaveLength(1);
    const [batch] = store.batches;
    expect(batch!.keys).toEqual(['a', 'c', 'b']);
    expect(batch!.entries.map((e) => e.json)).toEqual(['{"n":3}', '{"n":4}', '{"n":5}']);
    expect(batch!.timing).toEqual({ ttl: 60, createdAt: 1_000, expiresAt: 61_000 });
    for (const e of batch!.entries) {
      expect(e).toMatchObject({ ttl: 60, createdAt: 1_000, expiresAt: 61_000 });
    }
  });

  test('putMany without duplicates keeps the caller order; values are validated copies', async () => {
    const store = new RecordingStore();
    const value = { n: 1 };
    await store.putMany([
      ['x', value],
      ['y', { n: 2 }],
    ]);
    const [batch] = store.batches;
    expect(batch!.keys).toEqual(['x', 'y']);
    expect(batch!.entries[0]!.value).toEqual(value);
    expect(batch!.entries[0]!.value).not.toBe(value);
    expect(batch!.entries[0]!.expiresAt).toBeUndefined();
  });

  test('getMany reads the clock once for the whole batch', async () => {
    let readings = 0;
    const store = new RecordingStore({
      clock: () => {
        readings++;
        return 5_000;
      },
    });
    store.data.set(`${DEFAULT_COLLECTION}/live`, { json: '{"n":1}', expiresAt: 5_001 });
    store.data.set(`${DEFAULT_COLLECTION}/gone`, { json: '{"n":2}', expiresAt: 5_000 });
    readings = 0;
    const keys = ['live', 'gone', 'missing', 'live'];
    expect(await store.getMany(keys)).toEqual([{ n: 1 }, undefined, undefined, { n: 1 }]);
    expect(readings).toBe(1);
  });
});
