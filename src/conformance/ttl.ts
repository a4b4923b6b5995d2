/**
 * Time to live: remaining seconds, clearing an expiry, the accepted range, sub-second TTLs,
 * expired entries invisible to every operation, and cull().
 * @module
 */
import { sleep } from '../backend/kit.js';
import { between, equal, ok, rejects } from './assert.js';
import { allKeys, expiryHint, type SuiteContext } from './context.js';
import { notSupported } from './optional.js';

/** 100 years of 365.25 days, in seconds: the largest TTL the contract accepts. */
const MAX_TTL_SECONDS = 3_155_760_000;

/** Registers this section (inside the suite's `describe`). */
export function describeTtl({ test, describe, make, fresh, slackMs, shared }: SuiteContext): void {
  const late = expiryHint(slackMs);
  describe('time to live', () => {
    test(
      ['ttl.remaining', 'op.ttl', 'ttl.range'],
      'ttl() reports the remaining seconds of the stored expiry; fractions are accepted',
      async () => {
        const s = await make();
        const collection = fresh();
        await s.put('k', { a: 1 }, { collection, ttl: 60 });
        const { value, ttl } = await s.ttl('k', { collection });
        equal(value, { a: 1 }, 'the value ttl() returns');
        between(ttl, 55, 60, 'remaining TTL of an entry put with ttl 60');
        await s.put('half', { a: 1 }, { collection, ttl: 30.5 });
        between(
          (await s.ttl('half', { collection })).ttl,
          25,
          30.5,
          'remaining TTL of an entry put with ttl 30.5',
        );
      },
    );

    test(['ttl.remaining', 'op.ttlMany'], 'ttl() and ttlMany() count down as time passes', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 30 });
      const before = (await s.ttl('k', { collection })).ttl as number;
      await sleep(1200);
      const after = (await s.ttl('k', { collection })).ttl as number;
      const [many] = await s.ttlMany(['k'], { collection });
      between(
        before - after,
        0.7,
        2.5,
        'ttl() 1.2 s later should be about 1.2 s lower (it is the remaining time)',
      );
      between(many?.ttl, after - 0.5, after, 'ttlMany() right after ttl()');
    });

    test(['op.put'], 'a put without TTL clears an earlier expiry', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 60 });
      await s.put('k', { a: 2 }, { collection });
      equal(
        await s.ttl('k', { collection }),
        { value: { a: 2 }, ttl: undefined },
        'ttl() after put without TTL',
      );
      await s.put('k', { a: 3 }, { collection, ttl: 60 });
      between((await s.ttl('k', { collection })).ttl, 55, 60, 'a put with TTL over an entry without one');
    });

    test(['ttl.range'], `the largest TTL (MAX_TTL_SECONDS, ${MAX_TTL_SECONDS} s) is accepted`, async () => {
      const s = await make();
      const collection = fresh();
      await s.put('put', { a: 1 }, { collection, ttl: MAX_TTL_SECONDS });
      await s.putMany([['many', { a: 2 }]], { collection, ttl: MAX_TTL_SECONDS });
      equal(await s.putIfAbsent('pia', { a: 3 }, { collection, ttl: MAX_TTL_SECONDS }), true, 'putIfAbsent');
      for (const r of await s.ttlMany(['put', 'many', 'pia'], { collection })) {
        between(
          r.ttl,
          MAX_TTL_SECONDS - 60,
          MAX_TTL_SECONDS,
          'remaining TTL of an entry put with MAX_TTL_SECONDS',
        );
      }
      await rejects(
        s.put('over', { a: 1 }, { collection, ttl: MAX_TTL_SECONDS + 1 }),
        'INVALID_TTL',
        'put with MAX_TTL_SECONDS + 1',
      );
    });

    test(['ttl.subsecond', 'ttl.range'], 'a sub-second TTL (0.6 s) expires on time', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 0.6 });
      await s.putMany([['m', { a: 2 }]], { collection, ttl: 0.6 });
      const fresh0 = await s.ttl('k', { collection });
      equal(
        fresh0.value,
        { a: 1 },
        'an entry with ttl 0.6 read at once (was the TTL rounded down to nothing?)',
      );
      between(fresh0.ttl, 0, 0.6, 'remaining TTL of an entry put with ttl 0.6 (was it rounded up?)');
      await sleep(600 + slackMs);
      equal(await s.get('k', { collection }), undefined, `an entry with ttl 0.6 read 0.6 s later${late}`);
      equal(
        await s.get('m', { collection }),
        undefined,
        `a putMany entry with ttl 0.6 read 0.6 s later${late}`,
      );
    });

    test(
      ['ttl.expiry', 'op.delete', 'op.deleteMany', 'op.putIfAbsent', 'op.take', 'cap.keys'],
      'an expired entry is invisible to every read and counts as absent',
      async () => {
        const s = await make();
        const collection = fresh();
        await s.putMany(
          ['a', 'b', 'c', 'd', 'e'].map((k, n) => [k, { n }] as const),
          { collection, ttl: 1 },
        );
        await s.put('t', { n: 6 }, { collection, ttl: 1 });
        await s.putIfAbsent('p', { n: 7 }, { collection, ttl: 1 });
        await s.put('keep', { n: 0 }, { collection });
        await s.put('long', { n: 9 }, { collection, ttl: 600 });
        equal(await s.get('a', { collection }), { n: 0 }, 'an entry with ttl 1 read at once');
        await sleep(1000 + slackMs);
        equal(await s.get('a', { collection }), undefined, `get of an expired entry${late}`);
        equal(
          await s.getMany(['b', 'keep', 'long'], { collection }),
          [undefined, { n: 0 }, { n: 9 }],
          `getMany of an expired entry and two live ones${late}`,
        );
        equal(
          await s.ttl('c', { collection }),
          { value: undefined, ttl: undefined },
          `ttl of an expired entry${late}`,
        );
        equal(
          (await s.ttlMany(['c', 't'], { collection })).map((r) => r.value),
          [undefined, undefined],
          `ttlMany of expired entries${late}`,
        );
        equal(await s.take('d', { collection }), undefined, `take of an expired entry${late}`);
        equal(
          await s.delete('e', { collection }),
          false,
          `delete of an expired entry must answer false${late}`,
        );
        equal(
          await s.deleteMany(['t', 'a'], { collection }),
          0,
          `deleteMany of expired entries must count 0${late}`,
        );
        equal(
          await s.putIfAbsent('p', { n: 8 }, { collection }),
          true,
          `putIfAbsent over an expired entry${late}`,
        );
        equal(
          await s.ttl('p', { collection }),
          { value: { n: 8 }, ttl: undefined },
          'the entry putIfAbsent wrote',
        );
        if (s.capabilities.keys) {
          equal(
            (await allKeys(s, collection)).sort(),
            ['keep', 'long', 'p'],
            `keys() lists only live entries${late}`,
          );
        }
      },
      30_000,
    );

    test(
      ['cap.cull', 'cap.not-supported'],
      'cull() deletes expired entries and returns how many',
      async () => {
        const s = await make();
        const collection = fresh();
        if (!s.capabilities.cull) {
          await notSupported(s.cull(), 'cull');
          return;
        }
        await s.putMany(
          [
            ['x', { n: 1 }],
            ['y', { n: 2 }],
            ['z', { n: 3 }],
          ],
          { collection, ttl: 0.3 },
        );
        await s.put('keep', { n: 0 }, { collection });
        await s.put('long', { n: 9 }, { collection, ttl: 600 });
        await sleep(300 + slackMs);
        const culled = await s.cull();
        ok(Number.isInteger(culled) && culled >= 0, `cull() must return a count, got ${String(culled)}`);
        if (!shared) {
          // One instance, one backing: at most the three entries that expired are there to cull
          // (fewer when the backend or a timer removed some already), and nothing right after.
          between(culled, 0, 3, 'cull() after three entries expired on a store nobody else writes to');
          equal(await s.cull(), 0, 'a second cull() right after the first');
        }
        equal(
          await s.getMany(['keep', 'long', 'x'], { collection }),
          [{ n: 0 }, { n: 9 }, undefined],
          'cull() keeps live entries',
        );
      },
    );
  });
}
