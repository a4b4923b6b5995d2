/**
 * The bulk operations: getMany, putMany, deleteMany and ttlMany, in key order, with duplicates and
 * missing keys, and calls larger than a backend's internal batch.
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { between, equal, ok } from './assert.js';
import type { ClauseId } from './clauses.js';
import { allKeys, type SuiteContext } from './context.js';

/** The keys the ordered reads ask for: a duplicate and a missing key among them. */
const ASKED = ['b', 'missing', 'a', 'b'];

/** An ordered bulk read: its clauses and test name, how to call it, and what it must answer. */
interface OrderedRead {
  readonly op: 'getMany' | 'ttlMany';
  readonly clauses: readonly ClauseId[];
  readonly name: string;
  run(s: AsyncKeyValue, keys: readonly string[], collection: string): Promise<unknown[]>;
  /**
   * Checks the answer to {@link ASKED} (`a` holds `{ v: 'a' }` with a 300 s TTL, `b` `{ v: 'b' }`);
   * `again` reads other keys the same way.
   */
  check(got: unknown[], again: (keys: readonly string[]) => Promise<unknown[]>): void | Promise<void>;
}

const ORDERED_READS: readonly OrderedRead[] = [
  {
    op: 'getMany',
    clauses: ['op.getMany', 'value.copies'],
    name: 'getMany returns values in key order, with duplicates and undefined for missing keys',
    run: (s, keys, collection) => s.getMany(keys, { collection }),
    async check(got, again) {
      equal(got, [{ v: 'b' }, undefined, { v: 'a' }, { v: 'b' }], 'getMany([b, missing, a, b])');
      (got[0] as JsonObject).v = 'mutated';
      equal(
        got[3],
        { v: 'b' },
        'a duplicate position must be its own object (mutating the first changed it)',
      );
      // The shortest list with a duplicate: a backend that batches reads may count on distinct keys.
      const pair = await again(['a', 'a']);
      equal(pair, [{ v: 'a' }, { v: 'a' }], 'getMany([a, a])');
      ok(pair[0] !== pair[1], 'getMany([a, a]) returned one object at both positions');
    },
  },
  {
    op: 'ttlMany',
    clauses: ['op.ttlMany'],
    name: 'ttlMany returns results in key order',
    run: (s, keys, collection) => s.ttlMany(keys, { collection }),
    check(got) {
      const [b, missing, a, again] = got as { value: JsonObject | undefined; ttl: number | undefined }[];
      equal(b, { value: { v: 'b' }, ttl: undefined }, 'ttlMany of an entry without TTL');
      equal(missing, { value: undefined, ttl: undefined }, 'ttlMany of a missing key');
      equal(a?.value, { v: 'a' }, 'ttlMany value of a');
      between(a?.ttl, 250, 300, 'ttlMany remaining TTL of a');
      equal(again, { value: { v: 'b' }, ttl: undefined }, 'ttlMany of a duplicate key');
    },
  },
];

/** Registers this section (inside the suite's `describe`). */
export function describeBulk({ test, describe, make, fresh, bulkSize, timeout }: SuiteContext): void {
  describe('bulk operations', () => {
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

    // getMany and ttlMany: one shape, one table. Both read the same keys, a duplicate and a
    // missing one among them, and must answer position by position.
    for (const read of ORDERED_READS) {
      test(read.clauses, read.name, async () => {
        const s = await make();
        const collection = fresh();
        await s.put('a', { v: 'a' }, { collection, ttl: 300 });
        await s.put('b', { v: 'b' }, { collection });
        await read.check(await read.run(s, ASKED, collection), (keys) => read.run(s, keys, collection));
        equal(await read.run(s, [], collection), [], `${read.op}([])`);
      });
    }

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
