/**
 * Time to live: remaining seconds, clearing an expiry, and expired entries invisible to every
 * operation.
 * @module
 */
import { describe, expect, test } from 'vitest';
import { sleep } from '../backend/kit.js';
import { allKeys, type SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeTtl({ make, fresh, slackMs }: SuiteContext): void {
  describe('time to live', () => {
    test('ttl() reports the remaining seconds of the stored expiry; fractions are accepted', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 60 });
      const { value, ttl } = await s.ttl('k', { collection });
      expect(value).toEqual({ a: 1 });
      expect(ttl).toBeGreaterThan(55);
      expect(ttl).toBeLessThanOrEqual(60);
      await s.put('half', { a: 1 }, { collection, ttl: 30.5 });
      expect((await s.ttl('half', { collection })).ttl).toBeGreaterThan(25);
    });

    test('a put without TTL clears an earlier expiry', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 60 });
      await s.put('k', { a: 2 }, { collection });
      expect(await s.ttl('k', { collection })).toEqual({ value: { a: 2 }, ttl: undefined });
    });

    test('an expired entry is invisible to every read and counts as absent', async () => {
      const s = await make();
      const collection = fresh();
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
          ['c', { n: 3 }],
          ['d', { n: 4 }],
          ['e', { n: 5 }],
        ],
        { collection, ttl: 1 },
      );
      await s.put('t', { n: 6 }, { collection, ttl: 1 });
      await s.putIfAbsent('p', { n: 7 }, { collection, ttl: 1 });
      await s.put('keep', { n: 0 }, { collection });
      await s.put('long', { n: 9 }, { collection, ttl: 600 });
      expect(await s.get('a', { collection })).toEqual({ n: 1 });
      await sleep(1000 + slackMs);
      expect(await s.get('a', { collection })).toBeUndefined();
      expect(await s.getMany(['b', 'keep', 'long'], { collection })).toEqual([undefined, { n: 0 }, { n: 9 }]);
      expect(await s.ttl('c', { collection })).toEqual({ value: undefined, ttl: undefined });
      expect((await s.ttlMany(['c', 't'], { collection })).map((r) => r.value)).toEqual([
        undefined,
        undefined,
      ]);
      expect(await s.take('d', { collection })).toBeUndefined();
      expect(await s.delete('e', { collection })).toBe(false);
      expect(await s.deleteMany(['t', 'a'], { collection })).toBe(0);
      expect(await s.putIfAbsent('p', { n: 8 }, { collection })).toBe(true);
      expect(await s.get('p', { collection })).toEqual({ n: 8 });
      if (s.capabilities.keys) {
        expect((await allKeys(s, collection)).sort()).toEqual(['keep', 'long', 'p']);
      }
      if (s.capabilities.cull) {
        const culled = await s.cull();
        expect(culled).toBeGreaterThanOrEqual(0);
        expect(await s.getMany(['keep', 'long', 'p'], { collection })).toEqual([
          { n: 0 },
          { n: 9 },
          { n: 8 },
        ]);
      } else {
        await expect(s.cull()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
      }
    }, 30_000);
  });
}
