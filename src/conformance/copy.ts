/**
 * Copy semantics: no value passed in or handed out is shared with what the store keeps.
 * @module
 */
import { equal } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeCopy({ test, describe, make, fresh }: SuiteContext): void {
  describe('copy semantics', () => {
    test(
      ['value.copies'],
      'mutating the object passed to put, or returned by a read, never changes what is stored',
      async () => {
        const s = await make();
        const collection = fresh();
        const value = { list: [1, 2], inner: { x: 'y' } };
        const stored = { list: [1, 2], inner: { x: 'y' } };
        await s.put('k', value, { collection });
        value.list.push(3);
        value.inner.x = 'changed';
        const first = (await s.get('k', { collection })) as typeof value;
        equal(first, stored, 'get after mutating the object given to put');
        first.list.push(99);
        first.inner.x = 'changed again';
        equal(await s.get('k', { collection }), stored, 'get after mutating what get returned');
        const [many] = (await s.getMany(['k'], { collection })) as [typeof value];
        many.list.length = 0;
        const viaTtl = await s.ttl('k', { collection });
        equal(viaTtl.value, stored, 'ttl after mutating what getMany returned');
        (viaTtl.value as typeof value).inner.x = 'from ttl';
        const [viaTtlMany] = await s.ttlMany(['k'], { collection });
        equal(viaTtlMany?.value, stored, 'ttlMany after mutating what ttl returned');
        (viaTtlMany as unknown as { value: typeof value }).value.list.pop();
        const taken = (await s.take('k', { collection })) as typeof value;
        equal(taken, stored, 'take after mutating what ttlMany returned');
      },
    );

    test(
      ['value.copies'],
      'mutating a value after putMany or putIfAbsent never changes what is stored',
      async () => {
        const s = await make();
        const collection = fresh();
        const a = { n: [1] };
        const b = { n: [2] };
        await s.putMany([['a', a]], { collection });
        await s.putIfAbsent('b', b, { collection });
        a.n.push(10);
        b.n.push(20);
        equal(
          await s.getMany(['a', 'b'], { collection }),
          [{ n: [1] }, { n: [2] }],
          'after mutating the inputs',
        );
      },
    );
  });
}
