/**
 * Names: any Unicode key or collection name round-trips, and no two (collection, key) pairs alias.
 * @module
 */
import { describe, expect, test } from 'vitest';
import { allKeys, type SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeNames({ make, fresh }: SuiteContext): void {
  describe('names', () => {
    const nastyKeys = [
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
    test('any Unicode key round-trips, including URL-shaped, path-like and 1,000-character keys', async () => {
      const s = await make();
      const collection = fresh();
      await Promise.all(nastyKeys.map((key, i) => s.put(key, { i }, { collection })));
      const got = await s.getMany(nastyKeys, { collection });
      expect(got).toEqual(nastyKeys.map((_, i) => ({ i })));
      for (const [i, key] of nastyKeys.entries()) expect(await s.get(key, { collection })).toEqual({ i });
      if (s.capabilities.keys) {
        expect((await allKeys(s, collection)).sort()).toEqual([...nastyKeys].sort());
      }
    });

    test('unusual collection names are kept apart and round-trip', async () => {
      const s = await make();
      const base = fresh();
      const names = [`${base}/x`, `${base}::y`, `${base}.😀`, `${base}/../z`, `${base}-${'c'.repeat(300)}`];
      await Promise.all(names.map((collection, i) => s.put('k', { i }, { collection })));
      for (const [i, collection] of names.entries()) expect(await s.get('k', { collection })).toEqual({ i });
      if (s.capabilities.collections) {
        const listed = await s.collections();
        for (const collection of names) expect(listed).toContain(collection);
      }
    });

    test('no two different (collection, key) pairs alias', async () => {
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
        expect(await s.get(key, { collection })).toEqual({ i });
      }
    });

    test('the same key in two collections is two entries', async () => {
      const s = await make();
      const one = fresh();
      const two = fresh();
      await s.put('k', { c: 1 }, { collection: one });
      await s.put('k', { c: 2 }, { collection: two });
      expect(await s.delete('k', { collection: one })).toBe(true);
      expect(await s.get('k', { collection: one })).toBeUndefined();
      expect(await s.get('k', { collection: two })).toEqual({ c: 2 });
    });
  });
}
