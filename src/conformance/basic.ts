/**
 * The basic operations: get, put, delete and ttl of single entries, and the default collection.
 * @module
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_COLLECTION } from '../contract.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeBasic({ make, fresh, freshKey }: SuiteContext): void {
  describe('basic operations', () => {
    test('get of a missing key is undefined', async () => {
      const s = await make();
      expect(await s.get('missing', { collection: fresh() })).toBeUndefined();
    });

    test('put then get returns an equal value; put overwrites', async () => {
      const s = await make();
      const collection = fresh();
      const value = {
        client_id: 'c1',
        redirect_uris: ['https://a.example/cb'],
        nested: { n: 1.5, ok: true },
      };
      await s.put('k', value, { collection });
      expect(await s.get('k', { collection })).toEqual(value);
      await s.put('k', { replaced: null }, { collection });
      expect(await s.get('k', { collection })).toEqual({ replaced: null });
    });

    test('an empty object is a value, not a miss', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('empty', {}, { collection });
      expect(await s.get('empty', { collection })).toEqual({});
      expect(await s.getMany(['empty'], { collection })).toEqual([{}]);
    });

    test('delete returns true for an existing entry and false for a missing one', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      expect(await s.delete('k', { collection })).toBe(true);
      expect(await s.get('k', { collection })).toBeUndefined();
      expect(await s.delete('k', { collection })).toBe(false);
      expect(await s.delete('never', { collection })).toBe(false);
    });

    test(`omitting the collection means "${DEFAULT_COLLECTION}"`, async () => {
      const s = await make();
      const key = freshKey('default');
      await s.put(key, { a: 1 });
      expect(await s.get(key, { collection: DEFAULT_COLLECTION })).toEqual({ a: 1 });
      expect(await s.take(key, { collection: DEFAULT_COLLECTION })).toEqual({ a: 1 });
      expect(await s.get(key)).toBeUndefined();
    });

    test('ttl() of an entry without expiry and of a missing key', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      expect(await s.ttl('k', { collection })).toEqual({ value: { a: 1 }, ttl: undefined });
      expect(await s.ttl('missing', { collection })).toEqual({ value: undefined, ttl: undefined });
    });
  });
}
