import { afterEach, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { DEFAULT_COLLECTION } from '../src/contract.js';
import { StoreSetupError } from '../src/errors.js';
import { MemoryStore, type MemoryStoreOptions } from '../src/stores/memory.js';

describeConformance('MemoryStore', { createStore: () => new MemoryStore() });

describe('MemoryStore', () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  const make = (options?: ConstructorParameters<typeof MemoryStore>[0]) => {
    const s = new MemoryStore(options);
    stores.push(s);
    return s;
  };

  test('expired entries are evicted from memory by cull(), not only hidden', async () => {
    let now = 1_000_000;
    const s = make({ clock: () => now, sweepIntervalMs: 0 });
    for (let i = 0; i < 100; i++) await s.put(`k${i}`, { i }, { ttl: 10 });
    await s.put('keep', { forever: true });
    expect(s.size).toBe(101);
    now += 10_000;
    expect(await s.cull()).toBe(100);
    expect(s.size).toBe(1);
  });

  test('the background sweep evicts expired entries that are never read again', async () => {
    const s = make({ sweepIntervalMs: 20 });
    for (let i = 0; i < 50; i++) await s.put(`k${i}`, { i }, { ttl: 0.05 });
    expect(s.size).toBe(50);
    const deadline = Date.now() + 5000;
    while (s.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(s.size).toBe(0);
  });

  test('reading an expired entry evicts it', async () => {
    let now = 0;
    const s = make({ clock: () => now, sweepIntervalMs: 0 });
    await s.put('k', { a: 1 }, { ttl: 1 });
    now = 1000;
    expect(await s.get('k')).toBeUndefined();
    expect(s.size).toBe(0);
  });

  test('maxEntriesPerCollection evicts the least recently used entry of that collection only', async () => {
    const s = make({ maxEntriesPerCollection: 3, sweepIntervalMs: 0 });
    await s.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ]);
    await s.put('x', { n: 0 }, { collection: 'other' });
    await s.get('a'); // a becomes most recently used, b is now the oldest
    await s.put('d', { n: 4 });
    expect(await s.getMany(['a', 'b', 'c', 'd'])).toEqual([{ n: 1 }, undefined, { n: 3 }, { n: 4 }]);
    expect(await s.get('x', { collection: 'other' })).toEqual({ n: 0 });
    expect(s.size).toBe(4);
  });

  test('invalid options are a StoreSetupError at construction, naming the store, the option and what was wrong', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ maxEntriesPerCollection: 0 }, /^MemoryStore option maxEntriesPerCollection .*integer.*, got 0$/],
      [{ maxEntriesPerCollection: 1.5 }, /^MemoryStore option maxEntriesPerCollection .*, got 1\.5$/],
      [{ maxEntriesPerCollection: '10' }, /^MemoryStore option maxEntriesPerCollection /],
      [{ sweepIntervalMs: -1 }, /^MemoryStore option sweepIntervalMs .*positive.*, got -1$/],
      [{ sweepIntervalMs: Number.NaN }, /^MemoryStore option sweepIntervalMs /],
      [{ sweepIntervalMs: '1000' }, /^MemoryStore option sweepIntervalMs /],
      // setInterval would clamp it to 1 ms
      [{ sweepIntervalMs: 2 ** 31 }, /^MemoryStore option sweepIntervalMs must be at most 2147483647 ms$/],
      ['not an object', /^MemoryStore options must be an object, got a string$/],
      [null, /^MemoryStore options must be an object, got null$/],
    ];
    for (const [options, message] of bad) {
      expect(() => new MemoryStore(options as MemoryStoreOptions), JSON.stringify(options)).toThrow(
        StoreSetupError,
      );
      expect(() => new MemoryStore(options as MemoryStoreOptions), JSON.stringify(options)).toThrow(message);
    }
    make({ sweepIntervalMs: 0, maxEntriesPerCollection: 1 }); // 0 turns the timer off
    make({ sweepIntervalMs: 2 ** 31 - 1 });
  });

  test('operations after close() reject with StoreClosedError', async () => {
    const s = make();
    await s.close();
    await expect(s.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  /** Every key of `collection` through keys() pages of `limit`, in the order listed. */
  const listAll = async (s: MemoryStore, collection: string, limit: number) => {
    const out: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.keys(collection, { limit, cursor });
      expect(page.cursor).not.toBe(cursor ?? null);
      out.push(...page.keys);
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    return { keys: out, pages };
  };

  test('keys() lists a large collection in sorted order after inserts and deletes in random order', async () => {
    const s = make({ sweepIntervalMs: 0 });
    // A deterministic shuffle of 3000 keys (more than the index's chunks hold, so chunks split).
    const keys = Array.from({ length: 3000 }, (_, i) => `k${(i * 7919) % 3000}`);
    for (const k of keys) await s.put(k, { k });
    for (const k of keys.filter((_, i) => i % 3 === 0)) expect(await s.delete(k)).toBe(true);
    // Deleting a whole run of neighbours empties index chunks.
    for (let i = 1000; i < 2000; i++) await s.delete(`k${i}`);
    await s.put('k1500', { k: 'again' });
    // Keys that sort before and after the emptied run land in their place.
    const around = Array.from({ length: 300 }, (_, i) => [
      `k1-${i}`,
      `k1${String(i).padStart(4, '0')}z`,
      `k3${i}`,
    ]).flat();
    for (const k of around) await s.put(k, { k });
    await s.putMany([['k1500', { k: 'twice' }]]);
    const want = [
      ...new Set([
        ...keys.filter((_, i) => i % 3 !== 0).filter((k) => !/^k1\d{3}$/.test(k)),
        'k1500',
        ...around,
      ]),
    ].sort();
    const { keys: listed } = await listAll(s, DEFAULT_COLLECTION, 97);
    expect(listed).toEqual(want);
    // A cursor that is not a key starts after it.
    expect((await s.keys(DEFAULT_COLLECTION, { limit: 2, cursor: 'k2' })).keys).toEqual(['k20', 'k200']);
    expect(await s.keys(DEFAULT_COLLECTION, { cursor: 'zzz' })).toEqual({ keys: [], cursor: undefined });
  });

  test('keys() after the last key of an index chunk is deleted, written again and deleted again', async () => {
    const s = make({ sweepIntervalMs: 0 });
    // Written in order, 600 keys split the index after k512: k255 ends the first chunk.
    const keys = Array.from({ length: 600 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await s.putMany(keys.map((k) => [k, { k }] as const));
    expect(await s.delete('k255')).toBe(true);
    await s.put('k255', { k: 'again' });
    expect(await s.delete('k255')).toBe(true);
    expect((await listAll(s, DEFAULT_COLLECTION, 1000)).keys).toEqual(keys.filter((k) => k !== 'k255'));
  });

  test('keys() looks at no more than 4096 keys per call: a page behind many expired entries is short but paging goes on', async () => {
    let now = 1_000_000;
    const s = make({ clock: () => now, sweepIntervalMs: 0 });
    await s.putMany(
      Array.from({ length: 6000 }, (_, i) => [`a${String(i).padStart(5, '0')}`, { i }] as const),
      { ttl: 10 },
    );
    await s.putMany(
      Array.from({ length: 5000 }, (_, i) => [`b${String(i).padStart(5, '0')}`, { i }] as const),
    );
    now += 20_000;
    const first = await s.keys(DEFAULT_COLLECTION, { limit: 10 });
    expect(first).toEqual({ keys: [], cursor: 'a04095' });
    const second = await s.keys(DEFAULT_COLLECTION, { limit: 10, cursor: first.cursor });
    expect(second.keys).toEqual(Array.from({ length: 10 }, (_, i) => `b${String(i).padStart(5, '0')}`));
    const page = await s.keys(DEFAULT_COLLECTION, { limit: 5000 });
    expect(page.keys).toEqual([]);
    const { keys: listed } = await listAll(s, DEFAULT_COLLECTION, 5000);
    expect(listed).toEqual(Array.from({ length: 5000 }, (_, i) => `b${String(i).padStart(5, '0')}`));
  });

  test('reading under maxEntriesPerCollection keeps the key order that keys() lists', async () => {
    const s = make({ maxEntriesPerCollection: 600, sweepIntervalMs: 0 });
    for (let i = 0; i < 700; i++) await s.put(`k${String(i).padStart(3, '0')}`, { i });
    await s.get('k150');
    await s.put('k999', { i: 999 });
    const want = Array.from({ length: 600 }, (_, i) => `k${String(i + 100).padStart(3, '0')}`)
      .filter((k) => k !== 'k100')
      .concat('k999');
    expect((await listAll(s, DEFAULT_COLLECTION, 1000)).keys).toEqual(want);
  });

  test('keys() follows an overwrite that changes an entry expiry', async () => {
    let now = 1_000_000;
    const s = make({ clock: () => now, sweepIntervalMs: 0 });
    await s.put('stays', { n: 1 }, { ttl: 10 });
    await s.put('stays', { n: 2 }); // now never expires
    await s.put('goes', { n: 1 });
    await s.put('goes', { n: 2 }, { ttl: 10 });
    await s.put('later', { n: 1 }, { ttl: 10 });
    await s.put('later', { n: 2 }, { ttl: 100 });
    now += 10_000; // exactly when 'goes' expires: it is expired
    expect(await s.keys(DEFAULT_COLLECTION)).toEqual({ keys: ['later', 'stays'], cursor: undefined });
    now += 10_000;
    expect(await s.keys(DEFAULT_COLLECTION)).toEqual({ keys: ['later', 'stays'], cursor: undefined });
  });
});
