/**
 * A large value (1 MiB by default) round-trips.
 * @module
 */
import { expect, test } from 'vitest';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeLargeValue({ make, fresh, largeValueBytes }: SuiteContext): void {
  test('a large value (1 MiB) round-trips', async () => {
    const s = await make();
    const collection = fresh();
    const value = {
      blob: 'x'.repeat(largeValueBytes),
      items: Array.from({ length: 1000 }, (_, i) => ({ i, s: `v${i}` })),
    };
    await s.put('big', value, { collection });
    expect(await s.get('big', { collection })).toEqual(value);
  }, 60_000);
}
