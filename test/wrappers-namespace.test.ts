import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AsyncKeyValue, StoreCapabilities } from '../src/contract.js';
import { StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { type NamespaceMode, NamespaceWrapper, withNamespace } from '../src/wrappers/namespace.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
const MODES: NamespaceMode[] = ['collection', 'key', 'single'];

/** Every stored (collection, key) pair of a MemoryStore. */
async function dump(store: AsyncKeyValue): Promise<string[]> {
  const out: string[] = [];
  for (const collection of await store.collections()) {
    let cursor: string | undefined;
    do {
      const page = await store.keys(collection, { limit: 100, cursor });
      for (const key of page.keys) out.push(`${collection} | ${key}`);
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return out.sort();
}

/** A store without keys/collections support (capabilities say so, calls throw NOT_SUPPORTED). */
class NoEnumeration extends WrapperStore {
  override get capabilities(): StoreCapabilities {
    return { ...this.inner.capabilities, keys: false, collections: false, destroyCollection: false };
  }
}

describe('NamespaceWrapper', () => {
  test('stored layout of each mode', async () => {
    const backing = memory();
    await withNamespace(backing, { prefix: 'mcp' }).put(
      'https://a.example/c.json',
      { a: 1 },
      { collection: 'clients' },
    );
    await withNamespace(backing, { prefix: 'mcp', mode: 'key' }).put(
      'c1',
      { a: 1 },
      { collection: 'clients' },
    );
    await withNamespace(backing, { prefix: 'mcp', mode: 'single' }).put(
      'c1',
      { a: 1 },
      { collection: 'clients' },
    );
    await withNamespace(backing, { prefix: 'mcp', mode: 'single', collection: 'all' }).put(
      'c1',
      { a: 1 },
      {
        collection: 'clients',
      },
    );
    expect(await dump(backing)).toEqual([
      'all | mcp::clients::c1',
      'clients | mcp::c1',
      'mcp | clients::c1',
      'mcp::clients | https://a.example/c.json',
    ]);
  });

  test.each(MODES)('%s mode: two namespaces on one store never see each other', async (mode) => {
    const backing = memory();
    const collection = mode === 'single' ? 'shared' : undefined;
    const a = withNamespace(backing, { prefix: 'a', mode, collection });
    const b = withNamespace(backing, { prefix: 'b', mode, collection });
    await a.put('k', { owner: 'a' }, { collection: 'c' });
    await b.put('k', { owner: 'b' }, { collection: 'c' });
    expect(await a.get('k', { collection: 'c' })).toEqual({ owner: 'a' });
    expect(await b.take('k', { collection: 'c' })).toEqual({ owner: 'b' });
    expect(await b.get('k', { collection: 'c' })).toBeUndefined();
    expect(await a.get('k', { collection: 'c' })).toEqual({ owner: 'a' });
    expect(await b.putIfAbsent('k', { owner: 'b2' }, { collection: 'c' })).toBe(true);
    expect((await a.keys('c')).keys).toEqual(['k']);
    expect(await a.collections()).toEqual(['c']);
  });

  test.each(MODES)('%s mode: names with the separator and escape characters never alias', async (mode) => {
    const backing = memory();
    const names = [
      'a::b',
      'a',
      'b::c',
      'b',
      'c',
      'a:',
      ':b',
      'a::',
      '::b',
      '%3A',
      ':',
      '%',
      '%25',
      'a%3A%3Ab',
      '::',
    ];
    const pairs: [string, string][] = [];
    for (const c of names) for (const k of names) pairs.push([c, k]);
    const ns = withNamespace(backing, { prefix: 'p::q%', mode });
    await Promise.all(pairs.map(([c, k], i) => ns.put(k, { i }, { collection: c })));
    for (const [i, [c, k]] of pairs.entries()) expect(await ns.get(k, { collection: c })).toEqual({ i });
    expect((await ns.collections()).sort()).toEqual([...names].sort());
    for (const c of names) {
      expect((await ns.keys(c, { limit: 1000 })).keys.sort()).toEqual([...names].sort());
    }
    // Prefixes that contain the separator do not overlap either: ("a", c="b::c") vs ("a::b", c="c").
    const a = withNamespace(backing, { prefix: 'a', mode });
    const ab = withNamespace(backing, { prefix: 'a::b', mode });
    await a.put('x', { who: 'a' }, { collection: 'b::c' });
    await ab.put('x', { who: 'ab' }, { collection: 'c' });
    await a.put('b::x', { who: 'a2' }, { collection: 'c' });
    await ab.put('x', { who: 'ab2' }, { collection: 'b' });
    expect(await a.get('x', { collection: 'b::c' })).toEqual({ who: 'a' });
    expect(await ab.get('x', { collection: 'c' })).toEqual({ who: 'ab' });
    expect(await a.get('b::x', { collection: 'c' })).toEqual({ who: 'a2' });
    expect(await ab.get('x', { collection: 'b' })).toEqual({ who: 'ab2' });
  });

  test.each(MODES)(
    '%s mode: property: distinct (prefix, collection, key) triples never share an entry',
    async (mode) => {
      // A small pool of look-alikes (":" escapes to "%3A", "%" to "%25") makes collisions likely.
      const tricky = fc.constantFrom(':', '%3A', '%', '%25', 'a::', 'a%3A%3A');
      const name = fc.oneof(
        { arbitrary: tricky, weight: 4 },
        { arbitrary: fc.stringMatching(/^[:%3Aa/]{1,6}$/), weight: 1 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(name, name, name), { minLength: 1, maxLength: 40 }),
          async (triples) => {
            const backing = memory();
            const expected = new Map<string, number>();
            for (const [i, [prefix, collection, key]] of triples.entries()) {
              const single = mode === 'single' ? 'shared' : undefined;
              await withNamespace(backing, { prefix, mode, collection: single }).put(
                key,
                { i },
                { collection },
              );
              expected.set(JSON.stringify([prefix, collection, key]), i);
            }
            for (const [triple, i] of expected) {
              const [prefix, collection, key] = JSON.parse(triple) as [string, string, string];
              const single = mode === 'single' ? 'shared' : undefined;
              const ns = withNamespace(backing, { prefix, mode, collection: single });
              expect(await ns.get(key, { collection })).toEqual({ i });
            }
            expect(backing.size).toBe(expected.size);
          },
        ),
        { numRuns: 150, seed: 20261122 },
      );
    },
  );

  test('a custom separator is escaped the same way', async () => {
    const backing = memory();
    const ns = withNamespace(backing, {
      prefix: 'x/y',
      separator: '/',
      mode: 'single',
      collection: 'one',
    });
    await ns.put('c', { n: 1 }, { collection: 'a/b' });
    await ns.put('b/c', { n: 2 }, { collection: 'a' });
    expect(await ns.get('c', { collection: 'a/b' })).toEqual({ n: 1 });
    expect(await ns.get('b/c', { collection: 'a' })).toEqual({ n: 2 });
    expect((await ns.collections()).sort()).toEqual(['a', 'a/b']);
    expect(await dump(backing)).toEqual(['one | x%2Fy/a%2Fb/c', 'one | x%2Fy/a/b/c']);
  });

  test.each(MODES)(
    '%s mode: names are validated before they are prefixed; nothing is written',
    async (mode) => {
      const backing = memory();
      const ns = withNamespace(backing, { prefix: 'p', mode });
      const bad = { code: 'INVALID_KEY' };
      await expect(ns.put('', { a: 1 })).rejects.toMatchObject(bad);
      await expect(ns.putIfAbsent('', { a: 1 })).rejects.toMatchObject(bad);
      await expect(
        ns.putMany([
          ['ok', { a: 1 }],
          ['', { a: 1 }],
        ]),
      ).rejects.toMatchObject(bad);
      await expect(ns.get('')).rejects.toMatchObject(bad);
      await expect(ns.getMany(['ok', ''])).rejects.toMatchObject(bad);
      await expect(ns.deleteMany(['a\uD800'])).rejects.toMatchObject(bad);
      await expect(ns.put('k', { a: 1 }, { collection: '' })).rejects.toMatchObject(bad);
      await expect(ns.keys('')).rejects.toMatchObject(bad);
      await expect(ns.destroyCollection('')).rejects.toMatchObject(bad);
      await expect(ns.put('k', { a: 1 }, { collection: null as never })).rejects.toMatchObject(bad);
      await expect(ns.putMany('nope' as never)).rejects.toMatchObject({ code: 'SERIALIZATION_ERROR' });
      expect(await dump(backing)).toEqual([]);
    },
  );

  test.each(MODES)("%s mode: destroyCollection deletes only this namespace's collection", async (mode) => {
    const backing = memory();
    const collection = mode === 'single' ? 'shared' : undefined;
    const mine = withNamespace(backing, { prefix: 'mine', mode, collection });
    const theirs = withNamespace(backing, { prefix: 'theirs', mode, collection });
    const entries = Array.from({ length: 1205 }, (_, i) => [`k${i}`, { i }] as const);
    await mine.putMany(entries, { collection: 'c' });
    await mine.put('k', { keep: true }, { collection: 'other' });
    await theirs.put('k0', { theirs: true }, { collection: 'c' });
    expect(await mine.destroyCollection('c')).toBe(true);
    expect(await mine.get('k0', { collection: 'c' })).toBeUndefined();
    expect((await mine.keys('c')).keys).toEqual([]);
    expect(await mine.get('k', { collection: 'other' })).toEqual({ keep: true });
    expect(await theirs.get('k0', { collection: 'c' })).toEqual({ theirs: true });
    expect(await mine.destroyCollection('c')).toBe(false);
    expect(await mine.collections()).toEqual(['other']);
  });

  test('key mode: collections() lists only collections where this namespace has keys', async () => {
    const backing = memory();
    const mine = withNamespace(backing, { prefix: 'mine', mode: 'key' });
    await backing.put('mine-lookalike', { x: 1 }, { collection: 'foreign' });
    await backing.put('mine:', { x: 1 }, { collection: 'foreign' });
    await mine.put('k', { x: 1 }, { collection: 'own' });
    expect(await mine.collections()).toEqual(['own']);
    expect((await mine.keys('foreign')).keys).toEqual([]);
  });

  test('single mode: foreign keys in the shared collection are ignored', async () => {
    const backing = memory();
    const ns = withNamespace(backing, { prefix: 'app', mode: 'single' });
    await backing.putMany(
      [
        ['no-separator', { x: 1 }],
        ['%zz::bad-escape', { x: 1 }],
        ['%41::non-canonical', { x: 1 }],
        ['::empty-collection', { x: 1 }],
      ],
      { collection: 'app' },
    );
    await ns.put('k', { x: 1 }, { collection: 'mine' });
    expect(await ns.collections()).toEqual(['mine']);
  });

  test('capabilities follow what the mode needs from the wrapped store', async () => {
    const limited = new NoEnumeration(memory());
    expect(withNamespace(limited, { prefix: 'p' }).capabilities).toEqual(limited.capabilities);
    for (const mode of ['key', 'single'] as const) {
      const ns = withNamespace(limited, { prefix: 'p', mode });
      expect(ns.capabilities).toMatchObject({ keys: false, collections: false, destroyCollection: false });
      await expect(ns.keys('c')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      await expect(ns.collections()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      await expect(ns.destroyCollection('c')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      await ns.put('k', { a: 1 }, { collection: 'c' });
      expect(await ns.take('k', { collection: 'c' })).toEqual({ a: 1 });
    }
    const full = withNamespace(memory(), { prefix: 'p', mode: 'single' });
    expect(full.capabilities).toEqual({
      keys: true,
      collections: true,
      destroyCollection: true,
      cull: true,
      atomic: true,
      increment: true, // forwarded under the namespaced name
    });
  });

  test.each([
    ['no prefix in collection mode', {}],
    ['an empty prefix', { prefix: '' }],
    ['an empty separator', { prefix: 'p', separator: '' }],
    ['a separator with %', { prefix: 'p', separator: '%' }],
    ['an unknown mode', { prefix: 'p', mode: 'both' }],
    ['single mode without prefix or collection', { mode: 'single' }],
    ['single mode with an empty collection', { mode: 'single', collection: '' }],
    ['a prefix with a lone surrogate', { prefix: '\uD800' }],
  ])('%s is a StoreSetupError', (_label, options) => {
    expect(() => withNamespace(memory(), options as never)).toThrow(StoreSetupError);
  });

  test('withNamespace() builds the wrapper; single mode works without a prefix', async () => {
    const backing = memory();
    const ns = withNamespace(backing, { mode: 'single', collection: 'all' });
    expect(ns).toBeInstanceOf(NamespaceWrapper);
    await ns.put('k', { a: 1 }, { collection: 'c' });
    expect(await dump(backing)).toEqual(['all | c::k']);
  });
});
