/**
 * Bad keys, collections, values and TTLs: each is refused with its typed error, and nothing is written
 * or lost.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { JsonObject } from '../contract.js';
import type { SerializationError } from '../errors.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeBadInput({ make, fresh }: SuiteContext): void {
  describe('bad input is refused and nothing is written or lost', () => {
    const badKeys: Array<[string, unknown]> = [
      ['an empty string', ''],
      ['a number', 42],
      ['undefined', undefined],
      ['null', null],
      ['an object', { key: 'k' }],
      ['a lone surrogate', 'a\uD800b'],
    ];
    test.each(badKeys)('a key that is %s → InvalidKeyError from every operation', async (_label, key) => {
      const s = await make();
      const collection = fresh();
      const k = key as string;
      const ops: Array<() => Promise<unknown>> = [
        () => s.get(k, { collection }),
        () => s.put(k, { a: 1 }, { collection }),
        () => s.delete(k, { collection }),
        () => s.take(k, { collection }),
        () => s.ttl(k, { collection }),
        () => s.putIfAbsent(k, { a: 1 }, { collection }),
        () => s.getMany(['ok', k], { collection }),
        () => s.ttlMany(['ok', k], { collection }),
        () => s.deleteMany(['ok', k], { collection }),
        () =>
          s.putMany(
            [
              ['ok', { a: 1 }],
              [k, { a: 2 }],
            ],
            { collection },
          ),
      ];
      for (const op of ops) await expect(op()).rejects.toMatchObject({ code: 'INVALID_KEY' });
      expect(await s.get('ok', { collection })).toBeUndefined();
    });

    test.each(badKeys.filter(([, v]) => v !== undefined))(
      'a collection that is %s → InvalidKeyError',
      async (_label, collection) => {
        const s = await make();
        const c = collection as string;
        await expect(s.get('k', { collection: c })).rejects.toMatchObject({ code: 'INVALID_KEY' });
        await expect(s.put('k', { a: 1 }, { collection: c })).rejects.toMatchObject({
          code: 'INVALID_KEY',
        });
        await expect(s.take('k', { collection: c })).rejects.toMatchObject({ code: 'INVALID_KEY' });
        await expect(s.getMany(['k'], { collection: c })).rejects.toMatchObject({ code: 'INVALID_KEY' });
      },
    );

    class Point {
      x = 1;
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const named: unknown[] & { extra?: number } = [1, 2];
    named.extra = 3;
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const badValues: Array<[string, unknown, string]> = [
      ['a top-level array', [1, 2], '$'],
      ['a top-level string', 'text', '$'],
      ['a top-level number', 7, '$'],
      ['null', null, '$'],
      ['undefined', undefined, '$'],
      ['a Date', new Date(0), '$'],
      ['a Map', new Map([['a', 1]]), '$'],
      ['a class instance', new Point(), '$'],
      ['an undefined member', { a: undefined }, '$.a'],
      ['a function member', { f: () => 1 }, '$.f'],
      ['a symbol member', { s: Symbol('s') }, '$.s'],
      ['a BigInt member', { b: 10n }, '$.b'],
      ['NaN', { n: Number.NaN }, '$.n'],
      ['Infinity', { n: Number.POSITIVE_INFINITY }, '$.n'],
      ['-Infinity deep inside', { a: { b: [1, Number.NEGATIVE_INFINITY] } }, '$.a.b[1]'],
      ['a nested Date', { at: { when: new Date(0) } }, '$.at.when'],
      ['a nested Set', { s: new Set([1]) }, '$.s'],
      ['undefined in an array', { list: [1, undefined] }, '$.list[1]'],
      ['a sparse array', { list: sparse }, '$.list[1]'],
      ['a cycle', cyclic, '$.self'],
      ['a lone surrogate in a string', { s: 'x\uDC00' }, '$.s'],
      ['a lone surrogate in a member name', { ok: { 'a\uD800': 1 } }, '$.ok["a\\ud800"]'],
      ['an array with a named member (JSON drops it)', { list: named }, '$.list'],
      ['nesting 100,000 levels deep', deep, '$'],
    ];
    test.each(badValues)(
      'a value with %s → SerializationError naming the path',
      async (_label, value, path) => {
        const s = await make();
        const collection = fresh();
        await s.put('k', { original: true }, { collection });
        const v = value as JsonObject;
        for (const op of [
          () => s.put('k', v, { collection }),
          () => s.put('new', v, { collection }),
          () => s.putIfAbsent('new', v, { collection }),
          () =>
            s.putMany(
              [
                ['new', { fine: 1 }],
                ['k', v],
              ],
              { collection },
            ),
        ]) {
          const err = await op().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toMatchObject({ code: 'SERIALIZATION_ERROR' });
          expect((err as SerializationError).path).toBe(path);
        }
        expect(await s.get('k', { collection })).toEqual({ original: true });
        expect(await s.get('new', { collection })).toBeUndefined();
      },
    );

    const badTtls: Array<[string, unknown]> = [
      ['0', 0],
      ['negative', -1],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['a boolean', true],
      ['a string', '60'],
      ['null', null],
      ['beyond 100 years (no date can hold it)', 1e13],
    ];
    test.each(badTtls)('a TTL that is %s → InvalidTTLError', async (_label, ttl) => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { original: true }, { collection });
      const t = ttl as number;
      await expect(s.put('k', { a: 1 }, { collection, ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      await expect(s.put('new', { a: 1 }, { collection, ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      await expect(s.putIfAbsent('new', { a: 1 }, { collection, ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      await expect(s.putMany([['new', { a: 1 }]], { collection, ttl: t })).rejects.toMatchObject({
        code: 'INVALID_TTL',
      });
      expect(await s.ttl('k', { collection })).toEqual({ value: { original: true }, ttl: undefined });
      expect(await s.get('new', { collection })).toBeUndefined();
    });
  });
}
