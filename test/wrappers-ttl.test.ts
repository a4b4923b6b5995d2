import { describe, expect, test } from 'vitest';
import { StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';

/** A memory store with a frozen clock, so remaining TTLs are exact. */
const frozen = () => new MemoryStore({ clock: () => 1_800_000_000_000, sweepIntervalMs: 0 });

describe('TtlPolicyWrapper', () => {
  test('a write without TTL gets the default TTL; a given TTL is kept', async () => {
    const inner = frozen();
    const store = withTtlPolicy(inner, { defaultTtl: 3600 });
    await store.put('a', { n: 1 });
    await store.put('b', { n: 2 }, { ttl: 60 });
    expect(await inner.ttl('a')).toEqual({ value: { n: 1 }, ttl: 3600 });
    expect(await inner.ttl('b')).toEqual({ value: { n: 2 }, ttl: 60 });
  });

  test('TTLs are clamped to [minTtl, maxTtl]; without a default, no TTL means maxTtl', async () => {
    const inner = frozen();
    const store = withTtlPolicy(inner, { minTtl: 10, maxTtl: 100 });
    await store.put('short', { n: 1 }, { ttl: 0.5 });
    await store.put('long', { n: 2 }, { ttl: 1e6 });
    await store.put('none', { n: 3 });
    await store.put('inside', { n: 4 }, { ttl: 42.5 });
    expect((await inner.ttlMany(['short', 'long', 'none', 'inside'])).map((r) => r.ttl)).toEqual([
      10, 100, 100, 42.5,
    ]);
  });

  test('per-collection policies replace the default policy', async () => {
    const inner = frozen();
    const store = withTtlPolicy(inner, {
      defaultTtl: 3600,
      collections: { codes: { defaultTtl: 300, maxTtl: 600 }, clients: {} },
    });
    await store.put('c', { n: 1 }, { collection: 'codes' });
    await store.put('c2', { n: 1 }, { collection: 'codes', ttl: 86_400 });
    await store.put('x', { n: 2 }, { collection: 'clients' });
    await store.put('y', { n: 3 }, { collection: 'other' });
    expect((await inner.ttl('c', { collection: 'codes' })).ttl).toBe(300);
    expect((await inner.ttl('c2', { collection: 'codes' })).ttl).toBe(600);
    expect((await inner.ttl('x', { collection: 'clients' })).ttl).toBeUndefined();
    expect((await inner.ttl('y', { collection: 'other' })).ttl).toBe(3600);
  });

  test('policies given as a Map work, and "__proto__" is an ordinary collection name', async () => {
    const inner = frozen();
    const fromMap = withTtlPolicy(inner, { collections: new Map([['codes', { defaultTtl: 5 }]]) });
    await fromMap.put('k', { a: 1 }, { collection: 'codes' });
    expect((await inner.ttl('k', { collection: 'codes' })).ttl).toBe(5);
    const proto = withTtlPolicy(inner, { collections: JSON.parse('{"__proto__":{"defaultTtl":7}}') });
    await proto.put('k', { a: 1 }, { collection: '__proto__' });
    expect((await inner.ttl('k', { collection: '__proto__' })).ttl).toBe(7);
    expect(proto.effectiveTtl('toString', undefined)).toBeUndefined();
  });

  test('putMany and putIfAbsent follow the policy too', async () => {
    const inner = frozen();
    const store = withTtlPolicy(inner, { defaultTtl: 50, maxTtl: 80 });
    await store.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    await store.putMany([['c', { n: 3 }]], { ttl: 1000 });
    expect(await store.putIfAbsent('d', { n: 4 })).toBe(true);
    expect((await inner.ttlMany(['a', 'b', 'c', 'd'])).map((r) => r.ttl)).toEqual([50, 50, 80, 50]);
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60', true, null])(
    'an invalid TTL from the caller (%s) is still refused although a clamp could fix it',
    async (ttl) => {
      const inner = frozen();
      const store = withTtlPolicy(inner, { minTtl: 10, maxTtl: 100, defaultTtl: 50 });
      const t = ttl as number;
      await expect(store.put('k', { a: 1 }, { ttl: t })).rejects.toMatchObject({ code: 'INVALID_TTL' });
      await expect(store.putMany([['k', { a: 1 }]], { ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      await expect(store.putIfAbsent('k', { a: 1 }, { ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      expect(await inner.get('k')).toBeUndefined();
    },
  );

  test('bad keys and values are still refused by the wrapped store', async () => {
    const store = withTtlPolicy(frozen(), { defaultTtl: 10 });
    await expect(store.put('', { a: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('k', { a: undefined } as never)).rejects.toMatchObject({
      code: 'SERIALIZATION_ERROR',
    });
  });

  test.each([
    ['a negative defaultTtl', { defaultTtl: -1 }],
    ['a zero minTtl', { minTtl: 0 }],
    ['an infinite maxTtl', { maxTtl: Number.POSITIVE_INFINITY }],
    ['a string TTL', { defaultTtl: '60' }],
    ['minTtl above maxTtl', { minTtl: 10, maxTtl: 5 }],
    ['defaultTtl below minTtl', { minTtl: 10, defaultTtl: 5 }],
    ['defaultTtl above maxTtl', { maxTtl: 10, defaultTtl: 50 }],
    ['an invalid collection policy', { collections: { codes: { maxTtl: Number.NaN } } }],
    ['an empty collection name', { collections: { '': { defaultTtl: 5 } } }],
    ['a policy that is not an object', { collections: { codes: 5 } }],
  ])('%s is a StoreSetupError at construction', (_label, options) => {
    expect(() => withTtlPolicy(frozen(), options as never)).toThrow(StoreSetupError);
  });

  test('effectiveTtl() reports what a write would get', () => {
    const store = withTtlPolicy(frozen(), {
      collections: { codes: { defaultTtl: 300, maxTtl: 600 } },
    });
    expect(store.effectiveTtl('codes', undefined)).toBe(300);
    expect(store.effectiveTtl('codes', 86_400)).toBe(600);
    expect(store.effectiveTtl(undefined, undefined)).toBeUndefined();
    expect(() => store.effectiveTtl('codes', -5)).toThrow(expect.objectContaining({ code: 'INVALID_TTL' }));
  });

  test('reads, take and capabilities pass through', async () => {
    const inner = frozen();
    const store = withTtlPolicy(inner, { defaultTtl: 100 });
    await inner.put('k', { a: 1 });
    expect(await store.ttl('k')).toEqual({ value: { a: 1 }, ttl: undefined });
    expect(await store.take('k')).toEqual({ a: 1 });
    // The atomic counter too: this wrapper implements increment (see test/wrappers-increment.test.ts).
    expect(store.capabilities).toEqual(inner.capabilities);
  });
});
