/**
 * A large value (1 MiB by default) round-trips.
 * @module
 */
import { describeError, equal, fail } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeLargeValue({ test, make, fresh, largeValueBytes, timeout }: SuiteContext): void {
  test(
    ['value.json'],
    'a large value (1 MiB) round-trips',
    async () => {
      const s = await make();
      const collection = fresh();
      const value = {
        blob: 'x'.repeat(largeValueBytes),
        items: Array.from({ length: 1000 }, (_, i) => ({ i, s: `v${i}` })),
      };
      try {
        await s.put('big', value, { collection });
      } catch (err) {
        fail(
          `A value of ${largeValueBytes} bytes was refused (${describeError(err)}). If the backend holds ` +
            'less per entry, set largeValueBytes to a size it holds.',
        );
      }
      equal(await s.get('big', { collection }), value, `get of a ${largeValueBytes}-byte value`);
    },
    Math.max(timeout, 60_000),
  );
}
