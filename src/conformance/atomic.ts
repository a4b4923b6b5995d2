/**
 * take and putIfAbsent: their single-caller results, and exactly-once under concurrent callers on two
 * store instances.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeAtomic({ make, fresh, shared, raceTimeout }: SuiteContext): void {
  describe('take and putIfAbsent', () => {
    test('take returns the value once and removes it', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('code', { client_id: 'c1' }, { collection, ttl: 300 });
      expect(await s.take('code', { collection })).toEqual({ client_id: 'c1' });
      expect(await s.take('code', { collection })).toBeUndefined();
      expect(await s.get('code', { collection })).toBeUndefined();
      expect(await s.take('never', { collection })).toBeUndefined();
    });

    test('putIfAbsent writes only when absent', async () => {
      const s = await make();
      const collection = fresh();
      expect(await s.putIfAbsent('k', { v: 1 }, { collection, ttl: 300 })).toBe(true);
      expect(await s.putIfAbsent('k', { v: 2 }, { collection })).toBe(false);
      const { value, ttl } = await s.ttl('k', { collection });
      expect(value).toEqual({ v: 1 });
      expect(ttl).toBeGreaterThan(250);
    });

    test(
      'take is exactly-once under 50 concurrent callers per key across two store instances',
      async (ctx) => {
        const a = await make();
        if (!a.capabilities.atomic) ctx.skip('the store announces capabilities.atomic = false');
        const b = shared ? await make() : a;
        const collection = fresh();
        const keys = ['code-1', 'code-2', 'code-3'];
        await a.putMany(
          keys.map((k) => [k, { code: k }] as const),
          { collection, ttl: 300 },
        );
        // The keys race at the same time: 150 concurrent takes, 50 on each key.
        const perKey = await Promise.all(
          keys.map((key) =>
            Promise.all(
              Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take(key, { collection })),
            ),
          ),
        );
        for (const [i, results] of perKey.entries()) {
          expect(results.filter((r) => r !== undefined)).toEqual([{ code: keys[i] }]);
        }
      },
      raceTimeout,
    );

    test(
      'putIfAbsent is exactly-once under 50 concurrent callers per key across two store instances',
      async (ctx) => {
        const a = await make();
        if (!a.capabilities.atomic) ctx.skip('the store announces capabilities.atomic = false');
        const b = shared ? await make() : a;
        const collection = fresh();
        const keys = ['k1', 'k2', 'k3'];
        const perKey = await Promise.all(
          keys.map((key) =>
            Promise.all(
              Array.from({ length: 50 }, (_, i) =>
                (i % 2 === 0 ? a : b).putIfAbsent(key, { writer: i }, { collection, ttl: 300 }),
              ),
            ),
          ),
        );
        for (const [k, results] of perKey.entries()) {
          const winners = results.flatMap((won, i) => (won ? [i] : []));
          expect(winners).toHaveLength(1);
          expect(await b.get(keys[k]!, { collection })).toEqual({ writer: winners[0] });
        }
      },
      raceTimeout,
    );
  });
}
