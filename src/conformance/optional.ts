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
