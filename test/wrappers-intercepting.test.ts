/**
 * The hook every intercepting wrapper (retry, timeout, statistics, fallback) is built on: each
 * operation reaches `intercept` once, with its name, collection and arguments, and can be run on
 * the wrapped store or on another one.
 */
import { describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { MemoryStore } from '../src/stores/memory.js';
import { InterceptingWrapper, STORE_OPERATIONS, type StoreCall } from '../src/wrappers/base.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });

/** Records every call, and runs it on `target` when one is set. */
class Recorder extends InterceptingWrapper {
  readonly seen: Array<{ operation: string; collection: string | undefined; args: readonly unknown[] }> = [];
  target: AsyncKeyValue | undefined;
  protected intercept<T>(call: StoreCall<T>): Promise<T> {
    this.seen.push({ operation: call.operation, collection: call.collection, args: call.args });
    return call.run(this.target);
  }
}

describe('InterceptingWrapper', () => {
  test('every operation but close() reaches the hook once, with its collection and arguments', async () => {
    const store = new Recorder(memory());
    await store.put('k', { a: 1 }, { collection: 'c', ttl: 60 });
    await store.putMany([['m', { b: 2 }]]);
    await store.get('k', { collection: 'c' });
    await store.getMany(['k'], { collection: 'c' });
    await store.ttl('k', { collection: 'c' });
    await store.ttlMany(['k'], { collection: 'c' });
    await store.putIfAbsent('k', { a: 2 }, { collection: 'c' });
    await store.take('k', { collection: 'c' });
    await store.increment('n', 2, { collection: 'c', ttl: 30 });
    await store.delete('m');
    await store.deleteMany(['m']);
    await store.keys('c', { limit: 5 });
    await store.keys();
    await store.collections();
    await store.destroyCollection('c');
    await store.cull();
    await store.close();
    expect(new Set(store.seen.map((s) => s.operation))).toEqual(STORE_OPERATIONS);
    expect(store.seen.map((s) => [s.operation, s.collection])).toEqual([
      ['put', 'c'],
      ['putMany', 'default_collection'],
      ['get', 'c'],
      ['getMany', 'c'],
      ['ttl', 'c'],
      ['ttlMany', 'c'],
      ['putIfAbsent', 'c'],
      ['take', 'c'],
      ['increment', 'c'],
      ['delete', 'default_collection'],
      ['deleteMany', 'default_collection'],
      ['keys', 'c'],
      ['keys', 'default_collection'],
      ['collections', undefined],
      ['destroyCollection', 'c'],
      ['cull', undefined],
    ]);
    expect(store.seen[0]?.args).toEqual(['k', { a: 1 }, { collection: 'c', ttl: 60 }]);
    expect(store.seen[8]?.args).toEqual(['n', 2, { collection: 'c', ttl: 30 }]);
    expect(store.seen[11]?.args).toEqual(['c', { limit: 5 }]);
  });

  test('a malformed collection or options reach the hook as no collection, and the store refuses them', async () => {
    const store = new Recorder(memory());
    await expect(store.get('k', { collection: '' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.put('k', {}, 300 as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(store.destroyCollection('\uD800')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(store.seen.map((s) => s.collection)).toEqual([undefined, undefined, undefined]);
  });

  test('run(store) runs the same call, with the same arguments, on another store', async () => {
    const wrapped = memory();
    const other = memory();
    const store = new Recorder(wrapped);
    store.target = other;
    await store.put('k', { on: 'other' }, { collection: 'c' });
    await store.putMany([['m', { n: 1 }]], { ttl: 60 });
    expect(await wrapped.get('k', { collection: 'c' })).toBeUndefined();
    expect(await other.get('k', { collection: 'c' })).toEqual({ on: 'other' });
    expect((await other.ttl('m')).ttl).toBeGreaterThan(59);
    expect(await store.take('k', { collection: 'c' })).toEqual({ on: 'other' });
    store.target = undefined; // back to the wrapped store
    expect(await store.get('m')).toBeUndefined();
  });
});
