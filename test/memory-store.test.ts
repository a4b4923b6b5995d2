import { afterEach, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
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

  test('invalid options are a StoreSetupError at construction', () => {
    const bad: unknown[] = [
      { maxEntriesPerCollection: 0 },
      { maxEntriesPerCollection: 1.5 },
      { maxEntriesPerCollection: '10' },
      { sweepIntervalMs: -1 },
      { sweepIntervalMs: Number.NaN },
      { sweepIntervalMs: '1000' },
      { sweepIntervalMs: 2 ** 31 }, // setInterval would clamp it to 1 ms
      'not an object',
      null,
    ];
    for (const options of bad) {
      expect(() => new MemoryStore(options as MemoryStoreOptions), JSON.stringify(options)).toThrow(
        StoreSetupError,
      );
    }
    make({ sweepIntervalMs: 0, maxEntriesPerCollection: 1 }); // 0 turns the timer off
    make({ sweepIntervalMs: 2 ** 31 - 1 });
  });

  test('operations after close() reject with StoreClosedError', async () => {
    const s = make();
    await s.close();
    await expect(s.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
