/**
 * The optional capabilities keys(), collections() and destroyCollection(), or NotSupportedError where
 * a store does not announce one.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeOptional({ make, fresh }: SuiteContext): void {
  describe('optional capabilities', () => {
    test('keys() pages through a collection without duplicates or omissions', async () => {
      const s = await make();
      const collection = fresh();
      if (!s.capabilities.keys) {
        await expect(s.keys(collection)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
        return;
      }
      const written = Array.from({ length: 25 }, (_, i) => `key-${i}`);
      await s.putMany(
        written.map((k) => [k, { k }] as const),
        { collection },
      );
      await s.put('other', { x: 1 }, { collection: fresh() });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.keys(collection, { limit: 10, cursor });
        expect(page.keys.length).toBeLessThanOrEqual(10);
        seen.push(...page.keys);
        cursor = page.cursor;
        pages++;
        expect(pages).toBeLessThan(100);
      } while (cursor !== undefined);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.sort()).toEqual([...written].sort());
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(await s.keys(fresh())).toEqual({ keys: [], cursor: undefined });
    });

    test('collections() lists collections that hold entries', async () => {
      const s = await make();
      const one = fresh();
      const two = fresh();
      if (!s.capabilities.collections) {
        await expect(s.collections()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
        return;
      }
      await s.put('k', { a: 1 }, { collection: one });
      await s.put('k', { a: 1 }, { collection: two });
      const listed = await s.collections();
      expect(listed).toContain(one);
      expect(listed).toContain(two);
      expect(listed).not.toContain(fresh());
    });

    test('destroyCollection() deletes one collection and nothing else', async () => {
      const s = await make();
      const doomed = fresh();
      const kept = fresh();
      if (!s.capabilities.destroyCollection) {
        await expect(s.destroyCollection(doomed)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
        return;
      }
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
        ],
        { collection: doomed },
      );
      await s.put('a', { n: 3 }, { collection: kept });
      expect(await s.destroyCollection(doomed)).toBe(true);
      expect(await s.getMany(['a', 'b'], { collection: doomed })).toEqual([undefined, undefined]);
      expect(await s.get('a', { collection: kept })).toEqual({ n: 3 });
      expect(await s.destroyCollection(doomed)).toBe(false);
      if (s.capabilities.collections) expect(await s.collections()).not.toContain(doomed);
    });
  });
}
