/**
 * take and putIfAbsent: their single-caller results, and exactly-once under concurrent callers on two
 * store instances.
 * @module
 */
import { between, equal, fail } from './assert.js';
import type { SuiteContext } from './context.js';

/** `work`, or a failure naming `raceTimeoutMs` when it takes longer than `ms`. */
export async function withinRace<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        fail(
          `${what} did not finish within raceTimeoutMs (${ms} ms); raise raceTimeoutMs for a backend that serializes contending transactions slowly`,
        );
      } catch (err) {
        reject(err);
      }
    }, ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Registers this section (inside the suite's `describe`). */
export function describeAtomic({
  test,
  describe,
  make,
  fresh,
  shared,
  raceTimeout,
  expectShared,
}: SuiteContext): void {
  const sharedNote = shared ? 'across two store instances' : 'on one store instance (sharedBacking: false)';
  describe('take and putIfAbsent', () => {
    test(['op.take'], 'take returns the value once and removes it', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('code', { client_id: 'c1' }, { collection, ttl: 300 });
      equal(await s.take('code', { collection }), { client_id: 'c1' }, 'the first take');
      equal(await s.take('code', { collection }), undefined, 'a second take of the same key');
      equal(await s.get('code', { collection }), undefined, 'get after take');
      equal(await s.take('never', { collection }), undefined, 'take of a key never written');
    });

    test(['op.putIfAbsent'], 'putIfAbsent writes only when absent', async () => {
      const s = await make();
      const collection = fresh();
      equal(await s.putIfAbsent('k', { v: 1 }, { collection, ttl: 300 }), true, 'putIfAbsent of a new key');
      equal(await s.putIfAbsent('k', { v: 2 }, { collection }), false, 'putIfAbsent of an existing key');
      const { value, ttl } = await s.ttl('k', { collection });
      equal(value, { v: 1 }, 'the value after a refused putIfAbsent');
      between(ttl, 250, 300, 'the TTL after a refused putIfAbsent (it must not change either)');
      await s.delete('k', { collection });
      equal(await s.putIfAbsent('k', { v: 3 }, { collection }), true, 'putIfAbsent after delete');
    });

    test(
      ['op.take', 'cap.atomic'],
      'take is exactly-once under 50 concurrent callers per key across two store instances',
      async (ctx) => {
        const a = await make();
        if (!a.capabilities.atomic) ctx.skip('the store announces capabilities.atomic = false');
        const b = shared ? await make() : a;
        if (shared) await expectShared(a, b);
        const collection = fresh();
        const keys = ['code-1', 'code-2', 'code-3'];
        await a.putMany(
          keys.map((k) => [k, { code: k }] as const),
          { collection, ttl: 300 },
        );
        // The keys race at the same time: 150 concurrent takes, 50 on each key.
        const perKey = await withinRace(
          Promise.all(
            keys.map((key) =>
              Promise.all(
                Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take(key, { collection })),
              ),
            ),
          ),
          raceTimeout,
          '150 concurrent takes',
        );
        for (const [i, results] of perKey.entries()) {
          const winners = results.filter((r) => r !== undefined);
          if (winners.length !== 1) {
            fail(
              `${winners.length} of 50 concurrent take() calls ${sharedNote} got the value of ${keys[i]}: ` +
                (winners.length > 1
                  ? 'take() is not atomic (callers read the entry before one of them removed it)'
                  : 'nobody got it'),
              { actual: winners, expected: [{ code: keys[i] }] },
            );
          }
          equal(winners, [{ code: keys[i] }], `the value the winning take of ${keys[i]} got`);
        }
      },
      raceTimeout + 10_000,
    );

    test(
      ['op.putIfAbsent', 'cap.atomic'],
      'putIfAbsent is exactly-once under 50 concurrent callers per key across two store instances',
      async (ctx) => {
        const a = await make();
        if (!a.capabilities.atomic) ctx.skip('the store announces capabilities.atomic = false');
        const b = shared ? await make() : a;
        if (shared) await expectShared(a, b);
        const collection = fresh();
        const keys = ['k1', 'k2', 'k3'];
        const perKey = await withinRace(
          Promise.all(
            keys.map((key) =>
              Promise.all(
                Array.from({ length: 50 }, (_, i) =>
                  (i % 2 === 0 ? a : b).putIfAbsent(key, { writer: i }, { collection, ttl: 300 }),
                ),
              ),
            ),
          ),
          raceTimeout,
          '150 concurrent putIfAbsent calls',
        );
        for (const [k, results] of perKey.entries()) {
          const winners = results.flatMap((won, i) => (won ? [i] : []));
          if (winners.length !== 1) {
            fail(
              `${winners.length} of 50 concurrent putIfAbsent() calls ${sharedNote} answered true for ${keys[k]}: ` +
                (winners.length > 1
                  ? 'putIfAbsent() is not atomic (check and write are separate steps)'
                  : 'none wrote'),
              { actual: winners.length, expected: 1 },
            );
          }
          equal(
            await b.get(keys[k] as string, { collection }),
            { writer: winners[0] },
            `the value of ${keys[k]}: the winner's`,
          );
        }
      },
      raceTimeout + 10_000,
    );
  });
}
