/**
 * Bad keys, collections, values and TTLs: each is refused with its typed error, and nothing is
 * written or lost.
 * @module
 */
import type { JsonObject } from '../contract.js';
import { describeError, equal, fail, ok, rejection, rejects } from './assert.js';
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

const BAD_NAMES: Array<[string, unknown]> = [
  ['an empty string', ''],
  ['a number', 42],
  ['undefined', undefined],
  ['null', null],
  ['an object', { key: 'k' }],
  ['a lone surrogate', 'a\uD800b'],
];

class Point {
  x = 1;
}
class List extends Array<number> {}

function badValues(): Array<[string, unknown, string]> {
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
    ['an array with a member named x1', { list: digitLast }, '$.list'],
    ['an array with a member named 1x', { list: digitFirst }, '$.list'],
    ['NaN under a member name that is not an identifier', { '1a': { 'b-c': Number.NaN } }, '$["1a"]["b-c"]'],
    ['nesting 100,000 levels deep', deep, '$'],
    ['a symbol-keyed member (JSON drops it)', { ok: { [Symbol('s')]: 1 } }, '$.ok'],
    ['an array subclass', { list: List.from([1]) }, '$.list'],
  ];
}

const BAD_TTLS: Array<[string, unknown]> = [
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

/** Registers this section (inside the suite's `describe`). */
export function describeBadInput({ test, describe, make, fresh }: SuiteContext): void {
  describe('bad input is refused and nothing is written or lost', () => {
    for (const [label, key] of BAD_NAMES) {
      test(
        ['names.valid', 'errors.code'],
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
          for (const [op, run] of ops)
            await refused(run(), 'INVALID_KEY', `${op} with a key that is ${label}`, 'key');
          equal(await s.get('ok', { collection }), undefined, 'putMany with one bad key wrote the good one');
          equal(
            await s.get('there', { collection }),
            { original: true },
            'deleteMany with one bad key deleted',
          );
        },
      );
    }

    for (const [label, collection] of BAD_NAMES.filter(([, v]) => v !== undefined)) {
      test(
        ['names.valid', 'collection.null'],
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
            await refused(run(), 'INVALID_KEY', `${op} in a collection that is ${label}`, 'collection');
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

    for (const [label, value, path] of badValues()) {
      test(
        ['value.refused', 'value.nothing-written'],
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

    for (const [label, ttl] of BAD_TTLS) {
      test(['ttl.refused', 'errors.code'], `a TTL that is ${label} → InvalidTTLError`, async () => {
        const s = await make();
        const collection = fresh();
        await s.put('k', { original: true }, { collection });
        const t = ttl as number;
        const ops: Array<[string, () => Promise<unknown>]> = [
          ['put over an entry', () => s.put('k', { a: 1 }, { collection, ttl: t })],
          ['put', () => s.put('new', { a: 1 }, { collection, ttl: t })],
          ['putIfAbsent', () => s.putIfAbsent('new', { a: 1 }, { collection, ttl: t })],
          ['putIfAbsent over an existing entry', () => s.putIfAbsent('k', { a: 1 }, { collection, ttl: t })],
          ['putMany', () => s.putMany([['new', { a: 1 }]], { collection, ttl: t })],
        ];
        for (const [op, run] of ops) await refused(run(), 'INVALID_TTL', `${op} with a TTL that is ${label}`);
        equal(
          await s.ttl('k', { collection }),
          { value: { original: true }, ttl: undefined },
          'the entry kept',
        );
        equal(await s.get('new', { collection }), undefined, 'an entry a refused write would create');
      });
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
