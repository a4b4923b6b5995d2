import { describe, expect, test } from 'vitest';
import { StoreSetupError, ValueTooLargeError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withSizeLimit } from '../src/wrappers/size-limit.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
/** A value whose compact JSON is exactly `bytes` long when `fill` is one byte per character. */
const sized = (bytes: number, fill = 'x') => ({ s: fill.repeat(bytes - 8) }); // {"s":""} is 8 bytes

describe('SizeLimitWrapper', () => {
  test('a value at the limit is stored; one byte over is ValueTooLargeError and nothing is written', async () => {
    const inner = memory();
    const store = withSizeLimit(inner, { maxBytes: 100 });
    await store.put('ok', sized(100));
    expect(await inner.get('ok')).toEqual(sized(100));
    const err = await store.put('big', sized(101)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValueTooLargeError);
    expect(err).toMatchObject({ code: 'VALUE_TOO_LARGE', size: 101, limit: 100 });
    expect((err as Error).message).not.toContain('xxx');
    expect(await inner.get('big')).toBeUndefined();
    await store.put('ok', sized(50)); // overwriting with a smaller value works
    await expect(store.put('ok', sized(101))).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await inner.get('ok')).toEqual(sized(50));
  });

  test('what is stored is what was measured, even when a getter grows on its second read', async () => {
    const inner = memory();
    const store = withSizeLimit(inner, { maxBytes: 100 });
    const growing = () => {
      let reads = 0;
      return {
        get s() {
          reads++;
          return reads === 1 ? 'small' : 'x'.repeat(10_000);
        },
      };
    };
    await store.put('k1', growing());
    await store.putIfAbsent('k2', growing());
    await store.putMany([['k3', growing()]]);
    expect(await inner.getMany(['k1', 'k2', 'k3'])).toEqual([{ s: 'small' }, { s: 'small' }, { s: 'small' }]);
  });

  test('sizes are UTF-8 bytes: é is 2, 世 is 3, 😀 is 4', async () => {
    const store = withSizeLimit(memory(), { maxBytes: 20 });
    await store.put('two', { s: 'éééééé' }); // 8 + 12 = 20
    await expect(store.put('two', { s: 'ééééééé' })).rejects.toMatchObject({ size: 22 });
    await store.put('three', { s: '世世世世' }); // 8 + 12 = 20
    await expect(store.put('three', { s: '世世世世世' })).rejects.toMatchObject({ size: 23 });
    await store.put('four', { s: '😀😀😀' }); // 8 + 12 = 20
    await expect(store.put('four', { s: '😀😀😀😀' })).rejects.toMatchObject({ size: 24 });
    await expect(store.put('esc', { s: '"""""""' })).rejects.toMatchObject({ size: 22 }); // \" is 2 bytes
  });

  test('putMany is all-or-nothing; putIfAbsent is checked too', async () => {
    const inner = memory();
    const store = withSizeLimit(inner, { maxBytes: 100 });
    await expect(
      store.putMany([
        ['a', sized(10)],
        ['b', sized(101)],
        ['c', sized(10)],
      ]),
    ).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await inner.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined]);
    await expect(store.putIfAbsent('d', sized(200))).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await inner.get('d')).toBeUndefined();
    expect(await store.putIfAbsent('d', sized(100))).toBe(true);
    await store.putMany([['a', sized(10)]]);
    expect(await inner.get('a')).toEqual(sized(10));
  });

  test('invalid values are SerializationErrors, not size errors', async () => {
    const store = withSizeLimit(memory(), { maxBytes: 100 });
    await expect(store.put('k', { a: undefined } as never)).rejects.toMatchObject({
      code: 'SERIALIZATION_ERROR',
      path: '$.a',
    });
    await expect(store.putMany([['k']] as never)).rejects.toMatchObject({ code: 'SERIALIZATION_ERROR' });
    await expect(store.putMany('x' as never)).rejects.toMatchObject({ code: 'SERIALIZATION_ERROR' });
  });

  test.each([0, -1, 1.5, Number.NaN, undefined, '100'])('maxBytes %s is a StoreSetupError', (maxBytes) => {
    expect(() => withSizeLimit(memory(), { maxBytes: maxBytes as number })).toThrow(StoreSetupError);
  });

  test('reads and the limit getter', async () => {
    const store = withSizeLimit(memory(), { maxBytes: 64 });
    expect(store.maxBytes).toBe(64);
    await store.put('k', { a: 1 });
    expect(await store.take('k')).toEqual({ a: 1 });
  });
});
