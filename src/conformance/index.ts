/**
 * The oauth-kv conformance suite: the whole `AsyncKeyValue` contract as vitest tests. Authors of
 * custom backends and wrappers run it against their store to prove it correct.
 *
 * @example
 * ```ts
 * // my-store.test.ts
 * import { describeConformance } from 'oauth-kv/conformance';
 * import { MyStore } from './my-store.js';
 *
 * describeConformance('MyStore', {
 *   createStore: () => new MyStore({ url: process.env.MY_URL }),
 *   persistent: true,
 * });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DEFAULT_COLLECTION } from '../contract.js';
import type { SerializationError } from '../errors.js';
import { modelTest } from './model.js';
import { describeValidation } from './validation.js';

/**
 * What the suite needs to know about the store under test.
 *
 * @example
 * ```ts
 * const options: ConformanceOptions = { createStore: () => new MemoryStore(), persistent: false };
 * ```
 */
export interface ConformanceOptions {
  /**
   * Creates a store. Called for each test, and twice in the tests that use two instances. Every
   * store it returns is closed by the suite after the test. For a persistent or shared backend,
   * each call must return a store on the same backing (same directory, database, key prefix).
   */
  createStore: () => AsyncKeyValue | Promise<AsyncKeyValue>;
  /** Data written survives `close()` and is read by the next `createStore()` (default `false`). */
  persistent?: boolean | undefined;
  /** Two live stores from `createStore()` see each other's writes (default: `persistent`). */
  sharedBacking?: boolean | undefined;
  /** Extra seconds to wait past a TTL before checking that the entry expired (default 0.25). */
  ttlSlack?: number | undefined;
  /** Number of randomized operation sequences in the model test (default 25). */
  modelRuns?: number | undefined;
  /** Seed of the model test, fixed so failures reproduce (default 20261122). */
  modelSeed?: number | undefined;
  /** Size of the large-value test in bytes (default 1 MiB). */
  largeValueBytes?: number | undefined;
  /**
   * Time limit in ms of each exactly-once race (150 concurrent calls; default 120 000). Raise it
   * for backends that serialize contending transactions slowly, such as the Firestore emulator.
   */
  raceTimeoutMs?: number | undefined;
}

/**
 * Registers the conformance suite for one store as a vitest `describe` block. Errors are checked by
 * their stable `code`, so a store built on the CommonJS build of oauth-kv passes too.
 *
 * @example
 * ```ts
 * import { describeConformance } from 'oauth-kv/conformance';
 * import { MemoryStore } from 'oauth-kv';
 *
 * describeConformance('MemoryStore', { createStore: () => new MemoryStore() });
 * ```
 */
export function describeConformance(name: string, options: ConformanceOptions): void {
  const persistent = options.persistent ?? false;
  const shared = options.sharedBacking ?? persistent;
  const slackMs = (options.ttlSlack ?? 0.25) * 1000;
  const raceTimeout = options.raceTimeoutMs ?? 120_000;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  /** A collection name no other test (or run) uses. */
  const fresh = (label = 'c') => `conf-${run}-${label}-${++counter}`;

  describe(`${name}: AsyncKeyValue conformance`, () => {
    const open: AsyncKeyValue[] = [];
    const make = async (): Promise<AsyncKeyValue> => {
      const store = await options.createStore();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
    });

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
        const key = `default-${run}-${++counter}`;
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

    describe('bulk operations', () => {
      test('getMany returns values in key order, with duplicates and undefined for missing keys', async () => {
        const s = await make();
        const collection = fresh();
        await s.put('a', { v: 'a' }, { collection });
        await s.put('b', { v: 'b' }, { collection });
        const got = await s.getMany(['b', 'missing', 'a', 'b'], { collection });
        expect(got).toEqual([{ v: 'b' }, undefined, { v: 'a' }, { v: 'b' }]);
        (got[0] as JsonObject).v = 'mutated';
        expect(got[3]).toEqual({ v: 'b' });
        expect(await s.getMany([], { collection })).toEqual([]);
      });

      test('putMany writes every entry, a later duplicate wins, and an empty batch is a no-op', async () => {
        const s = await make();
        const collection = fresh();
        await s.putMany(
          [
            ['a', { n: 1 }],
            ['b', { n: 2 }],
            ['a', { n: 3 }],
          ],
          { collection },
        );
        expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: 3 }, { n: 2 }]);
        await s.putMany([], { collection });
        expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: 3 }, { n: 2 }]);
      });

      test('putMany applies one TTL to the batch', async () => {
        const s = await make();
        const collection = fresh();
        await s.putMany(
          [
            ['a', { n: 1 }],
            ['b', { n: 2 }],
          ],
          { collection, ttl: 120 },
        );
        for (const r of await s.ttlMany(['a', 'b'], { collection })) {
          expect(r.ttl).toBeGreaterThan(100);
          expect(r.ttl).toBeLessThanOrEqual(120);
        }
      });

      test('deleteMany counts each existing entry once and ignores missing keys', async () => {
        const s = await make();
        const collection = fresh();
        await s.putMany(
          [
            ['a', { n: 1 }],
            ['b', { n: 2 }],
            ['c', { n: 3 }],
          ],
          { collection },
        );
        expect(await s.deleteMany(['a', 'a', 'missing', 'b'], { collection })).toBe(2);
        expect(await s.getMany(['a', 'b', 'c'], { collection })).toEqual([undefined, undefined, { n: 3 }]);
        expect(await s.deleteMany([], { collection })).toBe(0);
      });

      test('ttlMany returns results in key order', async () => {
        const s = await make();
        const collection = fresh();
        await s.put('a', { n: 1 }, { collection, ttl: 300 });
        await s.put('b', { n: 2 }, { collection });
        const [a, missing, b] = await s.ttlMany(['a', 'missing', 'b'], { collection });
        expect(a?.value).toEqual({ n: 1 });
        expect(a?.ttl).toBeGreaterThan(250);
        expect(missing).toEqual({ value: undefined, ttl: undefined });
        expect(b).toEqual({ value: { n: 2 }, ttl: undefined });
      });
    });

    describe('copy semantics', () => {
      test('mutating the object passed to put, or returned by a read, never changes what is stored', async () => {
        const s = await make();
        const collection = fresh();
        const value = { list: [1, 2], inner: { x: 'y' } };
        await s.put('k', value, { collection });
        value.list.push(3);
        value.inner.x = 'changed';
        const first = (await s.get('k', { collection })) as { list: number[]; inner: { x: string } };
        expect(first).toEqual({ list: [1, 2], inner: { x: 'y' } });
        first.list.push(99);
        first.inner.x = 'changed again';
        expect(await s.get('k', { collection })).toEqual({ list: [1, 2], inner: { x: 'y' } });
        const [many] = (await s.getMany(['k'], { collection })) as [{ list: number[] }];
        many.list.length = 0;
        expect((await s.ttl('k', { collection })).value).toEqual({ list: [1, 2], inner: { x: 'y' } });
      });

      test('mutating a value after putMany or putIfAbsent never changes what is stored', async () => {
        const s = await make();
        const collection = fresh();
        const a = { n: [1] };
        const b = { n: [2] };
        await s.putMany([['a', a]], { collection });
        await s.putIfAbsent('b', b, { collection });
        a.n.push(10);
        b.n.push(20);
        expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: [1] }, { n: [2] }]);
      });
    });

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

    describeValidation({ make, fresh });

    describe('names', () => {
      const nastyKeys = [
        'https://app.example/client.json',
        'https://app.example/client.json?x=1#frag',
        '../../etc/passwd',
        '..',
        '.',
        '/',
        'a/b\\c',
        'a::b',
        '%2F',
        '%252F',
        'Grüße, 世界',
        '😀🌏 emoji',
        'CaseSensitive',
        'casesensitive',
        ' leading and trailing ',
        'tab\tnew\nline',
        '__reserved__',
        '*?[glob]{x}',
        'quote"\'`',
        'x'.repeat(1000),
        'é'.repeat(600),
      ];
      test('any Unicode key round-trips, including URL-shaped, path-like and 1,000-character keys', async () => {
        const s = await make();
        const collection = fresh();
        await Promise.all(nastyKeys.map((key, i) => s.put(key, { i }, { collection })));
        const got = await s.getMany(nastyKeys, { collection });
        expect(got).toEqual(nastyKeys.map((_, i) => ({ i })));
        for (const [i, key] of nastyKeys.entries()) expect(await s.get(key, { collection })).toEqual({ i });
        if (s.capabilities.keys) {
          expect((await allKeys(s, collection)).sort()).toEqual([...nastyKeys].sort());
        }
      });

      test('unusual collection names are kept apart and round-trip', async () => {
        const s = await make();
        const base = fresh();
        const names = [`${base}/x`, `${base}::y`, `${base}.😀`, `${base}/../z`, `${base}-${'c'.repeat(300)}`];
        await Promise.all(names.map((collection, i) => s.put('k', { i }, { collection })));
        for (const [i, collection] of names.entries())
          expect(await s.get('k', { collection })).toEqual({ i });
        if (s.capabilities.collections) {
          const listed = await s.collections();
          for (const collection of names) expect(listed).toContain(collection);
        }
      });

      test('no two different (collection, key) pairs alias', async () => {
        const s = await make();
        const c = fresh();
        const pairs: Array<[string, string]> = [
          [`${c}a::b`, 'c'],
          [`${c}a`, 'b::c'],
          [`${c}a/b`, 'c'],
          [`${c}a`, 'b/c'],
          [`${c}a:`, ':b'],
          [`${c}a::`, 'b'],
          [`${c}a`, '::b'],
          [`${c}A`, 'b'],
          [`${c}a`, 'B'],
          [`${c}a`, 'b'],
        ];
        await Promise.all(pairs.map(([collection, key], i) => s.put(key, { i }, { collection })));
        for (const [i, [collection, key]] of pairs.entries()) {
          expect(await s.get(key, { collection })).toEqual({ i });
        }
      });

      test('the same key in two collections is two entries', async () => {
        const s = await make();
        const one = fresh();
        const two = fresh();
        await s.put('k', { c: 1 }, { collection: one });
        await s.put('k', { c: 2 }, { collection: two });
        expect(await s.delete('k', { collection: one })).toBe(true);
        expect(await s.get('k', { collection: one })).toBeUndefined();
        expect(await s.get('k', { collection: two })).toEqual({ c: 2 });
      });
    });

    test('a large value (1 MiB) round-trips', async () => {
      const s = await make();
      const collection = fresh();
      const bytes = options.largeValueBytes ?? 1024 * 1024;
      const value = {
        blob: 'x'.repeat(bytes),
        items: Array.from({ length: 1000 }, (_, i) => ({ i, s: `v${i}` })),
      };
      await s.put('big', value, { collection });
      expect(await s.get('big', { collection })).toEqual(value);
    }, 60_000);

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
        expect(await s.getMany(['b', 'keep', 'long'], { collection })).toEqual([
          undefined,
          { n: 0 },
          { n: 9 },
        ]);
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

    describe('optional capabilities', () => {
      test('keys() pages through a collection without duplicates or omissions', async () => {
        const s = await make();
        const collection = fresh();
        if (!s.capabilities.keys) {
          await expect(s.keys(collection)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
          return;
        }
        const written = Array.from({ length: 25 }, (_, i) => `key-${i}`);
        await s.putMany(
          written.map((k) => [k, { k }] as const),
          { collection },
        );
        await s.put('other', { x: 1 }, { collection: fresh() });
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await s.keys(collection, { limit: 10, cursor });
          expect(page.keys.length).toBeLessThanOrEqual(10);
          seen.push(...page.keys);
          cursor = page.cursor;
          pages++;
          expect(pages).toBeLessThan(100);
        } while (cursor !== undefined);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.sort()).toEqual([...written].sort());
        expect(pages).toBeGreaterThanOrEqual(3);
        expect(await s.keys(fresh())).toEqual({ keys: [], cursor: undefined });
      });

      test('collections() lists collections that hold entries', async () => {
        const s = await make();
        const one = fresh();
        const two = fresh();
        if (!s.capabilities.collections) {
          await expect(s.collections()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
          return;
        }
        await s.put('k', { a: 1 }, { collection: one });
        await s.put('k', { a: 1 }, { collection: two });
        const listed = await s.collections();
        expect(listed).toContain(one);
        expect(listed).toContain(two);
        expect(listed).not.toContain(fresh());
      });

      test('destroyCollection() deletes one collection and nothing else', async () => {
        const s = await make();
        const doomed = fresh();
        const kept = fresh();
        if (!s.capabilities.destroyCollection) {
          await expect(s.destroyCollection(doomed)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
          return;
        }
        await s.putMany(
          [
            ['a', { n: 1 }],
            ['b', { n: 2 }],
          ],
          { collection: doomed },
        );
        await s.put('a', { n: 3 }, { collection: kept });
        expect(await s.destroyCollection(doomed)).toBe(true);
        expect(await s.getMany(['a', 'b'], { collection: doomed })).toEqual([undefined, undefined]);
        expect(await s.get('a', { collection: kept })).toEqual({ n: 3 });
        expect(await s.destroyCollection(doomed)).toBe(false);
        if (s.capabilities.collections) expect(await s.collections()).not.toContain(doomed);
      });
    });

    describe('model-based', () => {
      test('random operation sequences agree with a reference model (fixed seed)', async () => {
        const s = await make();
        await modelTest(s, () => fresh('model'), {
          runs: options.modelRuns ?? 25,
          seed: options.modelSeed ?? 20261122,
        });
      }, 120_000);
    });
  });
}

/** Collects every key of a collection through `keys()` paging. */
async function allKeys(store: AsyncKeyValue, collection: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  let guard = 0;
  do {
    const page = await store.keys(collection, { limit: 7, cursor });
    keys.push(...page.keys);
    cursor = page.cursor;
    if (++guard > 10_000) throw new Error('keys() never returned a final page');
  } while (cursor !== undefined);
  return keys;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
