/**
 * The assertions of the conformance suite, independent of any test runner. Failures are
 * `AssertionError`s carrying `actual` and `expected`, which runners show as a diff.
 * @module
 */
import { AssertionError } from 'node:assert';

/** Fails the test with `message` (and a diff when `actual`/`expected` are given). */
export function fail(message: string, detail?: { actual?: unknown; expected?: unknown }): never {
  throw new AssertionError({
    message,
    actual: detail?.actual,
    expected: detail?.expected,
    operator: detail ? 'deepEqual' : 'fail',
  });
}

/** Structural equality of JSON-like data: members whose value is `undefined` count as absent. */
export function isEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => isEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && isEqual(ra[k], rb[k]));
}

/** `actual` equals `expected` structurally ({@link isEqual}). */
export function equal(actual: unknown, expected: unknown, message: string): void {
  if (!isEqual(actual, expected)) fail(message, { actual, expected });
}

/** `condition` holds. */
export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** A number in `[min, max]`. */
export function between(actual: unknown, min: number, max: number, message: string): void {
  if (typeof actual !== 'number' || !(actual >= min && actual <= max)) {
    fail(`${message}: expected a number between ${min} and ${max}, got ${String(actual)}`, {
      actual,
      expected: `${min}..${max}`,
    });
  }
}

/** The error `promise` rejects with, or a failure naming `what` when it resolves. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  return fail(`${what} should have been refused, but it resolved`, {
    actual: value,
    expected: 'a rejection',
  });
}

/** `promise` rejects with an error whose `code` is `code`; returns the error. */
export async function rejects(
  promise: Promise<unknown>,
  code: string,
  what: string,
): Promise<Error & { code: string }> {
  const err = await rejection(promise, what);
  const actual = (err as { code?: unknown } | null)?.code;
  if (actual !== code) {
    fail(`${what} should reject with code ${code}, got ${describeError(err)}`, {
      actual: actual ?? err,
      expected: code,
    });
  }
  return err as Error & { code: string };
}

/** The error's class, code and message, for failure messages. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `a non-Error ${typeof err}: ${String(err)}`;
  const code = (err as { code?: unknown }).code;
  return `${err.constructor.name}${code === undefined ? '' : ` (${String(code)})`}: ${err.message}`;
}

/** The message of `err` says what was found (clause `errors.found`): `found` matches it. */
export function saysFound(err: Error, found: RegExp, what: string): void {
  ok(found.test(err.message), `${what}: the message must say what was found (${found}), got: ${err.message}`);
}
