/**
 * The part of the conformance suite that checks what the bad-input section's tables of bad names,
 * TTLs and values cannot: values that change while they are read, and option arguments of the wrong
 * shape. Nothing is written in any case.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { JsonObject } from '../contract.js';
import type { SuiteContext } from './context.js';

/** Registers the tests (inside the suite's `describe`). */
export function describeValidation({ make, fresh }: SuiteContext): void {
  describe('values read once, and option arguments of the wrong shape', () => {
    test('every member is read once: what is stored is what was validated', async () => {
      const s = await make();
      const collection = fresh();
      let reads = 0;
      // Valid on the first read, dropped by JSON on any later one.
      const value = {
        get token() {
          reads++;
          return reads === 1 ? 'first' : undefined;
        },
      };
      await s.put('k', value as unknown as JsonObject, { collection });
      expect(reads).toBe(1);
      expect(await s.get('k', { collection })).toEqual({ token: 'first' });
    });

    const badOptions: Array<[string, unknown]> = [
      ['a number (a TTL meant as options)', 300],
      ['a string (a collection meant as options)', 'clients'],
      ['null', null],
      ['an array', [{ collection: 'c' }]],
    ];
    test.each(badOptions)(
      'options that are %s → ValidationError from every operation, nothing written',
      async (_label, options) => {
        const s = await make();
        const key = fresh('key');
        const o = options as { collection: string; ttl: number };
        const ops: Array<() => Promise<unknown>> = [
          () => s.put(key, { a: 1 }, o),
          () => s.putIfAbsent(key, { a: 1 }, o),
          () => s.putMany([[key, { a: 1 }]], o),
          () => s.get(key, o),
          () => s.getMany([key], o),
          () => s.ttl(key, o),
          () => s.ttlMany([key], o),
          () => s.delete(key, o),
          () => s.deleteMany([key], o),
          () => s.take(key, o),
        ];
        for (const op of ops) await expect(op()).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
        expect(await s.get(key)).toBeUndefined();
        expect(await s.get(key, { collection: 'clients' })).toBeUndefined();
      },
    );

    test('keys() options of the wrong shape → ValidationError naming the option', async () => {
      const s = await make();
      if (!s.capabilities.keys) return;
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      const cases: Array<[unknown, string]> = [
        [{ limit: 0 }, 'options.limit'],
        [{ limit: 1.5 }, 'options.limit'],
        [{ limit: '10' }, 'options.limit'],
        [{ cursor: 5 }, 'options.cursor'],
        [5, 'options'],
      ];
      for (const [options, path] of cases) {
        const err = await s.keys(collection, options as { limit: number }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path }] });
      }
    });
  });
}
