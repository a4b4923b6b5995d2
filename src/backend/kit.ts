/**
 * The backend kit: the few helpers every store needs besides its primitives, written once. Lazy
 * loading of an optional driver package, a client created once on first use, bounded concurrency,
 * sleeping, and option checks that always fail with `StoreSetupError`.
 * @module
 */
import { StoreSetupError } from '../errors.js';

/**
 * Imports an optional peer package on first use. A missing package is a {@link StoreSetupError}
 * that names the package and how to install it.
 *
 * @example
 * ```ts
 * import { loadPeer } from 'oauth-kv/backend';
 * const pg = await loadPeer('MyStore', 'pg', () => import('pg'));
 * ```
 */
export async function loadPeer<T>(store: string, packageName: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new StoreSetupError(`${store} needs the "${packageName}" package: npm install ${packageName}`, {
      cause: err,
    });
  }
}

/**
 * A value created once, on first use, by an async factory. A failed creation is forgotten, so the
 * next call tries again (a server that was down at start does not break the store for good).
 *
 * @example
 * ```ts
 * import { Lazy } from 'oauth-kv/backend';
 * const pool = new Lazy(async () => {
 *   const { default: pg } = await import('pg');
 *   return new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * });
 * const p = await pool.get(); // connects once
 * ```
 */
export class Lazy<T> {
  readonly #create: () => Promise<T>;
  #pending: Promise<T> | undefined;

  constructor(create: () => Promise<T>) {
    this.#create = create;
  }

  /** The value, creating it on the first call (concurrent first calls share one creation). */
  get(): Promise<T> {
    if (this.#pending === undefined) {
      const pending = this.#create();
      this.#pending = pending;
      pending.catch(() => {
        if (this.#pending === pending) this.#pending = undefined;
      });
    }
    return this.#pending;
  }

  /** The creation under way or done, if any, without starting one; and forgets it. */
  reset(): Promise<T> | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending;
  }

  /** `true` once a creation was started and not forgotten. */
  get started(): boolean {
    return this.#pending !== undefined;
  }
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; results in input order. On the
 * first failure no new call starts, the calls in flight are awaited, and the first error is thrown.
 *
 * @example
 * ```ts
 * import { mapLimit } from 'oauth-kv/backend';
 * import { stat } from 'node:fs/promises';
 * const files = ['a.json', 'b.json', 'c.json'];
 * const sizes = await mapLimit(files, 8, async (f) => (await stat(f)).size);
 * ```
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { sleep } from 'oauth-kv/backend';
 * await sleep(50);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Option checks for store constructors. Each returns the value (or the default when `undefined`)
 * and throws {@link StoreSetupError} naming the store and the option otherwise.
 *
 * @example
 * ```ts
 * import { options } from 'oauth-kv/backend';
 * declare const opts: { timeoutMs?: number }; // what the user passed
 * const timeout = options.positiveNumber('MyStore', 'timeoutMs', opts.timeoutMs, 5_000);
 * ```
 */
export const options = {
  /** A finite number above 0. */
  positiveNumber(store: string, name: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new StoreSetupError(`${store} option ${name} must be a positive number, got ${describe(value)}`);
    }
    return value;
  },
  /** An integer of at least `min`. */
  integer(store: string, name: string, value: unknown, fallback: number, min = 1): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new StoreSetupError(
        `${store} option ${name} must be an integer of at least ${min}, got ${describe(value)}`,
      );
    }
    return value;
  },
  /** A non-empty string. */
  string(store: string, name: string, value: unknown, fallback?: string): string {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) {
      throw new StoreSetupError(`${store} option ${name} must be a non-empty string, got ${describe(value)}`);
    }
    return value;
  },
  /** A boolean. */
  boolean(store: string, name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      throw new StoreSetupError(`${store} option ${name} must be true or false, got ${describe(value)}`);
    }
    return value;
  },
  /** A plain object (the options argument itself, say). */
  object<T extends object>(store: string, name: string, value: T | undefined): T | Record<string, never> {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StoreSetupError(`${store} ${name} must be an object, got ${describe(value)}`);
    }
    return value;
  },
} as const;

/** A short description of a bad option value that never echoes a long or secret string. */
function describe(value: unknown): string {
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
