/**
 * Copy semantics: no value passed in or handed out is shared with what the store keeps.
 * @module
 */
import { describe, expect, test } from 'vitest';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeCopy({ make, fresh }: SuiteContext): void {
  describe('copy semantics', () => {
    test('mutating the object passed to put, or returned by a read, never changes what is stored', async () => {
      const s = await make();
      const collection = fresh();
      const value = { list: [1, 2], inner: { x: 'y' } };
      await s.put('k', value, { collection });
      value.list.push(3);
      value.inner.x = 'changed';
      const first = (await s.get('k', { collection })) as { list: number[]; inner: { x: string } };
      expect(first).toEqual({ list: [1, 2], inner: { x: 'y' } });
      first.list.push(99);
      first.inner.x = 'changed again';
      expect(await s.get('k', { collection })).toEqual({ list: [1, 2], inner: { x: 'y' } });
      const [many] = (await s.getMany(['k'], { collection })) as [{ list: number[] }];
      many.list.length = 0;
      expect((await s.ttl('k', { collection })).value).toEqual({ list: [1, 2], inner: { x: 'y' } });
    });

    test('mutating a value after putMany or putIfAbsent never changes what is stored', async () => {
      const s = await make();
      const collection = fresh();
      const a = { n: [1] };
      const b = { n: [2] };
      await s.putMany([['a', a]], { collection });
      await s.putIfAbsent('b', b, { collection });
      a.n.push(10);
      b.n.push(20);
      expect(await s.getMany(['a', 'b'], { collection })).toEqual([{ n: [1] }, { n: [2] }]);
    });
  });
}
