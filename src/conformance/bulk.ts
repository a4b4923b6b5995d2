/**
 * The bulk operations: getMany, putMany, deleteMany and ttlMany, in key order, with duplicates and
 * missing keys.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { JsonObject } from '../contract.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeBulk({ make, fresh }: SuiteContext): void {
  describe('bulk operations', () => {
    test('getMany returns values in key order, with duplicates and undefined for missing keys', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('a', { v: 'a' }, { collection });
      await s.put('b', { v: 'b' }, { collection });
      const got = await s.getMany(['b', 'missing', 'a', 'b'], { collection });
      expect(got).toEqual([{ v: 'b' }, undefined, { v: 'a' }, { v: 'b' }]);
      (got[0] as JsonObject).v = 'mutated';
      expect(got[3]).toEqual({ v: 'b' });
      expect(await s.getMany([], { collection })).toEqual([]);
    });

    test('putMany writes every entry, a later duplicate wins, and an empty batch is a no-op', async () => {
      const s = await make();
      const collection = fresh();
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
          ['a', { n: 3 }],
        ],
        { collection },
      );
      expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: 3 }, { n: 2 }]);
      await s.putMany([], { collection });
      expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: 3 }, { n: 2 }]);
    });

    test('putMany applies one TTL to the batch', async () => {
      const s = await make();
      const collection = fresh();
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
        ],
        { collection, ttl: 120 },
      );
      for (const r of await s.ttlMany(['a', 'b'], { collection })) {
        expect(r.ttl).toBeGreaterThan(100);
        expect(r.ttl).toBeLessThanOrEqual(120);
      }
    });

    test('deleteMany counts each existing entry once and ignores missing keys', async () => {
      const s = await make();
      const collection = fresh();
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
          ['c', { n: 3 }],
        ],
        { collection },
      );
      expect(await s.deleteMany(['a', 'a', 'missing', 'b'], { collection })).toBe(2);
      expect(await s.getMany(['a', 'b', 'c'], { collection })).toEqual([undefined, undefined, { n: 3 }]);
      expect(await s.deleteMany([], { collection })).toBe(0);
    });

    test('ttlMany returns results in key order', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('a', { n: 1 }, { collection, ttl: 300 });
      await s.put('b', { n: 2 }, { collection });
      const [a, missing, b] = await s.ttlMany(['a', 'missing', 'b'], { collection });
      expect(a?.value).toEqual({ n: 1 });
      expect(a?.ttl).toBeGreaterThan(250);
      expect(missing).toEqual({ value: undefined, ttl: undefined });
      expect(b).toEqual({ value: { n: 2 }, ttl: undefined });
    });
  });
}
