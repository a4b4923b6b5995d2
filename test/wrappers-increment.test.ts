/**
 * How each wrapper treats the optional atomic `increment`: forwarded with the wrapper's own rule
 * (TTL policy, cache invalidation, size limit, counted, not retried blindly, fallback only when
 * atomic operations may fall back), refused by read-only, not offered by encryption or typed
 * collections, and capabilities that say exactly that. The conformance increment section runs on
 * every wrapper in test/wrappers-conformance.test.ts; this file checks what the suite cannot see.
 */
import Keyv from 'keyv';
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import {
  NotSupportedError,
  ReadOnlyError,
  StoreConnectionError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../src/errors.js';
import { KeyvStore } from '../src/stores/keyv/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { InterceptingWrapper, type StoreCall, WrapperStore } from '../src/wrappers/base.js';
import { withCache } from '../src/wrappers/cache.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withFallback } from '../src/wrappers/fallback.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { withReadOnly } from '../src/wrappers/read-only.js';
import { withRetry } from '../src/wrappers/retry.js';
import { withSizeLimit } from '../src/wrappers/size-limit.js';
import { withStatistics } from '../src/wrappers/statistics.js';
import { withTelemetry } from '../src/wrappers/telemetry.js';
import { withTimeout } from '../src/wrappers/timeout.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';
import { typedCollection } from '../src/wrappers/typed.js';

const opened: AsyncKeyValue[] = [];
const memory = () => {
  const s = new MemoryStore({ sweepIntervalMs: 0 });
  opened.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
});

/** Every call fails with StoreConnectionError after it reached the store (an ambiguous failure). */
class FailsAfterRunning extends InterceptingWrapper {
  calls = 0;
  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    this.calls++;
    await call.run();
    throw new StoreConnectionError('the reply was lost');
  }
}

/** Every call fails with StoreConnectionError before it reaches the store. */
class Down extends InterceptingWrapper {
  protected async intercept<T>(): Promise<T> {
    throw new StoreConnectionError('unreachable');
  }
}

const wrappers: Array<[string, (inner: AsyncKeyValue) => AsyncKeyValue]> = [
  ['namespace', (s) => withNamespace(s, { prefix: 'ns' })],
  ['ttl policy', (s) => withTtlPolicy(s, { defaultTtl: 60 })],
  ['statistics', (s) => withStatistics(s)],
  ['telemetry', (s) => withTelemetry(s)],
  ['retry', (s) => withRetry(s)],
  ['timeout', (s) => withTimeout(s, { timeoutMs: 5_000 })],
  ['cache', (s) => withCache(s, { cache: memory() })],
  ['size limit', (s) => withSizeLimit(s, { maxBytes: 1024 })],
  ['fallback', (s) => withFallback(s, memory())],
];

describe('capabilities.increment is truthful', () => {
  test.each(wrappers)('%s forwards increment over a store that has it', async (_name, wrap) => {
    const store = wrap(memory());
    expect(store.capabilities.increment).toBe(true);
    expect(await store.increment?.('n', 2, { collection: 'c' })).toBe(2);
    expect(await store.increment?.('n', 3, { collection: 'c' })).toBe(5);
  });

  test.each(wrappers)(
    '%s refuses increment over a store without it, and writes nothing',
    async (_name, wrap) => {
      const keyv = new KeyvStore(new Keyv());
      opened.push(keyv);
      const store = wrap(keyv);
      expect(store.capabilities.increment).not.toBe(true);
      await expect(store.increment?.('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(NotSupportedError);
      expect(await keyv.keys('c')).toEqual({ keys: [], cursor: undefined });
    },
  );

  test('a plain WrapperStore subclass and the encryption wrapper do not offer it', () => {
    const plain = new WrapperStore(memory());
    expect(plain.capabilities.increment).toBe(false);
    expect((plain as AsyncKeyValue).increment).toBeUndefined();
    const encrypted = withEncryption(memory(), { keys: generateFernetKey() });
    expect(encrypted.capabilities.increment).toBe(false);
    expect((encrypted as AsyncKeyValue).increment).toBeUndefined();
  });

  test('a typed collection has no increment (its values are the schema type, not counters)', () => {
    const typed = typedCollection(memory(), 'c', z.object({ a: z.number() }));
    expect((typed as unknown as { increment?: unknown }).increment).toBeUndefined();
  });
});

describe('what each wrapper adds to increment', () => {
  test('TTL policy: a counter created without a TTL gets the collection default; later increments keep it', async () => {
    const inner = memory();
    const store = withTtlPolicy(inner, { collections: { limits: { defaultTtl: 60, maxTtl: 120 } } });
    expect(await store.increment('ip-1', 1, { collection: 'limits' })).toBe(1);
    const first = await inner.ttl('ip-1', { collection: 'limits' });
    expect(first.ttl).toBeGreaterThan(55);
    expect(first.ttl).toBeLessThanOrEqual(60);
    expect(await store.increment('ip-2', 1, { collection: 'limits', ttl: 3_600 })).toBe(1);
    expect((await inner.ttl('ip-2', { collection: 'limits' })).ttl).toBeLessThanOrEqual(120);
    expect(await store.increment('ip-1', 1, { collection: 'limits', ttl: 100 })).toBe(2);
    expect((await inner.ttl('ip-1', { collection: 'limits' })).ttl).toBeLessThanOrEqual(60);
  });

  test('namespace: the counter lives under the prefixed collection', async () => {
    const inner = memory();
    const store = withNamespace(inner, { prefix: 'app' });
    await store.increment('n', 4, { collection: 'limits' });
    expect(await inner.get('n', { collection: 'app::limits' })).toEqual({ count: 4 });
    expect(await inner.get('n', { collection: 'limits' })).toBeUndefined();
  });

  test('cache: an increment invalidates the cached counter, so the next get reads the new count', async () => {
    const cache = memory();
    const store = withCache(memory(), { cache });
    await store.increment('n', 1, { collection: 'c' });
    expect(await store.get('n', { collection: 'c' })).toEqual({ count: 1 }); // now cached
    expect(await cache.get('n', { collection: 'c' })).toEqual({ count: 1 });
    expect(await store.increment('n', 1, { collection: 'c' })).toBe(2);
    expect(await cache.get('n', { collection: 'c' })).toBeUndefined();
    expect(await store.get('n', { collection: 'c' })).toEqual({ count: 2 });
  });

  test('statistics: increments are counted with their errors', async () => {
    const store = withStatistics(memory());
    await store.increment('n', 1, { collection: 'c' });
    await store.increment('n', 1, { collection: 'c' });
    await store.put('doc', { count: 'x' }, { collection: 'c' });
    await expect(store.increment('doc', 1, { collection: 'c' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(store.statistics().collections.c?.increment).toEqual({
      calls: 3,
      hits: 0,
      misses: 0,
      errors: 1,
      errorCodes: { VALIDATION_ERROR: 1 },
    });
  });

  test('retry: an increment whose reply was lost is not retried (it would count twice) unless opted in', async () => {
    const inner = memory();
    const flaky = new FailsAfterRunning(inner);
    const store = withRetry(flaky, { retries: 3, baseDelayMs: 0 });
    await expect(store.increment('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(flaky.calls).toBe(1);
    expect(await inner.get('n', { collection: 'c' })).toEqual({ count: 1 });
    // With retryNonIdempotent the caller accepted double counting: each attempt adds.
    const opted = withRetry(flaky, { retries: 2, baseDelayMs: 0, retryNonIdempotent: true });
    await expect(opted.increment('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(flaky.calls).toBe(4);
    expect(await inner.get('n', { collection: 'c' })).toEqual({ count: 4 });
  });

  test('timeout: increment has its own limit under operations.increment', async () => {
    class Slow extends InterceptingWrapper {
      protected async intercept<T>(call: StoreCall<T>): Promise<T> {
        if (call.operation === 'increment') await new Promise((r) => setTimeout(r, 300));
        return call.run();
      }
    }
    const store = withTimeout(new Slow(memory()), { timeoutMs: 5_000, operations: { increment: 20 } });
    await expect(store.increment('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(await store.get('n', { collection: 'c' })).toBeUndefined(); // get has the 5 s limit
  });

  test('fallback: increment goes to the secondary only with atomic: true', async () => {
    const secondary = memory();
    const reads = withFallback(new Down(memory()), secondary, { writes: true });
    await expect(reads.increment('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(await secondary.get('n', { collection: 'c' })).toBeUndefined();
    const atomic = withFallback(new Down(memory()), secondary, { atomic: true });
    expect(await atomic.increment('n', 1, { collection: 'c' })).toBe(1);
    expect(await secondary.get('n', { collection: 'c' })).toEqual({ count: 1 });
  });

  test('size limit: the counter an increment would create is measured like a put', async () => {
    const inner = memory();
    const store = withSizeLimit(inner, { maxBytes: 11 });
    expect(await store.increment('n', 1, { collection: 'c' })).toBe(1); // {"count":1} is 11 bytes
    await expect(store.increment('m', 10, { collection: 'c' })).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await inner.get('m', { collection: 'c' })).toBeUndefined();
    await expect(store.increment('', 1, { collection: 'c' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  test('read-only: increment is refused in both modes and writes nothing', async () => {
    const inner = memory();
    for (const mode of ['throw', 'ignore'] as const) {
      const store = withReadOnly(inner, { mode });
      await expect(store.increment('n', 1, { collection: 'c' })).rejects.toBeInstanceOf(ReadOnlyError);
    }
    expect(await inner.get('n', { collection: 'c' })).toBeUndefined();
    const keyv = new KeyvStore(new Keyv());
    opened.push(keyv);
    await expect(withReadOnly(keyv).increment('n')).rejects.toBeInstanceOf(NotSupportedError);
  });
});
