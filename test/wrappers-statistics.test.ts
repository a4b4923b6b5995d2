import { describe, expect, test } from 'vitest';
import { MemoryStore } from '../src/stores/memory.js';
import { withStatistics } from '../src/wrappers/statistics.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
const zero = { calls: 0, hits: 0, misses: 0, errors: 0, errorCodes: {} };

describe('StatisticsWrapper', () => {
  test('counts calls, hits and misses per collection and operation', async () => {
    const store = withStatistics(memory());
    await store.put('a', { n: 1 }, { collection: 'clients' });
    await store.get('a', { collection: 'clients' });
    await store.get('missing', { collection: 'clients' });
    await store.getMany(['a', 'x', 'a'], { collection: 'clients' });
    await store.ttlMany(['a', 'x'], { collection: 'clients' });
    await store.get('a'); // default collection
    await store.putIfAbsent('a', { n: 2 }, { collection: 'clients' });
    await store.putIfAbsent('b', { n: 2 }, { collection: 'clients' });
    await store.take('b', { collection: 'clients' });
    await store.take('b', { collection: 'clients' });
    await store.deleteMany(['a', 'a', 'gone'], { collection: 'clients' });
    await store.delete('a', { collection: 'clients' });
    await store.collections();
    await store.cull();
    const { totals, collections } = store.statistics();
    const clients = collections.clients ?? {};
    expect(clients.get).toEqual({ ...zero, calls: 2, hits: 1, misses: 1 });
    expect(clients.getMany).toEqual({ ...zero, calls: 1, hits: 2, misses: 1 });
    expect(clients.ttlMany).toEqual({ ...zero, calls: 1, hits: 1, misses: 1 });
    expect(clients.putIfAbsent).toEqual({ ...zero, calls: 2, hits: 1, misses: 1 });
    expect(clients.take).toEqual({ ...zero, calls: 2, hits: 1, misses: 1 });
    expect(clients.deleteMany).toEqual({ ...zero, calls: 1, hits: 1, misses: 1 });
    expect(clients.delete).toEqual({ ...zero, calls: 1, hits: 0, misses: 1 });
    expect(clients.put).toEqual({ ...zero, calls: 1 });
    expect(collections.default_collection?.get).toEqual({ ...zero, calls: 1, misses: 1 });
    expect(totals.get).toEqual({ ...zero, calls: 3, hits: 1, misses: 2 });
    expect(totals.collections).toEqual({ ...zero, calls: 1 });
    expect(totals.cull).toEqual({ ...zero, calls: 1 });
    expect(Object.keys(collections).sort()).toEqual(['clients', 'default_collection']);
  });

  test('errors are counted by code and still thrown', async () => {
    const store = withStatistics(memory());
    await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('k', { a: 1 }, { ttl: -1 })).rejects.toMatchObject({ code: 'INVALID_TTL' });
    await expect(store.put('k', { a: 1 }, { ttl: 0 })).rejects.toMatchObject({ code: 'INVALID_TTL' });
    await store.close();
    await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    const { totals } = store.statistics();
    expect(totals.get).toEqual({
      calls: 2,
      hits: 0,
      misses: 0,
      errors: 2,
      errorCodes: { INVALID_KEY: 1, STORE_CLOSED: 1 },
    });
    expect(totals.put?.errorCodes).toEqual({ INVALID_TTL: 2 });
  });

  test('a malformed collection is counted in the totals only, never as a collection', async () => {
    const store = withStatistics(memory());
    await expect(store.get('k', { collection: '' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('k', {}, { collection: 'a\uD800' })).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(store.get('k', 'clients' as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    const { totals, collections } = store.statistics();
    expect(Object.keys(collections)).toEqual([]);
    expect(totals.get?.errorCodes).toEqual({ INVALID_KEY: 1, VALIDATION_ERROR: 1 });
    expect(totals.put?.errors).toBe(1);
  });

  test('the snapshot is a copy, reset() starts again, and no key or value is recorded', async () => {
    const store = withStatistics(memory());
    await store.put('secret-key', { token: 'secret-value' }, { collection: '__proto__' });
    await store.get('secret-key', { collection: '__proto__' });
    const snap = store.statistics();
    expect(Object.getPrototypeOf(snap.collections)).toBeNull();
    const proto = Object.getOwnPropertyDescriptor(snap.collections, '__proto__')?.value;
    expect(proto?.get?.hits).toBe(1);
    const text = JSON.stringify(snap);
    expect(text).not.toContain('secret');
    (snap.totals.get as { calls: number }).calls = 99;
    expect(store.statistics().totals.get?.calls).toBe(1);
    store.reset();
    const after = store.statistics();
    expect(after.totals).toEqual({});
    expect(after.collections).toEqual({});
    expect(after.since).toBeGreaterThanOrEqual(snap.since);
    expect(await store.get('secret-key', { collection: '__proto__' })).toEqual({ token: 'secret-value' });
  });

  test('keys and destroyCollection count per collection; capabilities pass through', async () => {
    const inner = memory();
    const store = withStatistics(inner);
    await store.put('k', { a: 1 }, { collection: 'c' });
    await store.keys('c');
    await store.destroyCollection('c');
    const c = store.statistics().collections.c;
    expect(c?.keys?.calls).toBe(1);
    expect(c?.destroyCollection?.calls).toBe(1);
    // The atomic counter too: this wrapper implements increment (see test/wrappers-increment.test.ts).
    expect(store.capabilities).toEqual(inner.capabilities);
  });
});
