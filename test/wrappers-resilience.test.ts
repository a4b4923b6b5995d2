/**
 * Retry, timeout and fallback against real failure injection: small test stores that throw a real
 * StoreConnectionError (or never answer) a set number of times, then delegate to a MemoryStore.
 */
import { describe, expect, test } from 'vitest';
import type { AsyncKeyValue, CollectionOptions, JsonObject, PutOptions } from '../src/contract.js';
import { InvalidKeyError, StoreConnectionError, StoreSetupError, StoreTimeoutError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { InterceptingWrapper, type StoreCall, WrapperStore } from '../src/wrappers/base.js';
import { compose, layer } from '../src/wrappers/compose.js';
import { type FallbackInfo, withFallback } from '../src/wrappers/fallback.js';
import { isRetryableError, type RetryInfo, withRetry } from '../src/wrappers/retry.js';
import { withTimeout } from '../src/wrappers/timeout.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });

/**
 * Fails the next `failures` calls with `error` (default StoreConnectionError), before they reach the
 * wrapped store (`when: 'before'`) or after it has run (`when: 'after'`: an ambiguous failure).
 */
class Failing extends InterceptingWrapper {
  failures = 0;
  attempts = 0;
  when: 'before' | 'after' = 'before';
  error: () => Error = () => new StoreConnectionError('injected: connection reset');

  protected async intercept<T>(call: StoreCall<T>): Promise<T> {
    this.attempts++;
    const fail = this.failures > 0;
    if (fail) this.failures--;
    if (fail && this.when === 'before') throw this.error();
    const result = await call.run();
    if (fail) throw this.error();
    return result;
  }
}

/** Operations wait until `release()` is called (or forever). */
class Gated extends WrapperStore {
  #open: () => void = () => undefined;
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  closed = 0;
  release(): void {
    this.#open();
  }
  override async get(key: string, options?: CollectionOptions) {
    await this.#gate;
    return this.inner.get(key, options);
  }
  override async put(key: string, value: JsonObject, options?: PutOptions) {
    await this.#gate;
    return this.inner.put(key, value, options);
  }
  override async take(key: string, options?: CollectionOptions) {
    await this.#gate;
    return this.inner.take(key, options);
  }
  override async close() {
    this.closed++;
    return this.inner.close();
  }
}

describe('RetryWrapper', () => {
  test('retries StoreConnectionError until the store answers, reporting each retry', async () => {
    const failing = new Failing(memory());
    const retries: RetryInfo[] = [];
    const store = withRetry(failing, { retries: 3, baseDelayMs: 1, onRetry: (i) => retries.push(i) });
    failing.failures = 2;
    await store.put('k', { a: 1 });
    expect(failing.attempts).toBe(3);
    expect(retries.map((r) => [r.operation, r.attempt])).toEqual([
      ['put', 1],
      ['put', 2],
    ]);
    expect(retries[0]?.error).toBeInstanceOf(StoreConnectionError);
    failing.failures = 3;
    expect(await store.get('k')).toEqual({ a: 1 });
  });

  test('gives up after `retries` retries and throws the last connection error', async () => {
    const failing = new Failing(memory());
    const store = withRetry(failing, { retries: 2, baseDelayMs: 0 });
    failing.failures = 10;
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreConnectionError);
    expect(failing.attempts).toBe(3);
    const off = withRetry(failing, { retries: 0 });
    failing.attempts = 0;
    await expect(off.get('k')).rejects.toBeInstanceOf(StoreConnectionError);
    expect(failing.attempts).toBe(1);
  });

  test('StoreTimeoutError is retried; other errors never are', async () => {
    const failing = new Failing(memory());
    const store = withRetry(failing, { retries: 5, baseDelayMs: 0 });
    failing.error = () => new StoreTimeoutError('injected: timed out');
    failing.failures = 2;
    expect(await store.get('k')).toBeUndefined();
    expect(failing.attempts).toBe(3);

    for (const make of [
      () => new InvalidKeyError('bad key'),
      () => new TypeError('a bug'),
      () => Object.assign(new Error('pg: ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ]) {
      failing.attempts = 0;
      failing.error = make;
      failing.failures = 1;
      await expect(store.get('k')).rejects.toThrow();
      expect(failing.attempts).toBe(1);
    }
    failing.attempts = 0;
    await expect(store.put('', { a: 1 })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(failing.attempts).toBe(1);
  });

  test('take and putIfAbsent are not retried by default (an ambiguous failure would lose the value)', async () => {
    const inner = memory();
    const failing = new Failing(inner);
    failing.when = 'after'; // the take happens, then the connection drops
    const store = withRetry(failing, { retries: 3, baseDelayMs: 0 });
    await inner.put('code', { c: 1 });
    failing.failures = 1;
    await expect(store.take('code')).rejects.toBeInstanceOf(StoreConnectionError);
    expect(failing.attempts).toBe(1);
    failing.failures = 1;
    await expect(store.putIfAbsent('jti', { a: 1 })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(failing.attempts).toBe(2);
    // Opted in: the retried take finds nothing; the value is lost to every caller.
    const optedIn = withRetry(failing, { retries: 3, baseDelayMs: 0, retryNonIdempotent: true });
    await inner.put('code2', { c: 2 });
    failing.failures = 1;
    expect(await optedIn.take('code2')).toBeUndefined();
    failing.failures = 1;
    failing.when = 'before';
    await inner.put('code3', { c: 3 });
    expect(await optedIn.take('code3')).toEqual({ c: 3 });
    failing.failures = 1;
    expect(await optedIn.putIfAbsent('jti2', { a: 1 })).toBe(true);
  });

  test('delays grow exponentially with full jitter, capped by maxDelayMs', async () => {
    const failing = new Failing(memory());
    const delays: number[] = [];
    const store = withRetry(failing, {
      retries: 5,
      baseDelayMs: 2,
      maxDelayMs: 10,
      random: () => 0.999,
      onRetry: (i) => delays.push(i.delayMs),
    });
    failing.failures = 5;
    await store.get('k');
    expect(delays).toEqual([1, 3, 7, 9, 9]);
    const zero: number[] = [];
    const noJitter = withRetry(failing, {
      retries: 2,
      random: () => 0,
      onRetry: (i) => zero.push(i.delayMs),
    });
    failing.failures = 2;
    await noJitter.get('k');
    expect(zero).toEqual([0, 0]);
  });

  test('retries the optional operations too', async () => {
    const failing = new Failing(memory());
    const store = withRetry(failing, { retries: 1, baseDelayMs: 0 });
    await store.put('k', { a: 1 }, { collection: 'c' });
    failing.failures = 1;
    expect((await store.keys('c')).keys).toEqual(['k']);
    failing.failures = 1;
    expect(await store.collections()).toEqual(['c']);
    failing.failures = 1;
    expect(await store.destroyCollection('c')).toBe(true);
  });

  test.each([
    ['negative retries', { retries: -1 }],
    ['fractional retries', { retries: 1.5 }],
    ['negative base delay', { baseDelayMs: -1 }],
    ['infinite max delay', { maxDelayMs: Number.POSITIVE_INFINITY }],
  ])('%s is a StoreSetupError', (_label, options) => {
    expect(() => withRetry(memory(), options)).toThrow(StoreSetupError);
  });

  test('isRetryableError recognises connection errors from another copy of the package by code', () => {
    const foreign = Object.assign(new Error('down'), {
      name: 'StoreConnectionError',
      code: 'STORE_CONNECTION',
    });
    expect(isRetryableError(foreign)).toBe(true);
    expect(isRetryableError(new StoreTimeoutError('t'))).toBe(true);
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'STORE_CONNECTION' }))).toBe(false);
    expect(isRetryableError(new InvalidKeyError('k'))).toBe(false);
    expect(isRetryableError('STORE_CONNECTION')).toBe(false);
  });
});

describe('TimeoutWrapper', () => {
  test('an operation over its limit rejects with StoreTimeoutError naming the operation and limit only', async () => {
    const gated = new Gated(memory());
    const store = withTimeout(gated, { timeoutMs: 20 });
    const err = await store.get('secret-key-abc').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreTimeoutError);
    expect(err).toBeInstanceOf(StoreConnectionError);
    expect((err as StoreTimeoutError).code).toBe('STORE_TIMEOUT');
    expect((err as Error).message).toBe('get did not complete within 20 ms');
    await expect(store.put('k', { secret: 'v' })).rejects.toThrow('put did not complete within 20 ms');
    gated.release();
    expect(await store.get('k')).toEqual({ secret: 'v' }); // the timed-out put still completed
  });

  test('per-operation limits override the default', async () => {
    const gated = new Gated(memory());
    const store = withTimeout(gated, { timeoutMs: 60_000, operations: { get: 15 } });
    await expect(store.get('k')).rejects.toBeInstanceOf(StoreTimeoutError);
    const put = store.put('k', { a: 1 });
    gated.release();
    await put;
    expect(await store.get('k')).toEqual({ a: 1 });
  });

  test('results and errors of the wrapped store pass through unchanged', async () => {
    const store = withTimeout(memory(), { timeoutMs: 10_000 });
    await store.put('k', { a: 1 });
    expect(await store.take('k')).toEqual({ a: 1 });
    await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    const throwsSync = new (class extends WrapperStore {
      override get(): Promise<JsonObject | undefined> {
        throw new InvalidKeyError('thrown synchronously');
      }
    })(memory());
    await expect(withTimeout(throwsSync, { timeoutMs: 10_000 }).get('k')).rejects.toBeInstanceOf(
      InvalidKeyError,
    );
  });

  test('a retry above a timeout retries the timed-out operation', async () => {
    const slowOnce = new (class extends WrapperStore {
      calls = 0;
      override async get(key: string, options?: CollectionOptions) {
        if (++this.calls === 1) await new Promise(() => undefined); // never answers
        return this.inner.get(key, options);
      }
    })(memory());
    const store = compose(
      layer(withRetry, { retries: 2, baseDelayMs: 0 }),
      layer(withTimeout, { timeoutMs: 20 }),
      slowOnce,
    );
    expect(await store.get('k')).toBeUndefined();
    expect(slowOnce.calls).toBe(2);
  });

  test.each([
    ['no limit', {}],
    ['zero', { timeoutMs: 0 }],
    ['negative', { timeoutMs: -5 }],
    ['too large for a timer', { timeoutMs: 2 ** 31 }],
    ['an invalid per-operation limit', { timeoutMs: 10, operations: { get: Number.NaN } }],
    ['an unknown operation', { timeoutMs: 10, operations: { fetch: 5 } }],
  ])('%s is a StoreSetupError', (_label, options) => {
    expect(() => withTimeout(memory(), options as never)).toThrow(StoreSetupError);
  });
});

describe('FallbackWrapper', () => {
  function setup(options = {}) {
    const primaryData = memory();
    const primary = new Failing(primaryData);
    const secondary = memory();
    const events: FallbackInfo[] = [];
    const store = withFallback(primary, secondary, { ...options, onFallback: (i) => events.push(i) });
    return { primary, primaryData, secondary, store, events };
  }

  test('reads go to the secondary when the primary cannot be reached', async () => {
    const { primary, primaryData, secondary, store, events } = setup();
    await primaryData.put('k', { from: 'primary' });
    await secondary.put('k', { from: 'secondary' });
    expect(await store.get('k')).toEqual({ from: 'primary' });
    primary.failures = 3;
    expect(await store.get('k')).toEqual({ from: 'secondary' });
    expect(await store.getMany(['k'])).toEqual([{ from: 'secondary' }]);
    expect((await store.ttl('k')).value).toEqual({ from: 'secondary' });
    expect(events.map((e) => e.operation)).toEqual(['get', 'getMany', 'ttl']);
    expect(events[0]?.error).toBeInstanceOf(StoreConnectionError);
  });

  test('writes do not fall back unless enabled', async () => {
    const off = setup();
    off.primary.failures = 1;
    await expect(off.store.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(await off.secondary.get('k')).toBeUndefined();

    const on = setup({ writes: true });
    on.primary.failures = 2;
    await on.store.put('k', { a: 1 });
    expect(await on.secondary.get('k')).toEqual({ a: 1 });
    expect(await on.store.delete('k')).toBe(true);
    expect(await on.secondary.get('k')).toBeUndefined();
    expect(await on.primaryData.get('k')).toBeUndefined();
  });

  test('take and putIfAbsent fall back only with atomic: true', async () => {
    const writes = setup({ writes: true });
    await writes.secondary.put('code', { c: 1 });
    writes.primary.failures = 2;
    await expect(writes.store.take('code')).rejects.toBeInstanceOf(StoreConnectionError);
    await expect(writes.store.putIfAbsent('jti', { a: 1 })).rejects.toBeInstanceOf(StoreConnectionError);
    expect(await writes.secondary.get('code')).toEqual({ c: 1 });

    const atomic = setup({ atomic: true });
    await atomic.secondary.put('code', { c: 1 });
    atomic.primary.failures = 2;
    expect(await atomic.store.take('code')).toEqual({ c: 1 });
    expect(await atomic.store.putIfAbsent('jti', { a: 1 })).toBe(true);
    expect(await atomic.secondary.get('jti')).toEqual({ a: 1 });
  });

  test('other errors of the primary are thrown, the secondary is not consulted', async () => {
    const { primary, secondary, store, events } = setup({ writes: true });
    await secondary.put('k', { from: 'secondary' });
    primary.error = () => new InvalidKeyError('rejected by primary');
    primary.failures = 1;
    await expect(store.get('k')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(events).toEqual([]);
  });

  test("optional reads fall back; capabilities are the primary's; close() closes both", async () => {
    const primary = new Failing(memory());
    const secondary = new Gated(memory());
    secondary.release();
    const store = withFallback(primary, secondary);
    await (secondary as AsyncKeyValue).put('k', { a: 1 }, { collection: 'c' });
    primary.failures = 2;
    expect((await store.keys('c')).keys).toEqual(['k']);
    expect(await store.collections()).toEqual(['c']);
    expect(store.capabilities).toEqual(primary.capabilities);
    await store.close();
    expect(secondary.closed).toBe(1);
    await expect(primary.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    expect(() => withFallback(memory(), null as never)).toThrow(StoreSetupError);
  });
});
