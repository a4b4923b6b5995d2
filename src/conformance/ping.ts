/**
 * ping(): every store answers it while it is open (after close() it is refused like every other
 * operation: the close() section checks that).
 * @module
 */
import { equal } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describePing({ test, describe, make, fresh }: SuiteContext): void {
  describe('ping()', () => {
    test(['op.ping'], 'ping() resolves on an open store, before and after it was used', async () => {
      const s = await make();
      equal(await s.ping(), undefined, 'ping() of a new store (it resolves with nothing)');
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      equal(await s.ping(), undefined, 'ping() after a write');
      equal(await s.get('k', { collection }), { a: 1 }, 'the entry written before ping()');
    });
  });
}
