/**
 * The checks every error-policy test makes (test/redis-errors.test.ts, test/postgres-errors.test.ts):
 * an error's class, code and `retryable`, with none of the test's secrets anywhere in it (deep scan,
 * see secret-scan.ts); and a retry wrapper that records the retries it makes.
 */
import { expect } from 'vitest';
import type { AsyncKeyValue } from '../../src/contract.js';
import type { OAuthKVError } from '../../src/errors.js';
import { RetryWrapper } from '../../src/wrappers/retry.js';
import { errorText } from './secret-scan.js';

/** `expectError(err, type, code, retryable)`, failing too when any of `secrets` shows in the error. */
export function errorPolicy(secrets: readonly string[]) {
  return {
    /** Asserts the error's class, code and retryability, and that it shows no secret. */
    expectError(
      err: unknown,
      type: abstract new (...args: never[]) => OAuthKVError,
      code: string,
      retryable: boolean,
    ): void {
      expect(err).toBeInstanceOf(type);
      expect((err as OAuthKVError).code).toBe(code);
      expect((err as OAuthKVError).retryable).toBe(retryable);
      const text = errorText(err);
      for (const secret of secrets) expect(text).not.toContain(secret);
    },
  };
}

/** A retry wrapper (no delay, non-idempotent operations too) over `store` that records its retries. */
export function counted(store: AsyncKeyValue, retries = 3) {
  const seen: number[] = [];
  const wrapped = new RetryWrapper(store, {
    retries,
    baseDelayMs: 0,
    retryNonIdempotent: true,
    onRetry: (info) => seen.push(info.attempt),
  });
  return { wrapped, retries: seen };
}
