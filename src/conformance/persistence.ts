/**
 * Persistence and sharing: entries survive close() and a new store, and two live stores see each
 * other's writes.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describePersistence({ make, fresh, persistent, shared }: SuiteContext): void {
  describe('persistence and sharing', () => {
    test.skipIf(!persistent)('entries survive close() and a new store on the same backing', async () => {
      const collection = fresh();
      const first = await make();
      await first.put('forever', { a: 1 }, { collection });
      await first.put('for-a-while', { b: 2 }, { collection, ttl: 600 });
      await first.close();
      const second = await make();
      expect(await second.get('forever', { collection })).toEqual({ a: 1 });
      const { value, ttl } = await second.ttl('for-a-while', { collection });
      expect(value).toEqual({ b: 2 });
      expect(ttl).toBeGreaterThan(500);
    });

    test.skipIf(!shared)('a second live instance sees writes and deletes at once', async () => {
      const collection = fresh();
      const a = await make();
      const b = await make();
      await a.put('k', { from: 'a' }, { collection });
      expect(await b.get('k', { collection })).toEqual({ from: 'a' });
      expect(await b.delete('k', { collection })).toBe(true);
      expect(await a.get('k', { collection })).toBeUndefined();
    });
  });
}
