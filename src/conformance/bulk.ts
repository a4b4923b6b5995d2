/**
 * The bulk operations: getMany, putMany, deleteMany and ttlMany, in key order, with duplicates and
 * missing keys, and calls larger than a backend's internal batch.
 * @module
 */
import type { JsonObject } from '../contract.js';
import { between, equal, ok } from './assert.js';
import { allKeys, type SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeBulk({ test, describe, make, fresh, bulkSize, timeout }: SuiteContext): void {
  describe('bulk operations', () => {
    test(
      ['op.getMany', 'value.copies'],
      'getMany returns values in key order, with duplicates and undefined for missing keys',
      async () => {
        const s = await make();
        const collection = fresh();
        await s.put('a', { v: 'a' }, { collection });
        await s.put('b', { v: 'b' }, { collection });
        const got = await s.getMany(['b', 'missing', 'a', 'b'], { collection });
        equal(got, [{ v: 'b' }, undefined, { v: 'a' }, { v: 'b' }], 'getMany([b, missing, a, b])');
        (got[0] as JsonObject).v = 'mutated';
        equal(
          got[3],
          { v: 'b' },
          'a duplicate position must be its own object (mutating the first changed it)',
        );
        // The shortest list with a duplicate: a backend that batches reads may count on distinct keys.
        const pair = await s.getMany(['a', 'a'], { collection });
        equal(pair, [{ v: 'a' }, { v: 'a' }], 'getMany([a, a])');
        ok(pair[0] !== pair[1], 'getMany([a, a]) returned one object at both positions');
        equal(await s.getMany([], { collection }), [], 'getMany([])');
      },
    );

    test(
      ['op.putMany'],
      'putMany writes every entry, a later duplicate wins, and an empty batch is a no-op',
      async () => {
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
        equal(
          await s.getMany(['a', 'b'], { collection }),
          [{ n: 3 }, { n: 2 }],
          'after putMany with a duplicate',
        );
        await s.putMany([], { collection });
        equal(await s.getMany(['a', 'b'], { collection }), [{ n: 3 }, { n: 2 }], 'after putMany([])');
      },
    );

    test(['op.putMany', 'op.ttlMany'], 'putMany applies one TTL to the batch', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('b', { n: 0 }, { collection });
      await s.putMany(
        [
          ['a', { n: 1 }],
          ['b', { n: 2 }],
        ],
        { collection, ttl: 120 },
      );
      for (const [i, r] of (await s.ttlMany(['a', 'b'], { collection })).entries()) {
        between(r.ttl, 100, 120, `remaining TTL of entry ${i} of a putMany with ttl 120`);
      }
      await s.putMany([['a', { n: 3 }]], { collection });
      equal(
        await s.ttl('a', { collection }),
        { value: { n: 3 }, ttl: undefined },
        'putMany without TTL clears it',
      );
    });

    test(
      ['op.deleteMany'],
      'deleteMany counts each existing entry once and ignores missing keys',
      async () => {
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
        equal(
          await s.deleteMany(['a', 'a', 'missing', 'b'], { collection }),
          2,
          'deleteMany([a, a, missing, b])',
        );
        equal(
          await s.getMany(['a', 'b', 'c'], { collection }),
          [undefined, undefined, { n: 3 }],
          'getMany after deleteMany',
        );
        equal(await s.deleteMany(['c', 'c'], { collection }), 1, 'deleteMany([c, c]) of one entry');
        equal(await s.deleteMany([], { collection }), 0, 'deleteMany([])');
        equal(await s.deleteMany(['a', 'b'], { collection }), 0, 'deleteMany of keys already deleted');
      },
    );

    test(['op.ttlMany'], 'ttlMany returns results in key order', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('a', { n: 1 }, { collection, ttl: 300 });
      await s.put('b', { n: 2 }, { collection });
      const [a, missing, b, again] = await s.ttlMany(['a', 'missing', 'b', 'a'], { collection });
      equal(a?.value, { n: 1 }, 'ttlMany value of a');
      between(a?.ttl, 250, 300, 'ttlMany remaining TTL of a');
      equal(missing, { value: undefined, ttl: undefined }, 'ttlMany of a missing key');
      equal(b, { value: { n: 2 }, ttl: undefined }, 'ttlMany of an entry without TTL');
      equal(again?.value, { n: 1 }, 'ttlMany of a duplicate key');
      equal(await s.ttlMany([], { collection }), [], 'ttlMany([])');
    });

    test(
      ['op.bulk-size'],
      `bulk calls of ${bulkSize} keys (above a backend's batch size) keep order, TTLs and counts`,
      async () => {
        const s = await make();
        const collection = fresh();
        const keys = Array.from({ length: bulkSize }, (_, i) => `bulk-${String(i).padStart(5, '0')}`);
        await s.putMany(
          keys.map((k, i) => [k, { i }] as const),
          { collection, ttl: 600 },
        );
        const asked = [...keys].reverse();
        asked.splice(7, 0, 'missing');
        const got = await s.getMany(asked, { collection });
        const want = asked.map((k) => (k === 'missing' ? undefined : { i: Number(k.slice(5)) }));
        equal(got, want, `getMany of ${asked.length} keys, reversed, one missing`);
        const ttls = await s.ttlMany(keys, { collection });
        ok(ttls.length === keys.length, `ttlMany of ${keys.length} keys returned ${ttls.length} results`);
        for (const [i, r] of ttls.entries()) {
          if (!(r.value?.i === i && typeof r.ttl === 'number' && r.ttl > 500 && r.ttl <= 600)) {
            equal(r, { value: { i }, ttl: '500..600' }, `ttlMany position ${i} of ${keys.length}`);
          }
        }
        if (s.capabilities.keys) {
          const listed = await allKeys(s, collection, 500);
          equal(listed.sort(), keys, `keys() of a collection of ${keys.length} entries, pages of 500`);
        }
        equal(
          await s.deleteMany([...keys, ...keys.slice(0, 10)], { collection }),
          keys.length,
          'deleteMany count',
        );
        ok(
          (await s.getMany(keys, { collection })).every((v) => v === undefined),
          'an entry survived deleteMany',
        );
      },
      Math.max(timeout, 60_000),
    );
  });
}
