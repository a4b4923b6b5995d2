import { describe, expect, expectTypeOf, test } from 'vitest';
import type { AsyncKeyValue, CollectionOptions, JsonObject } from '../src/contract.js';
import { StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { compose, type Layer, layer } from '../src/wrappers/compose.js';
import { NamespaceWrapper, withNamespace } from '../src/wrappers/namespace.js';
import { withSizeLimit } from '../src/wrappers/size-limit.js';
import { StatisticsWrapper, withStatistics } from '../src/wrappers/statistics.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';

/** Records the order in which layers see a call. */
function tracer(name: string, log: string[]): Layer {
  return (inner) =>
    new (class extends WrapperStore {
      override get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
        log.push(name);
        return super.get(key, options);
      }
    })(inner);
}

describe('compose', () => {
  test('layers are listed from the outside in: compose(A, B, store) is A(B(store))', async () => {
    const log: string[] = [];
    const store = compose(tracer('A', log), tracer('B', log), tracer('C', log), new MemoryStore());
    await store.get('k');
    expect(log).toEqual(['A', 'B', 'C']);
  });

  test('the result has the type of the outermost layer', async () => {
    const store = compose(layer(withStatistics), layer(withNamespace, { prefix: 'app' }), new MemoryStore());
    expectTypeOf(store).toEqualTypeOf<StatisticsWrapper>();
    expect(store).toBeInstanceOf(StatisticsWrapper);
    await store.get('k');
    expect(store.statistics().totals.get?.calls).toBe(1);
    const bare = new MemoryStore();
    expect(compose(bare)).toBe(bare);
  });

  test('the recommended OAuth stack: namespace, then TTL policy, then the backend', async () => {
    const backend = new MemoryStore({ clock: () => 1_800_000_000_000, sweepIntervalMs: 0 });
    const store = compose(
      layer(withNamespace, { prefix: 'my-mcp' }),
      layer(withTtlPolicy, { collections: { 'my-mcp::codes': { defaultTtl: 300 } } }),
      backend,
    );
    await store.put('code-1', { client_id: 'c' }, { collection: 'codes' });
    // The TTL policy sits below the namespace, so it sees the prefixed collection name.
    expect(await backend.ttl('code-1', { collection: 'my-mcp::codes' })).toEqual({
      value: { client_id: 'c' },
      ttl: 300,
    });
  });

  test('order matters: a size limit above a namespace sees the value before anything else', async () => {
    const backend = new MemoryStore();
    const limited = compose(
      layer(withSizeLimit, { maxBytes: 20 }),
      layer(withNamespace, { prefix: 'p' }),
      backend,
    );
    await expect(limited.put('k', { s: 'x'.repeat(50) })).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
    expect(await backend.collections()).toEqual([]);
  });

  test('layer() passes the arguments after the store; any function returning a store is a layer', async () => {
    const backend = new MemoryStore();
    const ns = layer(withNamespace, { prefix: 'x', mode: 'key' })(backend);
    expect(ns).toBeInstanceOf(NamespaceWrapper);
    const custom: Layer<NamespaceWrapper> = (inner: AsyncKeyValue) => withNamespace(inner, { prefix: 'y' });
    const store = compose(custom, backend);
    expectTypeOf(store).toEqualTypeOf<NamespaceWrapper>();
    await store.put('k', { a: 1 });
    expect(await backend.get('k', { collection: 'y::default_collection' })).toEqual({ a: 1 });
  });

  test('misuse is a StoreSetupError', () => {
    const store = new MemoryStore();
    expect(() => (compose as (...a: unknown[]) => unknown)()).toThrow(StoreSetupError);
    expect(() => (compose as (...a: unknown[]) => unknown)(layer(withStatistics))).toThrow(StoreSetupError);
    expect(() => (compose as (...a: unknown[]) => unknown)({}, store)).toThrow(StoreSetupError);
    expect(() => compose(() => ({}) as AsyncKeyValue, store)).toThrow(StoreSetupError);
    expect(() => layer('nope' as never)).toThrow(StoreSetupError);
  });
});
