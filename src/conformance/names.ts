/**
 * Names: any Unicode key or collection name round-trips, and no two (collection, key) pairs alias.
 * @module
 */
import { equal } from './assert.js';
import { allKeys, type SuiteContext } from './context.js';

const NASTY_KEYS = [
  'https://app.example/client.json',
  'https://app.example/client.json?x=1#frag',
  '../../etc/passwd',
  '..',
  '.',
  '/',
  'a/b\\c',
  'a::b',
  '%2F',
  '%252F',
  'Grüße, 世界',
  '😀🌏 emoji',
  'CaseSensitive',
  'casesensitive',
  ' leading and trailing ',
  'tab\tnew\nline',
  '__reserved__',
  '*?[glob]{x}',
  'quote"\'`',
  'x'.repeat(1000),
  'é'.repeat(600),
];

/** Registers this section (inside the suite's `describe`). */
export function describeNames({ test, describe, make, fresh }: SuiteContext): void {
  describe('names', () => {
    test(
      ['names.any'],
      'any Unicode key round-trips, including URL-shaped, path-like and 1,000-character keys',
      async () => {
        const s = await make();
        const collection = fresh();
        await Promise.all(NASTY_KEYS.map((key, i) => s.put(key, { i }, { collection })));
        const got = await s.getMany(NASTY_KEYS, { collection });
        equal(
          got,
          NASTY_KEYS.map((_, i) => ({ i })),
          'getMany of every unusual key',
        );
        for (const [i, key] of NASTY_KEYS.entries()) {
          equal(await s.get(key, { collection }), { i }, `get(${JSON.stringify(key.slice(0, 40))})`);
        }
        if (s.capabilities.keys) {
          equal(
            (await allKeys(s, collection)).sort(),
            [...NASTY_KEYS].sort(),
            'keys() lists every name as written',
          );
        }
      },
    );

    test(
      ['names.any', 'names.distinct'],
      'unusual collection names are kept apart and round-trip',
      async () => {
        const s = await make();
        const base = fresh();
        const names = [`${base}/x`, `${base}::y`, `${base}.😀`, `${base}/../z`, `${base}-${'c'.repeat(300)}`];
        await Promise.all(names.map((collection, i) => s.put('k', { i }, { collection })));
        for (const [i, collection] of names.entries()) {
          equal(
            await s.get('k', { collection }),
            { i },
            `get in collection ${JSON.stringify(collection.slice(0, 60))}`,
          );
        }
        if (s.capabilities.collections) {
          const listed = await s.collections();
          for (const collection of names) {
            equal(
              listed.includes(collection),
              true,
              `collections() lists ${JSON.stringify(collection.slice(0, 60))}`,
            );
          }
        }
      },
    );

    test(['names.distinct'], 'no two different (collection, key) pairs alias', async () => {
      const s = await make();
      const c = fresh();
      const pairs: Array<[string, string]> = [
        [`${c}a::b`, 'c'],
        [`${c}a`, 'b::c'],
        [`${c}a/b`, 'c'],
        [`${c}a`, 'b/c'],
        [`${c}a:`, ':b'],
        [`${c}a::`, 'b'],
        [`${c}a`, '::b'],
        [`${c}A`, 'b'],
        [`${c}a`, 'B'],
        [`${c}a`, 'b'],
      ];
      await Promise.all(pairs.map(([collection, key], i) => s.put(key, { i }, { collection })));
      for (const [i, [collection, key]] of pairs.entries()) {
        equal(
          await s.get(key, { collection }),
          { i },
          `get(${JSON.stringify(key)}) in ${JSON.stringify(collection)}`,
        );
      }
    });

    test(
      ['names.distinct'],
      'names that differ only in Unicode normalization form are different entries',
      async () => {
        const s = await make();
        const c = fresh();
        // NFC and NFD of é and Å, and the ångström sign (NFC maps it to Å).
        const keys = ['\u00e9', 'e\u0301', '\u00c5', 'A\u030a', '\u212b'];
        await Promise.all(keys.map((key, i) => s.put(key, { i }, { collection: c })));
        equal(
          await s.getMany(keys, { collection: c }),
          keys.map((_, i) => ({ i })),
          'getMany of look-alike keys',
        );
        if (s.capabilities.keys) {
          equal(
            (await allKeys(s, c)).sort(),
            [...keys].sort(),
            'keys() lists each look-alike key as written',
          );
        }
        const collections = [`${c}-\u00e9`, `${c}-e\u0301`];
        await Promise.all(collections.map((collection, i) => s.put('k', { i }, { collection })));
        for (const [i, collection] of collections.entries()) {
          equal(await s.get('k', { collection }), { i }, `get in collection ${JSON.stringify(collection)}`);
        }
        equal(await s.delete('e\u0301', { collection: c }), true, 'delete of the NFD key');
        equal(
          await s.get('\u00e9', { collection: c }),
          { i: 0 },
          'the NFC key after the NFD one was deleted',
        );
      },
    );

    test(
      ['names.nul'],
      'a name holding a NUL character is its own entry (not cut at the NUL, not its look-alikes)',
      async () => {
        const s = await make();
        const c = fresh();
        const keys = ['ab', 'a\u0000b', 'a', 'a\u0000', '\u0000'];
        await Promise.all(keys.map((key, i) => s.put(key, { i }, { collection: c })));
        equal(
          await s.getMany(keys, { collection: c }),
          keys.map((_, i) => ({ i })),
          'getMany of keys with NUL',
        );
        if (s.capabilities.keys) {
          equal((await allKeys(s, c)).sort(), [...keys].sort(), 'keys() lists each key with NUL as written');
        }
        await s.put('k', { nul: true }, { collection: `${c}\u0000x` });
        equal(await s.get('k', { collection: c }), undefined, 'a collection cut at its NUL');
        equal(await s.get('k', { collection: `${c}\u0000x` }), { nul: true }, 'a collection holding a NUL');
        equal(await s.delete('a\u0000b', { collection: c }), true, 'delete of the key with a NUL');
        equal(
          await s.getMany(['ab', 'a'], { collection: c }),
          [{ i: 0 }, { i: 2 }],
          'its look-alikes after it',
        );
      },
    );

    test(['names.distinct'], 'the same key in two collections is two entries', async () => {
      const s = await make();
      const one = fresh();
      const two = fresh();
      await s.put('k', { c: 1 }, { collection: one });
      await s.put('k', { c: 2 }, { collection: two });
      equal(await s.delete('k', { collection: one }), true, 'delete in the first collection');
      equal(await s.get('k', { collection: one }), undefined, 'get in the first collection after delete');
      equal(await s.get('k', { collection: two }), { c: 2 }, 'the same key in the second collection');
    });
  });
}
