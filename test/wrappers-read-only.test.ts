import { describe, expect, test } from 'vitest';
import { ReadOnlyError, StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withReadOnly } from '../src/wrappers/read-only.js';

async function seeded(): Promise<MemoryStore> {
  const store = new MemoryStore({ sweepIntervalMs: 0 });
  await store.putMany(
    [
      ['a', { n: 1 }],
      ['code', { c: 1 }],
    ],
    { collection: 'c' },
  );
  await store.put('short', { n: 2 }, { collection: 'c', ttl: 0.001 });
  return store;
}

async function snapshot(store: MemoryStore) {
  return { values: await store.getMany(['a', 'code', 'new'], { collection: 'c' }), size: store.size };
}

describe('ReadOnlyWrapper', () => {
  test('reads pass through', async () => {
    const inner = await seeded();
    const store = withReadOnly(inner);
    expect(await store.get('a', { collection: 'c' })).toEqual({ n: 1 });
    expect(await store.getMany(['a', 'x'], { collection: 'c' })).toEqual([{ n: 1 }, undefined]);
    expect((await store.ttl('a', { collection: 'c' })).value).toEqual({ n: 1 });
    expect((await store.ttlMany(['a'], { collection: 'c' }))[0]?.value).toEqual({ n: 1 });
    expect((await store.keys('c')).keys.sort()).toEqual(['a', 'code']);
    expect(await store.collections()).toEqual(['c']);
    // The atomic counter too: this wrapper implements increment (see test/wrappers-increment.test.ts).
    expect(store.capabilities).toEqual(inner.capabilities);
  });

  test("'throw' mode (default): every write throws ReadOnlyError and changes nothing", async () => {
    const inner = await seeded();
    const before = await snapshot(inner);
    const store = withReadOnly(inner);
    const o = { collection: 'c' };
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['put', () => store.put('new', { n: 9 }, o)],
      ['putMany', () => store.putMany([['new', { n: 9 }]], o)],
      ['delete', () => store.delete('a', o)],
      ['deleteMany', () => store.deleteMany(['a'], o)],
      ['take', () => store.take('code', o)],
      ['putIfAbsent', () => store.putIfAbsent('new', { n: 9 }, o)],
      ['destroyCollection', () => store.destroyCollection('c')],
      ['cull', () => store.cull()],
    ];
    for (const [name, write] of writes) {
      const err = await write().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ReadOnlyError);
      expect((err as ReadOnlyError).code).toBe('READ_ONLY');
      expect((err as Error).message).toContain(name);
    }
    expect(await snapshot(inner)).toEqual(before);
  });

  test("'ignore' mode: writes do nothing and report that nothing changed; take never hands out a value", async () => {
    const inner = await seeded();
    const before = await snapshot(inner);
    const store = withReadOnly(inner, { mode: 'ignore' });
    const o = { collection: 'c' };
    expect(await store.put('new', { n: 9 }, o)).toBeUndefined();
    expect(await store.putMany([['new', { n: 9 }]], o)).toBeUndefined();
    expect(await store.delete('a', o)).toBe(false);
    expect(await store.deleteMany(['a', 'code'], o)).toBe(0);
    expect(await store.take('code', o)).toBeUndefined();
    expect(await store.putIfAbsent('new', { n: 9 }, o)).toBe(false);
    expect(await store.destroyCollection('c')).toBe(false);
    expect(await store.cull()).toBe(0);
    expect(await snapshot(inner)).toEqual(before);
    expect(await store.get('code', o)).toEqual({ c: 1 });
  });

  test('an unknown mode is a StoreSetupError', () => {
    expect(() => withReadOnly(new MemoryStore(), { mode: 'silent' as never })).toThrow(StoreSetupError);
  });
});
