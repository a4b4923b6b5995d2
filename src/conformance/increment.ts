/**
 * The optional atomic counter `increment`: its single-caller results, its expiry rule, its refusal
 * of a value that is not a counter, and exact totals under concurrent callers on two store
 * instances. A store that does not announce `capabilities.increment` must refuse it with
 * `NotSupportedError` (or not have the method).
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../contract.js';
import type { SuiteContext } from './context.js';

/** The store's increment when it announces the capability, otherwise `undefined` (after checking the refusal). */
async function counting(s: AsyncKeyValue, collection: string) {
  if (s.capabilities.increment === true && s.increment !== undefined) return s.increment.bind(s);
  if (s.increment !== undefined) {
    await expect(s.increment('n', 1, { collection })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  }
  return undefined;
}

/** Registers this section (inside the suite's `describe`). */
export function describeIncrement({ make, fresh, shared, slackMs, raceTimeout }: SuiteContext): void {
  describe('increment', () => {
    test('creates a counter, adds to it and keeps the expiry it was created with', async (ctx) => {
      const s = await make();
      const collection = fresh();
      const increment = await counting(s, collection);
      if (increment === undefined) return ctx.skip('the store announces no increment capability');
      expect(await increment('hits', 1, { collection, ttl: 300 })).toBe(1);
      expect(await increment('hits', 4, { collection, ttl: 5 })).toBe(5);
      expect(await increment('hits', -2, { collection })).toBe(3);
      expect(await increment('other', undefined, { collection })).toBe(1);
      const { value, ttl } = await s.ttl('hits', { collection });
      expect(value).toEqual({ count: 3 });
      expect(ttl).toBeGreaterThan(250); // the later TTL did not shorten it
      expect((await s.ttl('other', { collection })).ttl).toBeUndefined();
    });

    test('an expired counter starts again', async (ctx) => {
      const s = await make();
      const collection = fresh();
      const increment = await counting(s, collection);
      if (increment === undefined) return ctx.skip('the store announces no increment capability');
      expect(await increment('window', 2, { collection, ttl: 1 })).toBe(2);
      await new Promise((r) => setTimeout(r, 1000 + slackMs));
      expect(await increment('window', 1, { collection, ttl: 300 })).toBe(1);
      expect((await s.ttl('window', { collection })).ttl).toBeGreaterThan(250);
    });

    test('refuses a value that is not a counter, and a bad step, writing nothing', async (ctx) => {
      const s = await make();
      const collection = fresh();
      const increment = await counting(s, collection);
      if (increment === undefined) return ctx.skip('the store announces no increment capability');
      await s.put('doc', { count: 'seven', keep: true }, { collection });
      await expect(increment('doc', 1, { collection })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await s.get('doc', { collection })).toEqual({ count: 'seven', keep: true });
      await expect(increment('n', 1.5, { collection })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(increment('', 1, { collection })).rejects.toMatchObject({ code: 'INVALID_KEY' });
      expect(await s.get('n', { collection })).toBeUndefined();
    });

    test(
      'counts exactly under 100 concurrent callers across two store instances',
      async (ctx) => {
        const a = await make();
        const collection = fresh();
        if ((await counting(a, collection)) === undefined) {
          return ctx.skip('the store announces no increment capability');
        }
        const b = shared ? await make() : a;
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 === 0 ? a : b).increment!('rate', 1, { collection, ttl: 300 }),
          ),
        );
        // Every caller saw a distinct count: no increment was lost or doubled.
        expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect(await b.get('rate', { collection })).toEqual({ count: 100 });
      },
      raceTimeout,
    );
  });
}
