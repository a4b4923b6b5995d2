/**
 * The part of the conformance suite that checks what the bad-input section's tables of bad names,
 * TTLs and values cannot: values that change while they are read, and option arguments of the wrong
 * shape. Nothing is written in any case.
 * @module
 */
import type { JsonObject } from '../contract.js';
import { equal, rejects, saysFound } from './assert.js';
import { allKeys, type SuiteContext } from './context.js';

/** Bad options arguments, each with what a refusal's message must say was found. */
const BAD_OPTIONS: Array<[string, unknown, RegExp]> = [
  ['a number (a TTL meant as options)', 300, /\bgot a number\b/],
  ['a string (a collection meant as options)', 'clients', /\bgot a string\b/],
  ['null', null, /\bgot null\b/i],
  ['an array', [{ collection: 'c' }], /\bgot an array\b/i],
];

/** Registers the tests (inside the suite's `describe`). */
export function describeValidation({ test, describe, make, fresh }: SuiteContext): void {
  describe('values read once, and option arguments of the wrong shape', () => {
    test(['value.read-once'], 'every member is read once: what is stored is what was validated', async () => {
      const s = await make();
      const collection = fresh();
      for (const [op, write] of [
        ['put', (v: JsonObject) => s.put('put', v, { collection })],
        ['putIfAbsent', (v: JsonObject) => s.putIfAbsent('pia', v, { collection })],
        ['putMany', (v: JsonObject) => s.putMany([['many', v]], { collection })],
      ] as const) {
        let reads = 0;
        // Valid on the first read, dropped by JSON on any later one.
        const value = {
          get token() {
            reads++;
            return reads === 1 ? 'first' : undefined;
          },
        };
        await write(value as unknown as JsonObject);
        equal(reads, 1, `${op} read the member more than once`);
      }
      equal(
        await s.getMany(['put', 'pia', 'many'], { collection }),
        [{ token: 'first' }, { token: 'first' }, { token: 'first' }],
        'what put, putIfAbsent and putMany stored',
      );
    });

    for (const [label, options, found] of BAD_OPTIONS) {
      test(
        ['options.shape', 'errors.found'],
        `options that are ${label} → ValidationError from every operation, nothing written`,
        async () => {
          const s = await make();
          const key = fresh('key');
          const o = options as { collection: string; ttl: number };
          const ops: Array<[string, () => Promise<unknown>]> = [
            ['put', () => s.put(key, { a: 1 }, o)],
            ['putIfAbsent', () => s.putIfAbsent(key, { a: 1 }, o)],
            ['putMany', () => s.putMany([[key, { a: 1 }]], o)],
            ['get', () => s.get(key, o)],
            ['getMany', () => s.getMany([key], o)],
            ['ttl', () => s.ttl(key, o)],
            ['ttlMany', () => s.ttlMany([key], o)],
            ['delete', () => s.delete(key, o)],
            ['deleteMany', () => s.deleteMany([key], o)],
            ['take', () => s.take(key, o)],
          ];
          for (const [op, run] of ops) {
            const err = await rejects(run(), 'VALIDATION_ERROR', `${op} with options that are ${label}`);
            saysFound(err, found, `${op} with options that are ${label}`);
            equal(
              (err as { issues?: Array<{ path?: unknown }> }).issues?.[0]?.path,
              'options',
              `issues[0].path of ${op}`,
            );
          }
          equal(await s.get(key), undefined, 'an entry written to the default collection');
          equal(
            await s.get(key, { collection: 'clients' }),
            undefined,
            "an entry written to collection 'clients'",
          );
        },
      );
    }

    test(
      ['keys.options', 'errors.found'],
      'keys() options of the wrong shape → ValidationError naming the option',
      async (ctx) => {
        const s = await make();
        if (!s.capabilities.keys) ctx.skip('the store does not announce capabilities.keys');
        const collection = fresh();
        await s.put('k', { a: 1 }, { collection });
        const cases: Array<[unknown, string, RegExp]> = [
          [{ limit: 0 }, 'options.limit', /\bgot 0\b/],
          [{ limit: -1 }, 'options.limit', /\bgot -1\b/],
          [{ limit: 1.5 }, 'options.limit', /\bgot 1\.5\b/],
          [{ limit: '10' }, 'options.limit', /\bgot a string\b/],
          [{ limit: Number.NaN }, 'options.limit', /\bgot NaN\b/],
          [{ limit: null }, 'options.limit', /\bgot null\b/i],
          [{ cursor: 5 }, 'options.cursor', /\bgot a number\b/],
          [5, 'options', /\bgot a number\b/],
          [null, 'options', /\bgot null\b/i],
        ];
        for (const [options, path, found] of cases) {
          const what = `keys(collection, ${JSON.stringify(options)})`;
          const err = await rejects(
            s.keys(collection, options as { limit: number }),
            'VALIDATION_ERROR',
            what,
          );
          saysFound(err, found, what);
          equal(
            (err as { issues?: Array<{ path?: unknown }> }).issues?.[0]?.path,
            path,
            `issues[0].path of ${what}`,
          );
        }
        equal(await allKeys(s, collection, 1), ['k'], 'keys() in pages of 1');
      },
    );
  });
}
