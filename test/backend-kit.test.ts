import { describe, expect, it } from 'vitest';
import { Lazy, loadPeer, mapLimit, options, sanitized, scrub, sleep } from '../src/backend/index.js';
import { StoreSetupError } from '../src/errors.js';

describe('backend kit', () => {
  it('loadPeer names the missing package in a StoreSetupError', async () => {
    const err = await loadPeer('MyStore', 'no-such-driver', () => import('no-such-driver' as string)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).toBe(
      'MyStore needs the "no-such-driver" package: npm install no-such-driver',
    );
    await expect(loadPeer('MyStore', 'node:path', () => import('node:path'))).resolves.toHaveProperty('join');
  });

  it('Lazy creates once for concurrent callers and forgets a failed creation', async () => {
    let calls = 0;
    const lazy = new Lazy(async () => {
      calls++;
      await sleep(5);
      if (calls === 1) throw new Error('down');
      return calls;
    });
    expect(lazy.started).toBe(false);
    const first = await Promise.allSettled([lazy.get(), lazy.get()]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    await sleep(0);
    expect(lazy.started).toBe(false);
    expect(await Promise.all([lazy.get(), lazy.get()])).toEqual([2, 2]);
    expect(calls).toBe(2);
    expect(await lazy.reset()).toBe(2);
    expect(lazy.started).toBe(false);
  });

  it('mapLimit keeps order and the bound, and stops starting work after the first failure', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(n);
      inFlight--;
      return n * 10 + i;
    });
    expect(out).toEqual([50, 11, 42, 23, 34]);
    expect(peak).toBe(2);

    const started: number[] = [];
    const err = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await sleep(n === 1 ? 1 : 10);
      if (n === 1) throw new Error('first');
      if (n === 2) throw new Error('second');
      return n;
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('first');
    expect(started).toEqual([1, 2]); // nothing new started after the failure
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });

  it('option checks return defaults and throw StoreSetupError without echoing strings', () => {
    expect(options.positiveNumber('S', 'timeoutMs', undefined, 5)).toBe(5);
    expect(options.positiveNumber('S', 'timeoutMs', 0.5, 5)).toBe(0.5);
    expect(() => options.positiveNumber('S', 'timeoutMs', -1, 5)).toThrow(
      new StoreSetupError('S option timeoutMs must be a positive number, got -1'),
    );
    expect(() => options.positiveNumber('S', 'timeoutMs', 'secret-password', 5)).toThrow(/got a string$/);
    expect(options.integer('S', 'n', 3, 1)).toBe(3);
    expect(() => options.integer('S', 'n', 1.5, 1)).toThrow(StoreSetupError);
    expect(() => options.integer('S', 'n', 0, 1, 1)).toThrow(/at least 1/);
    expect(options.string('S', 'table', undefined, 'kv')).toBe('kv');
    expect(() => options.string('S', 'table', '', 'kv')).toThrow(/an empty string/);
    expect(options.boolean('S', 'b', undefined, true)).toBe(true);
    expect(() => options.boolean('S', 'b', 'yes', true)).toThrow(StoreSetupError);
    expect(options.object('S', 'options', undefined)).toEqual({});
    expect(() => options.object('S', 'options', 42 as unknown as object)).toThrow(
      /must be an object, got 42/,
    );
  });
});

describe('scrub and sanitized (driver errors kept as cause)', () => {
  it('scrub hides URL credentials and each given secret', () => {
    expect(scrub('redis://u:pw@h:1 and rediss://:pw2@h:2/0', [])).toBe(
      'redis://***@h:1 and rediss://***@h:2/0',
    );
    expect(scrub('auth s3cret failed (s3cret)', ['s3cret', ''])).toBe('auth *** failed (***)');
  });

  it('sanitized keeps name, string code and a cut, scrubbed message; nothing else', () => {
    const driver = Object.assign(new Error(`postgres://u:pw@db ${'x'.repeat(300)} s3cret`), {
      name: 'DriverError',
      code: 'ECONNREFUSED',
      args: ['a stored value'],
    });
    const copy = sanitized(driver, ['s3cret']);
    expect(copy.name).toBe('DriverError');
    expect((copy as Error & { code?: string }).code).toBe('ECONNREFUSED');
    expect(copy.message).toBe(`postgres://***@db ${'x'.repeat(200 - 'postgres://u:pw@db '.length)}…`);
    expect(copy.stack).toBe(`DriverError: ${copy.message}`);
    expect(copy).not.toHaveProperty('args');
    expect(sanitized(Object.assign(new Error('m'), { code: 7 }), [], 'told').message).toBe('told');
    expect(sanitized(Object.assign(new Error('m'), { code: 7 }), [])).not.toHaveProperty('code');
  });
});

describe('error policy classes', () => {
  it('only connection-type errors are retryable; StoreOperationError is permanent', async () => {
    const { StoreConnectionError, StoreTimeoutError, StoreOperationError, ValidationError, OAuthKVError } =
      await import('../src/errors.js');
    expect(new StoreConnectionError('x').retryable).toBe(true);
    expect(new StoreTimeoutError('x').retryable).toBe(true);
    const permanent = new StoreOperationError('PostgreSQL rejected the write (check_violation)');
    expect(permanent).toBeInstanceOf(OAuthKVError);
    expect(permanent.code).toBe('STORE_OPERATION');
    expect(permanent.retryable).toBe(false);
    expect(new StoreSetupError('x').retryable).toBe(false);
    expect(new ValidationError('x', []).retryable).toBe(false);
  });
});
