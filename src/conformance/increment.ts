/**
 * The optional atomic counter `increment`: its single-caller results, its expiry rule, its refusal
 * of a value that is not a counter, and exact totals under concurrent callers on two store
 * instances. A store that does not announce `capabilities.increment` must refuse it with
 * `NotSupportedError` (or not have the method).
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { between, equal, fail, ok } from './assert.js';
import { withinRace } from './atomic.js';
import { refused } from './bad-input.js';
import type { SuiteContext } from './context.js';
import { notSupported } from './optional.js';
import type { ConformanceTestContext } from './runner.js';

type Increment = NonNullable<AsyncKeyValue['increment']>;

/**
 * The store's increment when it announces the capability; otherwise checks that a method it has
 * anyway refuses with NOT_SUPPORTED, and skips the test.
 */
async function counting(
  s: AsyncKeyValue,
  collection: string,
  ctx: ConformanceTestContext,
): Promise<Increment> {
  if (s.capabilities.increment === true) {
    if (typeof s.increment !== 'function') {
      fail('the store announces capabilities.increment but has no increment() method');
    }
    return s.increment.bind(s);
  }
  if (s.increment !== undefined) await notSupported(s.increment('n', 1, { collection }), 'increment');
  return ctx.skip('the store announces no increment capability');
}

/** The refusal's first issue has `path` and a message. */
function issueAt(err: Error, path: string, what: string): void {
  const issue = (err as { issues?: ReadonlyArray<{ message?: unknown; path?: unknown }> }).issues?.[0];
  equal(issue?.path, path, `${what}: issues[0].path`);
  ok(typeof issue?.message === 'string' && issue.message !== '', `${what}: issues[0] has no message`);
}

/** Registers this section (inside the suite's `describe`). */
export function describeIncrement({
  test,
  freshKey,
  describe,
  make,
  fresh,
  shared,
  slackMs,
  raceTimeout,
}: SuiteContext): void {
  describe('increment', () => {
    test(
      ['cap.increment'],
      'increment creates a counter, adds to it and keeps the expiry it was created with',
      async (ctx) => {
        const s = await make();
        const collection = fresh();
        const increment = await counting(s, collection, ctx);
        equal(await increment('hits', 1, { collection, ttl: 300 }), 1, 'the first increment by 1');
        equal(await increment('hits', 4, { collection, ttl: 5 }), 5, 'an increment by 4');
        equal(await increment('hits', -2, { collection }), 3, 'an increment by -2');
        equal(await increment('other', undefined, { collection }), 1, 'an increment with no step (1)');
        const plain = freshKey('counter');
        equal(await increment(plain), 1, 'an increment with no step and no options (default collection)');
        equal(await s.get(plain), { count: 1 }, 'the counter in the default collection');
        const { value, ttl } = await s.ttl('hits', { collection });
        equal(value, { count: 3 }, 'the counter read with ttl()');
        between(ttl, 250, 300, 'the counter TTL (a later increment with another ttl must not change it)');
        equal(
          (await s.ttl('other', { collection })).ttl,
          undefined,
          'the TTL of a counter created without one',
        );
      },
    );

    test(['cap.increment', 'ttl.expiry'], 'an expired counter starts again', async (ctx) => {
      const s = await make();
      const collection = fresh();
      const increment = await counting(s, collection, ctx);
      equal(await increment('window', 2, { collection, ttl: 1 }), 2, 'the first increment');
      await new Promise((r) => setTimeout(r, 1000 + slackMs));
      equal(
        await increment('window', 1, { collection, ttl: 300 }),
        1,
        'an increment of an expired counter (it starts again from the step)',
      );
      between((await s.ttl('window', { collection })).ttl, 250, 300, 'the TTL of the counter created again');
    });

    test(
      ['cap.increment-refused'],
      'increment refuses a value that is not a counter, and a bad step, writing nothing',
      async (ctx) => {
        const s = await make();
        const collection = fresh();
        const increment = await counting(s, collection, ctx);
        await s.put('doc', { count: 'seven', keep: true }, { collection });
        issueAt(
          await refused(
            increment('doc', 1, { collection }),
            'VALIDATION_ERROR',
            'increment of a value that is not a counter',
          ),
          '$.count',
          'increment of a value that is not a counter',
        );
        equal(
          await s.get('doc', { collection }),
          { count: 'seven', keep: true },
          'the value after the refused increment',
        );
        const step = await refused(
          increment('n', 1.5, { collection }),
          'VALIDATION_ERROR',
          'increment by 1.5',
        );
        issueAt(step, 'by', 'increment by 1.5');
        await refused(increment('', 1, { collection }), 'INVALID_KEY', 'increment of the empty key', 'key');
        equal(await s.get('n', { collection }), undefined, 'the key of the refused increment');
      },
    );

    test(
      ['cap.increment-atomic'],
      `increment counts exactly under 100 concurrent callers ${shared ? 'across two store instances' : 'on one store instance (sharedBacking: false)'}`,
      async (ctx) => {
        const a = await make();
        const collection = fresh();
        await counting(a, collection, ctx);
        const b = shared ? await make() : a;
        const results = await withinRace(
          Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              (i % 2 === 0 ? a : b).increment!('rate', 1, { collection, ttl: 300 }),
            ),
          ),
          raceTimeout,
          '100 concurrent increments',
        );
        // Every caller saw a distinct count: no increment was lost or doubled.
        equal(
          [...results].sort((x, y) => x - y),
          Array.from({ length: 100 }, (_, i) => i + 1),
          'the counts 100 concurrent increments answered (each of 1..100 once)',
        );
        equal(await b.get('rate', { collection }), { count: 100 }, 'the counter after 100 increments');
      },
      raceTimeout,
    );
  });
}
