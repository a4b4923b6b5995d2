/**
 * The basic operations: get, put, delete and ttl of single entries, and the default collection.
 * @module
 */
import { DEFAULT_COLLECTION } from '../contract.js';
import { equal, ok } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeBasic({ test, describe, make, fresh, freshKey }: SuiteContext): void {
  describe('basic operations', () => {
    test(['op.get'], 'get of a missing key is undefined', async () => {
      const s = await make();
      equal(await s.get('missing', { collection: fresh() }), undefined, 'get of a key never written');
    });

    test(
      ['op.put', 'op.get', 'value.json'],
      'put then get returns an equal value; put overwrites',
      async () => {
        const s = await make();
        const collection = fresh();
        const value = {
          client_id: 'c1',
          redirect_uris: ['https://a.example/cb'],
          nested: { n: 1.5, ok: true, none: null, deep: [[{ x: -3e-7 }], 'Grüße 😀'] },
        };
        // A member named __proto__ is an ordinary member in JSON (JSON.parse makes it an own member).
        const own = { enumerable: true, writable: true, configurable: true };
        Object.defineProperty(value, '__proto__', { ...own, value: { polluted: true } });
        Object.defineProperty(value, 'constructor', { ...own, value: 'c' });
        // Non-enumerable members, symbol-keyed or not, are not part of the JSON: ignored, not refused.
        Object.defineProperty(value, Symbol('hidden'), { value: 1, enumerable: false });
        Object.defineProperty(value, 'hidden', { value: 1, enumerable: false });
        await s.put('k', value, { collection });
        const got = await s.get('k', { collection });
        equal(got, value, 'get after put');
        ok(got !== undefined && Object.hasOwn(got, '__proto__'), 'a member named __proto__ was lost');
        equal(
          (got as Record<string, unknown>).polluted,
          undefined,
          'a member named __proto__ became the prototype',
        );
        await s.put('k', { replaced: null }, { collection });
        equal(await s.get('k', { collection }), { replaced: null }, 'get after a second put of the same key');
      },
    );

    test(['value.json', 'op.getMany'], 'an empty object is a value, not a miss', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('empty', {}, { collection });
      equal(await s.get('empty', { collection }), {}, 'get of an entry holding {}');
      equal(await s.getMany(['empty'], { collection }), [{}], 'getMany of an entry holding {}');
      equal(
        await s.ttl('empty', { collection }),
        { value: {}, ttl: undefined },
        'ttl of an entry holding {}',
      );
    });

    test(['op.delete'], 'delete returns true for an existing entry and false for a missing one', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      equal(await s.delete('k', { collection }), true, 'delete of an existing entry');
      equal(await s.get('k', { collection }), undefined, 'get after delete');
      equal(await s.delete('k', { collection }), false, 'delete of an entry already deleted');
      equal(await s.delete('never', { collection }), false, 'delete of a key never written');
    });

    test(['collection.default'], `omitting the collection means "${DEFAULT_COLLECTION}"`, async () => {
      const s = await make();
      const key = freshKey('default');
      await s.put(key, { a: 1 });
      equal(
        await s.get(key, { collection: DEFAULT_COLLECTION }),
        { a: 1 },
        'put without collection, get with it',
      );
      equal(await s.ttl(key), { value: { a: 1 }, ttl: undefined }, 'ttl without collection');
      equal(await s.getMany([key]), [{ a: 1 }], 'getMany without collection');
      equal(
        await s.take(key, { collection: DEFAULT_COLLECTION }),
        { a: 1 },
        'take with the default collection',
      );
      equal(await s.get(key), undefined, 'get without collection after take');
      await s.put(key, { b: 2 }, { collection: DEFAULT_COLLECTION });
      equal(await s.putIfAbsent(key, { c: 3 }), false, 'putIfAbsent without collection on an existing entry');
      equal(await s.deleteMany([key]), 1, 'deleteMany without collection');
      equal(await s.putIfAbsent(key, { c: 3 }, {}), true, 'putIfAbsent with {} as options');
      equal(await s.delete(key, {}), true, 'delete with {} as options');
      await s.putMany([[key, { d: 4 }]]);
      equal(
        await s.ttlMany([key]),
        [{ value: { d: 4 }, ttl: undefined }],
        'putMany and ttlMany without collection',
      );
    });

    test(['op.ttl'], 'ttl() of an entry without expiry and of a missing key', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      const result = await s.ttl('k', { collection });
      equal(result, { value: { a: 1 }, ttl: undefined }, 'ttl of an entry without TTL');
      const missing = await s.ttl('missing', { collection });
      equal(missing, { value: undefined, ttl: undefined }, 'ttl of a missing key');
      ok(
        Object.hasOwn(missing, 'value') && Object.hasOwn(missing, 'ttl') && Object.hasOwn(result, 'ttl'),
        'ttl() must return both members, value and ttl, undefined when absent',
      );
    });
  });
}
