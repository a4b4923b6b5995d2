/**
 * Bad keys, collections, values and TTLs: each is refused with its typed error, and nothing is
 * written or lost.
 * @module
 */
import type { JsonObject } from '../contract.js';
import { describeError, equal, fail, ok, rejection, rejects, saysFound } from './assert.js';
import type { SuiteContext } from './context.js';

/** Rejects with `code`, an `Error` that is not retryable (a retry would never succeed). */
export async function refused(
  promise: Promise<unknown>,
  code: string,
  what: string,
  names?: 'key' | 'collection',
): Promise<Error> {
  const err = await rejects(promise, code, what);
  ok(err instanceof Error, `${what}: the refusal must be an Error (got ${typeof err})`);
  ok(typeof err.message === 'string' && err.message.trim() !== '', `${what}: the refusal has no message`);
  if (names !== undefined && !err.message.toLowerCase().includes(names)) {
    fail(`${what}: the message must say it is the ${names} that is wrong, got: ${err.message}`);
  }
  if ((err as { retryable?: unknown }).retryable === true) {
    fail(`${what}: ${code} is not retryable (a retry cannot succeed), but err.retryable is true`);
  }
  return err;
}

/** Bad names, each with what a refusal's message must say was found (`errors.found`). */
const BAD_NAMES: Array<[string, unknown, RegExp]> = [
  ['an empty string', '', /empty/i],
  ['a number', 42, /\ba number\b/],
  ['undefined', undefined, /\bundefined\b/i],
  ['null', null, /\bnull\b/i],
  ['an object', { key: 'k' }, /\bgot an object$/],
  ['a lone surrogate', 'a\uD800b', /surrogate/i],
];

class Point {
  x = 1;
}
class List extends Array<number> {}

/** Bad values: what each is, the path its refusal names, and what its message must say was found. */
function badValues(): Array<[string, unknown, string, RegExp]> {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const sparse: unknown[] = [1];
  sparse[111] = 3; // holes at 1..110: the index 111 is a number of three digits
  const named: unknown[] & { extra?: number } = [1, 2];
  named.extra = 3;
  const digitLast: unknown[] & { x1?: number } = [1];
  digitLast.x1 = 2;
  const digitFirst: unknown[] & { '1x'?: number } = [1];
  digitFirst['1x'] = 2;
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 100_000; i++) deep = { d: deep };
  return [
    ['a top-level array', [1, 2], '$', /\bgot an array\b/i],
    ['a top-level string', 'text', '$', /\bgot a string\b/],
    ['a top-level number', 7, '$', /\bgot a number\b/],
    ['null', null, '$', /\bgot null\b/i],
    ['undefined', undefined, '$', /\bgot undefined\b/i],
    ['a Date', new Date(0), '$', /\bgot a Date\b/],
    ['a Map', new Map([['a', 1]]), '$', /\bgot a Map\b/],
    ['a class instance', new Point(), '$', /\bgot a Point\b/],
    ['an undefined member', { a: undefined }, '$.a', /\bundefined\b/i],
    ['a function member', { f: () => 1 }, '$.f', /\ba function\b/],
    ['a symbol member', { s: Symbol('s') }, '$.s', /\ba symbol\b/],
    ['a BigInt member', { b: 10n }, '$.b', /\ba bigint\b/],
    ['NaN', { n: Number.NaN }, '$.n', /\bNaN\b/],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, '$.n', /(^|[^-])\bInfinity\b/],
    ['-Infinity deep inside', { a: { b: [1, Number.NEGATIVE_INFINITY] } }, '$.a.b[1]', /-Infinity\b/],
    ['a nested Date', { at: { when: new Date(0) } }, '$.at.when', /\ba Date\b/],
    ['a nested Set', { s: new Set([1]) }, '$.s', /\ba Set\b/],
    ['undefined in an array', { list: [1, undefined] }, '$.list[1]', /\bundefined\b/i],
    ['a sparse array', { list: sparse }, '$.list[1]', /\bsparse|\bhole\b/i],
    ['a cycle', cyclic, '$.self', /\bcycl/i],
    ['a lone surrogate in a string', { s: 'x\uDC00' }, '$.s', /\bsurrogate\b/i],
    ['a lone surrogate in a member name', { ok: { 'a\uD800': 1 } }, '$.ok["a\\ud800"]', /\bsurrogate\b/i],
    ['an array with a named member (JSON drops it)', { list: named }, '$.list', /\bnamed\b/i],
    ['an array with a member named x1', { list: digitLast }, '$.list', /\bnamed\b/i],
    ['an array with a member named 1x', { list: digitFirst }, '$.list', /\bnamed\b/i],
    [
      'NaN under a member name that is not an identifier',
      { '1a': { 'b-c': Number.NaN } },
      '$["1a"]["b-c"]',
      /\bNaN\b/,
    ],
    ['nesting 100,000 levels deep', deep, '$', /\bnested|\bdeep/i],
    ['a symbol-keyed member (JSON drops it)', { ok: { [Symbol('s')]: 1 } }, '$.ok', /\bsymbol/i],
    ['an array subclass', { list: List.from([1]) }, '$.list', /\bsubclass\b/i],
    [
      'an object made by Object.create({})',
      { o: Object.create({}) },
      '$.o',
      /\ban object with a prototype of its own\b/,
    ],
    [
      'an object whose prototype has no constructor',
      { o: Object.create(Object.create(null)) },
      '$.o',
      /\ban object with a prototype of its own\b/,
    ],
  ];
}

/** Bad TTLs, each with what a refusal's message must say was found. */
const BAD_TTLS: Array<[string, unknown, RegExp]> = [
  ['0', 0, /\bgot 0\b/],
  ['negative', -1, /\bgot -1\b/],
  ['NaN', Number.NaN, /\bgot NaN\b/],
  ['Infinity', Number.POSITIVE_INFINITY, /\bgot Infinity\b/],
  ['-Infinity', Number.NEGATIVE_INFINITY, /\bgot -Infinity\b/],
  ['a boolean', true, /\bgot a boolean\b/],
  ['a string', '60', /\bgot a string\b/],
  ['null', null, /\bgot null\b/i],
  ['beyond 100 years (no date can hold it)', 1e13, /\b100 years\b|\bat most\b/i],
];

/** Registers this section (inside the suite's `describe`). */
export function describeBadInput({ test, describe, make, fresh }: SuiteContext): void {
  describe('bad input is refused and nothing is written or lost', () => {
    for (const [label, key, found] of BAD_NAMES) {
      test(
        ['names.valid', 'errors.code', 'errors.found'],
        `a key that is ${label} → InvalidKeyError from every operation`,
        async () => {
          const s = await make();
          const collection = fresh();
          await s.put('there', { original: true }, { collection });
          const k = key as string;
          const ops: Array<[string, () => Promise<unknown>]> = [
            ['get', () => s.get(k, { collection })],
            ['put', () => s.put(k, { a: 1 }, { collection })],
            ['delete', () => s.delete(k, { collection })],
            ['take', () => s.take(k, { collection })],
            ['ttl', () => s.ttl(k, { collection })],
            ['putIfAbsent', () => s.putIfAbsent(k, { a: 1 }, { collection })],
            ['getMany', () => s.getMany(['ok', k], { collection })],
            ['ttlMany', () => s.ttlMany(['ok', k], { collection })],
            ['deleteMany', () => s.deleteMany(['there', k], { collection })],
            [
              'putMany',
              () =>
                s.putMany(
                  [
                    ['ok', { a: 1 }],
                    [k, { a: 2 }],
                  ],
                  { collection },
                ),
            ],
          ];
          for (const [op, run] of ops) {
            const what = `${op} with a key that is ${label}`;
            saysFound(await refused(run(), 'INVALID_KEY', what, 'key'), found, what);
          }
          equal(await s.get('ok', { collection }), undefined, 'putMany with one bad key wrote the good one');
          equal(
            await s.get('there', { collection }),
            { original: true },
            'deleteMany with one bad key deleted',
          );
        },
      );
    }

    for (const [label, collection, found] of BAD_NAMES.filter(([, v]) => v !== undefined)) {
      test(
        ['names.valid', 'collection.null', 'errors.found'],
        `a collection that is ${label} → InvalidKeyError`,
        async () => {
          const s = await make();
          const c = collection as string;
          const ops: Array<[string, () => Promise<unknown>]> = [
            ['get', () => s.get('k', { collection: c })],
            ['put', () => s.put('k', { a: 1 }, { collection: c })],
            ['take', () => s.take('k', { collection: c })],
            ['getMany', () => s.getMany(['k'], { collection: c })],
            ['putIfAbsent', () => s.putIfAbsent('k', { a: 1 }, { collection: c })],
            ['putMany', () => s.putMany([['k', { a: 1 }]], { collection: c })],
            ['delete', () => s.delete('k', { collection: c })],
            ['deleteMany', () => s.deleteMany(['k'], { collection: c })],
            ['ttl', () => s.ttl('k', { collection: c })],
            ['ttlMany', () => s.ttlMany(['k'], { collection: c })],
          ];
          for (const [op, run] of ops) {
            const what = `${op} in a collection that is ${label}`;
            saysFound(await refused(run(), 'INVALID_KEY', what, 'collection'), found, what);
          }
          for (const [op, cap, run] of [
            ['keys', 'keys', () => s.keys(c)],
            ['destroyCollection', 'destroyCollection', () => s.destroyCollection(c)],
          ] as const) {
            if (s.capabilities[cap])
              await refused(run(), 'INVALID_KEY', `${op}() of a collection that is ${label}`);
          }
          equal(
            await s.get('k'),
            undefined,
            `a write to a collection that is ${label} reached the default one`,
          );
        },
      );
    }

    for (const [label, value, path, found] of badValues()) {
      test(
        ['value.refused', 'value.nothing-written', 'errors.found'],
        `a value with ${label} → SerializationError naming the path`,
        async () => {
          const s = await make();
          const collection = fresh();
          await s.put('k', { original: true }, { collection });
          const v = value as JsonObject;
          const ops: Array<[string, () => Promise<unknown>]> = [
            ['put over an entry', () => s.put('k', v, { collection })],
            ['put', () => s.put('new', v, { collection })],
            ['putIfAbsent', () => s.putIfAbsent('new', v, { collection })],
            ['putIfAbsent over an existing entry', () => s.putIfAbsent('k', v, { collection })],
            [
              'putMany',
              () =>
                s.putMany(
                  [
                    ['new', { fine: 1 }],
                    ['k', v],
                  ],
                  { collection },
                ),
            ],
          ];
          for (const [op, run] of ops) {
            const err = await refused(run(), 'SERIALIZATION_ERROR', `${op} of a value with ${label}`);
            equal((err as { path?: unknown }).path, path, `the path of the SerializationError of ${op}`);
            ok(
              err.message.replace(path, '').replace(/[\s()]|\bat\b/g, '').length > 0,
              `the SerializationError of ${op} must say what is wrong, not only where: ${err.message}`,
            );
            saysFound(err, found, `the SerializationError of ${op} of a value with ${label}`);
          }
          equal(
            await s.get('k', { collection }),
            { original: true },
            'the entry a refused value would replace',
          );
          equal(await s.get('new', { collection }), undefined, 'an entry a refused write would create');
        },
      );
    }

    for (const [label, ttl, found] of BAD_TTLS) {
      test(
        ['ttl.refused', 'errors.code', 'errors.found'],
        `a TTL that is ${label} → InvalidTTLError`,
        async () => {
          const s = await make();
          const collection = fresh();
          await s.put('k', { original: true }, { collection });
          const t = ttl as number;
          const ops: Array<[string, () => Promise<unknown>]> = [
            ['put over an entry', () => s.put('k', { a: 1 }, { collection, ttl: t })],
            ['put', () => s.put('new', { a: 1 }, { collection, ttl: t })],
            ['putIfAbsent', () => s.putIfAbsent('new', { a: 1 }, { collection, ttl: t })],
            [
              'putIfAbsent over an existing entry',
              () => s.putIfAbsent('k', { a: 1 }, { collection, ttl: t }),
            ],
            ['putMany', () => s.putMany([['new', { a: 1 }]], { collection, ttl: t })],
          ];
          for (const [op, run] of ops) {
            const what = `${op} with a TTL that is ${label}`;
            saysFound(await refused(run(), 'INVALID_TTL', what), found, what);
          }
          equal(
            await s.ttl('k', { collection }),
            { value: { original: true }, ttl: undefined },
            'the entry kept',
          );
          equal(await s.get('new', { collection }), undefined, 'an entry a refused write would create');
        },
      );
    }

    test(
      ['value.refused', 'value.nothing-written', 'names.valid'],
      'putMany of something other than [key, value] pairs, and bulk reads of something other than a list of keys, are refused',
      async () => {
        const s = await make();
        const collection = fresh();
        await s.put('k', { original: true }, { collection });
        const entries: Array<[string, unknown]> = [
          ['a string', 'k'],
          ['a pair without a value', [['new', { a: 1 }], ['k']]],
          [
            'a triple',
            [
              ['new', { a: 1 }],
              ['k', { a: 2 }, 'extra'],
            ],
          ],
          ['an object', { k: { a: 1 } }],
        ];
        for (const [label, e] of entries) {
          const err = await refused(
            s.putMany(e as never, { collection }),
            'SERIALIZATION_ERROR',
            `putMany of ${label}`,
          );
          const where = (err as { path?: unknown }).path;
          ok(
            typeof where === 'string' && where !== '',
            `the SerializationError of putMany of ${label} has no path`,
          );
          ok(
            err.message.replace(String(where), '').replace(/[\s()]|\bat\b/g, '').length > 0,
            `the SerializationError of putMany of ${label} must say what is wrong: ${err.message}`,
          );
        }
        equal(
          await s.getMany(['k', 'new'], { collection }),
          [{ original: true }, undefined],
          'after the refused putMany calls',
        );
        for (const [op, run] of [
          ['getMany', () => s.getMany('k' as never, { collection })],
          ['ttlMany', () => s.ttlMany('k' as never, { collection })],
          ['deleteMany', () => s.deleteMany('k' as never, { collection })],
        ] as const) {
          const err = await rejection(run(), `${op} of a string instead of a list of keys`);
          const code = (err as { code?: unknown }).code;
          ok((err as Error).message?.trim(), `${op}('k') was refused without a message`);
          ok(
            code === 'INVALID_KEY' || code === 'VALIDATION_ERROR',
            `${op}('k') rejected with ${describeError(err)}`,
          );
        }
        equal(await s.get('k', { collection }), { original: true }, "deleteMany('k') must not delete k");
      },
    );

    test(['errors.messages'], 'error messages never contain the value', async () => {
      const s = await make();
      const collection = fresh();
      const secret = `sekret-${Math.random().toString(36).slice(2)}`;
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['a NaN beside a secret', () => s.put('k', { token: secret, n: Number.NaN }, { collection })],
        [
          'a function beside a secret',
          () => s.putIfAbsent('k', { token: secret, f: () => 1 } as never, { collection }),
        ],
        ['a bad TTL', () => s.put('k', { token: secret }, { collection, ttl: -1 })],
        ['a bad key', () => s.putMany([['', { token: secret }]], { collection })],
        ['bad options', () => s.put('k', { token: secret }, 300 as never)],
      ];
      for (const [label, run] of cases) {
        const err = await rejection(run(), `a write with ${label}`);
        let json = '';
        try {
          json = JSON.stringify(err);
        } catch {}
        const text = `${String(err)} ${json} ${(err as Error).stack ?? ''}`;
        ok(!text.includes(secret), `the error of a write with ${label} contains the value: ${String(err)}`);
      }
    });
  });
}
