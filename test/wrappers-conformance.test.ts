/**
 * The conformance suite over every wrapper (around MemoryStore) and over a stack of all of them.
 * A wrapper returns a store with the full contract, so each must pass the same suite as a backend.
 */

import { describeConformance } from '../src/conformance/index.js';
import type { AsyncKeyValue, PutOptions } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreConnectionError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { InterceptingWrapper, type StoreCall, WrapperStore } from '../src/wrappers/base.js';
import { withCache } from '../src/wrappers/cache.js';
import { compose, layer } from '../src/wrappers/compose.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withFallback } from '../src/wrappers/fallback.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { withRetry } from '../src/wrappers/retry.js';
import { withSizeLimit } from '../src/wrappers/size-limit.js';
import { withStatistics } from '../src/wrappers/statistics.js';
import { withTimeout } from '../src/wrappers/timeout.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';

/** A view whose close() leaves the shared backing open, so several instances share one backing. */
class Unclosable extends WrapperStore {
  override async close(): Promise<void> {}
  /** A pure pass-through may forward the atomic counter (WrapperStore does not by default). */
  increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    return this.inner.increment!(key, by, options);
  }
}

/** Fails every `every`-th call with StoreConnectionError before it reaches the wrapped store. */
class EveryNthFails extends InterceptingWrapper {
  #calls = 0;
  constructor(
    inner: AsyncKeyValue,
    readonly every: number,
  ) {
    super(inner);
  }
  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    if (++this.#calls % this.every === 0) throw new StoreConnectionError('injected connection failure');
    return call.run();
  }
}

/** A primary that is always down. */
class Down extends InterceptingWrapper {
  constructor() {
    super(new MemoryStore({ sweepIntervalMs: 0 }));
  }
  protected async intercept<T>(): Promise<T> {
    throw new StoreConnectionError('primary unreachable');
  }
}

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });

describeConformance('TtlPolicyWrapper', {
  createStore: () =>
    withTtlPolicy(memory(), { minTtl: 0.5, collections: { codes: { defaultTtl: 300, maxTtl: 600 } } }),
});

for (const mode of ['collection', 'key', 'single'] as const) {
  // One backing shared by every instance (and a neighbour namespace writing the same names into
  // it), so the cross-instance tests and namespace isolation run too.
  const backing = memory();
  const collection = mode === 'single' ? 'shared' : undefined;
  const neighbour = withNamespace(backing, { prefix: 'ns::x', mode, collection });
  describeConformance(`NamespaceWrapper (${mode} mode, shared backing)`, {
    createStore: async () => {
      await neighbour.put('a', { neighbour: true }, { collection: 'default_collection' });
      return withNamespace(new Unclosable(backing), { prefix: 'ns', mode, collection });
    },
    persistent: true,
    sharedBacking: true,
    skip: { 'op.close': 'a view over a shared backing whose close() leaves the backing open on purpose' },
  });
}

describeConformance('RetryWrapper over a store that fails every 3rd call', {
  createStore: () =>
    withRetry(new EveryNthFails(memory(), 3), {
      retries: 5,
      baseDelayMs: 0,
      retryNonIdempotent: true,
    }),
});

describeConformance('TimeoutWrapper', {
  createStore: () => withTimeout(memory(), { timeoutMs: 20_000 }),
});

describeConformance('StatisticsWrapper', { createStore: () => withStatistics(memory()) });

describeConformance('FallbackWrapper (healthy primary)', {
  createStore: () => withFallback(memory(), memory(), { writes: true, atomic: true }),
});

describeConformance('FallbackWrapper (primary down, everything on the secondary)', {
  createStore: () => withFallback(new Down(), memory(), { writes: true, atomic: true }),
});

{
  const backing = memory();
  const cache = memory();
  describeConformance('CacheWrapper (shared backing and cache)', {
    createStore: () => withCache(new Unclosable(backing), { cache: new Unclosable(cache) }),
    persistent: true,
    sharedBacking: true,
    skip: { 'op.close': 'a view over a shared backing whose close() leaves the backing open on purpose' },
  });
}

describeConformance('CacheWrapper (maxTtl 30 s)', {
  createStore: () => withCache(memory(), { cache: memory(), maxTtl: 30 }),
});

describeConformance('SizeLimitWrapper', {
  createStore: () => withSizeLimit(memory(), { maxBytes: 4 * 1024 * 1024 }),
});

{
  const backing = memory();
  const cache = memory();
  const key = generateFernetKey();
  describeConformance('a stack of every wrapper (compose), with encryption', {
    createStore: () =>
      compose(
        layer(withStatistics),
        layer(withTimeout, { timeoutMs: 20_000 }),
        layer(withRetry, { retries: 5, baseDelayMs: 0, retryNonIdempotent: true }),
        (inner) => new EveryNthFails(inner, 5),
        layer(withNamespace, { prefix: 'app', mode: 'single', collection: 'everything' }),
        layer(withTtlPolicy, { minTtl: 0.5 }),
        layer(withSizeLimit, { maxBytes: 4 * 1024 * 1024 }),
        layer(withEncryption, { keys: key }),
        layer(withCache, { cache: new Unclosable(cache) }),
        layer(withFallback, memory(), { writes: true, atomic: true }),
        new Unclosable(backing),
      ),
    persistent: true,
    sharedBacking: true,
    skip: { 'op.close': 'a view over a shared backing whose close() leaves the backing open on purpose' },
  });
}

{
  // The same stack without encryption, the one a counter store (rate limits, better-auth's
  // `increment`) would use: every layer forwards the atomic counter, so the increment section runs.
  const backing = memory();
  const cache = memory();
  describeConformance('a stack of every wrapper but encryption (compose): increment forwarded', {
    createStore: () =>
      compose(
        layer(withStatistics),
        layer(withTimeout, { timeoutMs: 20_000 }),
        layer(withRetry, { retries: 5, baseDelayMs: 0, retryNonIdempotent: true }),
        (inner) => new EveryNthFails(inner, 5),
        layer(withNamespace, { prefix: 'app', mode: 'single', collection: 'everything' }),
        layer(withTtlPolicy, { minTtl: 0.5 }),
        layer(withSizeLimit, { maxBytes: 4 * 1024 * 1024 }),
        layer(withCache, { cache: new Unclosable(cache) }),
        layer(withFallback, memory(), { writes: true, atomic: true }),
        new Unclosable(backing),
      ),
    persistent: true,
    sharedBacking: true,
    skip: { 'op.close': 'a view over a shared backing whose close() leaves the backing open on purpose' },
  });
}
