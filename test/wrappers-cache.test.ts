import { describe, expect, test } from 'vitest';
import type { CollectionOptions, StoreCapabilities, TtlResult } from '../src/contract.js';
import { StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { withCache } from '../src/wrappers/cache.js';
import { withStatistics } from '../src/wrappers/statistics.js';

/** Backing and cache on one controllable clock; the backing counts its reads. */
function setup(options: { maxTtl?: number } = {}) {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const backingData = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const backing = withStatistics(backingData);
  const cache = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const store = withCache(backing, { cache, ...options });
  const reads = () => {
    const t = backing.statistics().totals;
    return (t.ttl?.calls ?? 0) + (t.ttlMany?.calls ?? 0) + (t.get?.calls ?? 0) + (t.getMany?.calls ?? 0);
  };
  return {
    store,
    backing: backingData,
    cache,
    reads,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

/** A backing whose next ttl() read waits, after reading, until released. */
class SlowRead extends WrapperStore {
  #pause: Promise<void> | undefined;
  #release: () => void = () => undefined;
  pauseNextRead(): () => void {
    this.#pause = new Promise((resolve) => {
      this.#release = resolve;
    });
    return () => this.#release();
  }
  override async ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    const result = await this.inner.ttl(key, options);
    const pause = this.#pause;
    this.#pause = undefined;
    if (pause) await pause;
    return result;
  }
}

describe('CacheWrapper', () => {
  test('a second get is served from the cache; an empty object is a hit', async () => {
    const { store, backing, reads } = setup();
    await backing.put('k', { a: 1 }, { collection: 'c' });
    await backing.put('empty', {}, { collection: 'c' });
    expect(await store.get('k', { collection: 'c' })).toEqual({ a: 1 });
    expect(await store.get('empty', { collection: 'c' })).toEqual({});
    expect(reads()).toBe(2);
    expect(await store.get('k', { collection: 'c' })).toEqual({ a: 1 });
    expect(await store.get('empty', { collection: 'c' })).toEqual({});
    expect(reads()).toBe(2);
    // Misses are not cached: a later write by someone else is seen.
    expect(await store.get('missing', { collection: 'c' })).toBeUndefined();
    await backing.put('missing', { now: 'here' }, { collection: 'c' });
    expect(await store.get('missing', { collection: 'c' })).toEqual({ now: 'here' });
  });

  test('a cached entry lives as long as the backing entry, never longer; maxTtl caps it', async () => {
    const plain = setup();
    await plain.backing.put('k', { a: 1 }, { ttl: 100 });
    plain.advance(40);
    await plain.store.get('k');
    expect((await plain.cache.ttl('k')).ttl).toBe(60);
    await plain.backing.put('forever', { a: 1 });
    await plain.store.get('forever');
    expect(await plain.cache.ttl('forever')).toEqual({ value: { a: 1 }, ttl: undefined });

    const capped = setup({ maxTtl: 10 });
    await capped.backing.put('k', { a: 1 }, { ttl: 100 });
    await capped.backing.put('soon', { a: 1 }, { ttl: 5 });
    await capped.backing.put('forever', { a: 1 });
    await capped.store.getMany(['k', 'soon', 'forever']);
    expect((await capped.cache.ttlMany(['k', 'soon', 'forever'])).map((r) => r.ttl)).toEqual([10, 5, 10]);
    // A write that bypasses the wrapper is seen once the capped cache entry expires.
    await capped.backing.put('forever', { a: 2 });
    expect(await capped.store.get('forever')).toEqual({ a: 1 });
    capped.advance(11);
    expect(await capped.store.get('forever')).toEqual({ a: 2 });
  });

  test("ttl() and ttlMany() report the backing store's exact lifetime", async () => {
    const { store, backing } = setup({ maxTtl: 10 });
    await backing.put('k', { a: 1 }, { ttl: 100 });
    await store.get('k');
    expect(await store.ttl('k')).toEqual({ value: { a: 1 }, ttl: 100 });
    expect(await store.ttlMany(['k'])).toEqual([{ value: { a: 1 }, ttl: 100 }]);
  });

  test('getMany mixes hits and misses in order, with duplicates as separate objects', async () => {
    const { store, backing, reads } = setup();
    await backing.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ]);
    await store.get('a');
    const got = await store.getMany(['a', 'b', 'missing', 'b', 'c']);
    expect(got).toEqual([{ n: 1 }, { n: 2 }, undefined, { n: 2 }, { n: 3 }]);
    expect(got[1]).not.toBe(got[3]);
    const before = reads();
    expect(await store.getMany(['c', 'b', 'a'])).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }]);
    expect(reads()).toBe(before);
    expect(await store.getMany([])).toEqual([]);
  });

  test('every write through the wrapper invalidates the cached entry', async () => {
    const { store, backing } = setup();
    const o = { collection: 'c' };
    const prime = async (value: object) => {
      await backing.put('k', value as never, o);
      expect(await store.get('k', o)).toEqual(value);
    };
    await prime({ v: 0 });
    await store.put('k', { v: 1 }, o);
    expect(await store.get('k', o)).toEqual({ v: 1 });
    await store.putMany([['k', { v: 2 }]], o);
    expect(await store.get('k', o)).toEqual({ v: 2 });
    await store.delete('k', o);
    expect(await store.get('k', o)).toBeUndefined();
    await prime({ v: 3 });
    await store.deleteMany(['k'], o);
    expect(await store.get('k', o)).toBeUndefined();
    await prime({ v: 4 });
    expect(await store.take('k', o)).toEqual({ v: 4 });
    expect(await store.get('k', o)).toBeUndefined();
    // putIfAbsent on the backing: the expired/absent entry is replaced, the cache must not hide it.
    await prime({ v: 5 });
    await backing.delete('k', o); // removed behind the cache's back...
    expect(await store.putIfAbsent('k', { v: 6 }, o)).toBe(true); // ...the backing decides
    expect(await store.get('k', o)).toEqual({ v: 6 });
    await store.put('k', { v: 7 }, o);
    expect(await store.get('k', o)).toEqual({ v: 7 }); // cached again
    expect(await store.destroyCollection('c')).toBe(true);
    expect(await store.get('k', o)).toBeUndefined();
  });

  test('take and putIfAbsent run on the backing store: a cached value is not taken twice', async () => {
    const { store, backing } = setup();
    await backing.put('code', { c: 1 });
    await store.get('code'); // now cached
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('code')));
    expect(results.filter((r) => r !== undefined)).toEqual([{ c: 1 }]);
    await store.put('jti', { a: 1 });
    await store.get('jti');
    expect(await store.putIfAbsent('jti', { a: 2 })).toBe(false);
  });

  test('a fill that raced with a write is discarded, so no stale value stays cached', async () => {
    const backing = new MemoryStore({ sweepIntervalMs: 0 });
    const slow = new SlowRead(backing);
    const cache = new MemoryStore({ sweepIntervalMs: 0 });
    const store = withCache(slow, { cache });
    await backing.put('k', { v: 'old' });
    const release = slow.pauseNextRead();
    const reading = store.get('k'); // reads 'old', then waits before filling the cache
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.put('k', { v: 'new' });
    release();
    expect(await reading).toEqual({ v: 'old' }); // it started before the write
    expect(await cache.get('k')).toBeUndefined();
    expect(await store.get('k')).toEqual({ v: 'new' });
  });

  test('cull() culls both; close() closes both; keys and collections come from the backing', async () => {
    const { store, backing, cache, advance } = setup();
    await backing.put('k', { a: 1 }, { collection: 'c', ttl: 1 });
    await store.get('k', { collection: 'c' });
    expect(cache.size).toBe(1);
    advance(2);
    expect(await store.cull()).toBe(1);
    expect(cache.size).toBe(0);
    await backing.put('k2', { a: 1 }, { collection: 'c' });
    expect((await store.keys('c')).keys).toEqual(['k2']);
    expect(await store.collections()).toEqual(['c']);
    await store.close();
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(backing.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  test('bad input is refused before the cache is touched', async () => {
    const { store } = setup();
    await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.get('k', { collection: '' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.getMany(['k', ''])).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('', { a: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.destroyCollection('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  test('construction errors', () => {
    const backing = new MemoryStore();
    const noDestroy = new (class extends WrapperStore {
      override get capabilities(): StoreCapabilities {
        return { ...this.inner.capabilities, destroyCollection: false };
      }
    })(new MemoryStore());
    expect(() => withCache(backing, {} as never)).toThrow(StoreSetupError);
    expect(() => withCache(backing, { cache: backing })).toThrow(StoreSetupError);
    expect(() => withCache(backing, { cache: noDestroy })).toThrow(StoreSetupError);
    expect(() => withCache(backing, { cache: new MemoryStore(), maxTtl: 0 })).toThrow(StoreSetupError);
  });
});
