/**
 * Persistence and sharing: entries survive close() and a new store, and two live stores see each
 * other's writes.
 * @module
 */
import { between, equal, fail } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describePersistence({
  test,
  skipped,
  describe,
  make,
  fresh,
  persistent,
  shared,
  expectShared,
}: SuiteContext): void {
  describe('persistence and sharing', () => {
    const survive = 'entries survive close() and a new store on the same backing';
    if (!persistent) skipped(['backing.persistent'], survive, 'persistent is false');
    else {
      test(['backing.persistent'], survive, async () => {
        const collection = fresh();
        const first = await make();
        await first.put('forever', { a: 1 }, { collection });
        await first.put('for-a-while', { b: 2 }, { collection, ttl: 600 });
        await first.close();
        const second = await make();
        const got = await second.get('forever', { collection });
        if (got === undefined) {
          fail(
            'A new store from createStore() does not see what a closed one wrote. persistent: true says data ' +
              'survives close(); for a store that keeps nothing after close() (an in-memory one), set ' +
              'persistent: false, and make sure every createStore() call opens the same backing.',
          );
        }
        equal(got, { a: 1 }, 'the entry written before close()');
        const { value, ttl } = await second.ttl('for-a-while', { collection });
        equal(value, { b: 2 }, 'the entry with a TTL written before close()');
        between(ttl, 500, 600, 'its remaining TTL after close() and reopen');
      });
    }
    const live = 'a second live instance sees writes and deletes at once';
    if (!shared) skipped(['backing.shared'], live, 'sharedBacking is false');
    else {
      test(['backing.shared'], live, async () => {
        const collection = fresh();
        const a = await make();
        const b = await make();
        await expectShared(a, b);
        await a.put('k', { from: 'a' }, { collection });
        equal(await b.get('k', { collection }), { from: 'a' }, 'a write on one instance read on the other');
        equal(await b.delete('k', { collection }), true, 'delete on the other instance');
        equal(await a.get('k', { collection }), undefined, 'get on the first instance after the delete');
        await b.put('k', { from: 'b' }, { collection, ttl: 100 });
        between(
          (await a.ttl('k', { collection })).ttl,
          90,
          100,
          'the TTL written on one instance seen on the other',
        );
      });
    }
  });
}
