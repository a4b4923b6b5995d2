/**
 * The optional capabilities keys(), collections() and destroyCollection(), or NotSupportedError where
 * a store does not announce one.
 * @module
 */
import { sleep } from '../backend/kit.js';
import type { KeysPage } from '../contract.js';
import { equal, ok, rejects } from './assert.js';
import { allKeys, expiryHint, type SuiteContext } from './context.js';

/** `promise` rejects with NotSupportedError whose message names the operation. */
export async function notSupported(promise: Promise<unknown>, operation: string): Promise<void> {
  const err = await rejects(
    promise,
    'NOT_SUPPORTED',
    `${operation}() on a store without capabilities.${operation}`,
  );
  ok(err.message.includes(operation), `the NotSupportedError of ${operation}() must name it: ${err.message}`);
}

/** Registers this section (inside the suite's `describe`). */
export function describeOptional({ test, describe, make, fresh, slackMs }: SuiteContext): void {
  describe('optional capabilities', () => {
    test(
      ['cap.keys', 'cap.not-supported'],
      'keys() pages through a collection without duplicates or omissions',
      async () => {
        const s = await make();
        const collection = fresh();
        if (!s.capabilities.keys) {
          await notSupported(s.keys(collection), 'keys');
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
          const page: KeysPage = await s.keys(collection, { limit: 10, cursor });
          ok(
            page.cursor === undefined || page.cursor !== cursor,
            'keys() answered the cursor it was given: paging never ends',
          );
          ok(page.keys.length <= 10, `a keys() page with limit 10 held ${page.keys.length} keys`);
          seen.push(...page.keys);
          cursor = page.cursor;
          pages++;
          ok(pages < 100, 'keys() never returned a final page (cursor never undefined)');
        } while (cursor !== undefined);
        equal(new Set(seen).size, seen.length, 'keys() listed a key twice');
        equal(seen.sort(), [...written].sort(), 'the keys listed by keys() pages of 10');
        ok(pages >= 3, `25 keys in pages of 10 came in ${pages} page(s)`);
        equal(await s.keys(fresh()), { keys: [], cursor: undefined }, 'keys() of an empty collection');
        const all = await s.keys(collection);
        equal([...all.keys].sort(), [...written].sort(), 'keys() without options (default limit)');
      },
    );

    test(
      ['cap.keys'],
      'keys() lists exactly the live keys after overwrites, deletes, takes and expiry, in pages of any size',
      async (ctx) => {
        const s = await make();
        if (!s.capabilities.keys) ctx.skip('the store does not announce capabilities.keys');
        const collection = fresh();
        const name = (i: number) => `k${String(i).padStart(4, '0')}`;
        // 1100 keys (more than a backend's internal chunk or batch), written in a scrambled order.
        const n = 1100;
        const order = Array.from({ length: n }, (_, i) => (i * 389) % n);
        for (let i = 0; i < n; i += 275) {
          await s.putMany(
            order.slice(i, i + 275).map((k) => [name(k), { k }] as const),
            { collection },
          );
        }
        const live = new Set(order.map(name));
        // A run of 600 neighbours deleted at once, then single deletes, takes and overwrites.
        const run = Array.from({ length: 600 }, (_, i) => name(300 + i));
        equal(await s.deleteMany(run, { collection }), 600, 'deleteMany of 600 neighbouring keys');
        for (const k of run) live.delete(k);
        for (let i = 0; i < 300; i += 9) {
          await s.delete(name(i), { collection });
          live.delete(name(i));
        }
        for (let i = 1; i < 300; i += 11) {
          await s.take(name(i), { collection });
          live.delete(name(i));
        }
        for (let i = 905; i < n; i += 5) await s.put(name(i), { again: i }, { collection });
        // Entries that expire: new keys, overwrites of live keys, and a deleted key written again.
        // (Overwrites far apart too: 150 and 950 share no neighbourhood with the other expiring keys.)
        const expiring = [
          name(2000),
          name(2001),
          name(1003),
          name(1004),
          name(1005),
          name(310),
          name(150),
          name(950),
        ];
        for (const k of expiring) {
          await s.put(k, { soon: true }, { collection, ttl: 0.3 });
          live.delete(k);
        }
        for (const k of [name(400), name(401), name(3000)]) {
          await s.put(k, { back: true }, { collection });
          live.add(k);
        }
        await sleep(300 + slackMs);
        const expected = [...live].sort();
        for (const limit of [7, 100, 256, 1000]) {
          equal([...(await allKeys(s, collection, limit))].sort(), expected, `keys() in pages of ${limit}`);
        }

        // Paging while deleting each page after reading it (a purge): every key once, then nothing.
        const purged: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page: KeysPage = await s.keys(collection, { limit: 50, cursor });
          purged.push(...page.keys);
          await s.deleteMany(page.keys, { collection });
          cursor = page.cursor;
          ok(++pages < 10_000, 'keys() never returned a final page while its pages were deleted');
        } while (cursor !== undefined);
        equal(purged.sort(), expected, 'the keys listed while each page was deleted after it was read');
        equal(await s.keys(collection), { keys: [], cursor: undefined }, 'keys() of the purged collection');

        // A cursor whose key, and every key after it, was deleted since: an empty last page (in a
        // collection of its own, where no expired entry may still sort after the cursor).
        const tail = fresh('tail');
        await s.putMany(
          ['a', 'b', 'c', 'd'].map((k) => [k, { k }] as const),
          { collection: tail },
        );
        const first = await s.keys(tail, { limit: 2 });
        ok(first.cursor !== undefined, 'a page of 2 of 4 keys must have a cursor');
        const rest = ['a', 'b', 'c', 'd'].filter((k) => !first.keys.slice(0, 1).includes(k));
        await s.deleteMany(rest, { collection: tail });
        equal(
          await allKeys(s, tail, 2, first.cursor),
          [],
          'keys() past a cursor whose key and every later key were deleted',
        );
      },
    );

    test(
      ['cap.keys', 'cap.destroyCollection', 'cap.collections', 'names.distinct', 'no-flush'],
      'collections whose names share a prefix stay apart in keys(), destroyCollection() and collections()',
      async () => {
        const s = await make();
        const c = fresh('prefix');
        const others = [`${c}2`, `${c}:x`, `${c}/x`, `${c}::x`, `${c}_`, `${c}*`];
        await s.put('own', { own: true }, { collection: c });
        await Promise.all(others.map((o, i) => s.put(`in-${i}`, { i }, { collection: o })));
        if (s.capabilities.keys) equal(await allKeys(s, c), ['own'], `keys(${JSON.stringify(c)})`);
        if (s.capabilities.destroyCollection) {
          equal(await s.destroyCollection(c), true, 'destroyCollection of a collection holding an entry');
          for (const [i, o] of others.entries()) {
            equal(await s.get(`in-${i}`, { collection: o }), { i }, `${o} after destroyCollection(${c})`);
          }
          if (s.capabilities.collections) {
            const listed = await s.collections();
            ok(!listed.includes(c), `collections() still lists ${c} after destroyCollection()`);
            for (const o of others)
              ok(listed.includes(o), `collections() lost ${o} after destroyCollection(${c})`);
          }
        }
      },
    );

    test(
      ['cap.collections', 'cap.not-supported'],
      'collections() lists collections that hold entries',
      async () => {
        const s = await make();
        const one = fresh();
        const two = fresh();
        if (!s.capabilities.collections) {
          await notSupported(s.collections(), 'collections');
          return;
        }
        await s.put('k', { a: 1 }, { collection: one });
        await s.putMany([['k', { a: 1 }]], { collection: two });
        const listed = await s.collections();
        ok(listed.includes(one) && listed.includes(two), 'collections() must list both collections written');
        ok(!listed.includes(fresh()), 'collections() lists a collection never written');
        equal(new Set(listed).size, listed.length, 'collections() listed a collection twice');
      },
    );

    test(
      ['cap.collections'],
      'collections() forgets a collection once its last entry is deleted, taken or expired',
      async (ctx) => {
        const s = await make();
        if (!s.capabilities.collections) ctx.skip('the store does not announce capabilities.collections');
        const [deleted, taken, many, expired, kept, mixed] = [
          'del',
          'take',
          'many',
          'exp',
          'kept',
          'mixed',
        ].map((l) => fresh(l)) as [string, string, string, string, string, string];
        await s.put('k', { a: 1 }, { collection: deleted });
        await s.put('k', { a: 1 }, { collection: taken });
        await s.putMany(
          [
            ['k', { a: 1 }],
            ['j', { a: 2 }],
          ],
          { collection: many },
        );
        await s.put('k', { a: 1 }, { collection: expired, ttl: 0.3 });
        await s.put('k', { a: 1 }, { collection: kept });
        await s.put('j', { a: 1 }, { collection: kept, ttl: 0.3 });
        await s.put('k', { a: 1 }, { collection: mixed });
        await s.put('j', { a: 1 }, { collection: mixed, ttl: 0.3 });
        await s.delete('k', { collection: deleted });
        await s.take('k', { collection: taken });
        await s.deleteMany(['k', 'j'], { collection: many });
        await sleep(300 + slackMs);
        if (s.capabilities.destroyCollection) {
          // Before collections(), which may sweep expired entries away first.
          equal(
            await s.destroyCollection(mixed),
            true,
            'destroyCollection of a collection with a live and an expired entry',
          );
        }
        const listed = await s.collections();
        for (const [how, c] of [
          ['deleted', deleted],
          ['taken', taken],
          ['deleted by deleteMany', many],
        ] as const) {
          ok(!listed.includes(c), `collections() still lists a collection whose last entry was ${how}`);
        }
        ok(
          !listed.includes(expired),
          `collections() still lists a collection whose last entry expired${expiryHint(slackMs)}`,
        );
        ok(listed.includes(kept), 'collections() lost a collection that still holds a live entry');
        ok(!listed.includes(mixed), 'collections() lists a destroyed collection');
      },
    );

    test(
      ['cap.destroyCollection', 'cap.not-supported', 'no-flush'],
      'destroyCollection() deletes one collection and nothing else',
      async () => {
        const s = await make();
        const doomed = fresh();
        const kept = fresh();
        if (!s.capabilities.destroyCollection) {
          await notSupported(s.destroyCollection(doomed), 'destroyCollection');
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
        equal(await s.destroyCollection(doomed), true, 'destroyCollection of a collection holding entries');
        equal(
          await s.getMany(['a', 'b'], { collection: doomed }),
          [undefined, undefined],
          'its entries afterwards',
        );
        equal(await s.get('a', { collection: kept }), { n: 3 }, 'the same key in another collection');
        equal(
          await s.destroyCollection(doomed),
          false,
          'destroyCollection of a collection already destroyed',
        );
        equal(await s.destroyCollection(fresh()), false, 'destroyCollection of a collection never written');
        if (s.capabilities.collections)
          ok(!(await s.collections()).includes(doomed), 'collections() lists it still');
        await s.put('a', { n: 4 }, { collection: doomed });
        equal(await s.get('a', { collection: doomed }), { n: 4 }, 'a write to a destroyed collection');
      },
    );
  });
}
