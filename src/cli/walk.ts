/**
 * Walking a store for the long commands: counting entries first (for the progress bar), paging
 * through keys, and stopping cleanly at a page boundary on Ctrl-C or SIGTERM.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { CliError } from './common.js';

/** Keys per page (the `--page-size` default). */
export const DEFAULT_PAGE_SIZE = 200;

/** One page of keys and the cursor that continues after it (`undefined` after the last page). */
export interface Page {
  readonly keys: string[];
  readonly next: string | undefined;
}

/**
 * Every page of keys of `collection`, in the store's order, starting at the cursor `from` (a `next`
 * a page of an earlier walk handed out) or at the beginning.
 */
export async function* cursorPages(
  store: AsyncKeyValue,
  collection: string,
  limit: number,
  from?: string,
): AsyncGenerator<Page> {
  let cursor = from;
  do {
    const page = await store.keys(collection, { limit, cursor });
    if (page.keys.length > 0) yield { keys: page.keys, next: page.cursor };
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Every page of keys of `collection`, in the store's order. */
export async function* pages(
  store: AsyncKeyValue,
  collection: string,
  limit: number,
): AsyncGenerator<string[]> {
  for await (const page of cursorPages(store, collection, limit)) yield page.keys;
}

/**
 * How many keys `collection` holds (from the cursor `from` on, when given), and up to `sample` of
 * them spread over the collection.
 */
export async function census(
  store: AsyncKeyValue,
  collection: string,
  limit: number,
  sample = 0,
  from?: string,
): Promise<{ count: number; sample: string[] }> {
  let count = 0;
  const picked: string[] = [];
  for await (const { keys } of cursorPages(store, collection, limit, from)) {
    for (const key of keys) {
      count++;
      // Reservoir sampling: every key has the same chance, in one pass.
      if (picked.length < sample) picked.push(key);
      else if (sample > 0) {
        const j = Math.floor(Math.random() * count);
        if (j < sample) picked[j] = key;
      }
    }
  }
  return { count, sample: picked };
}

/** Fails with a clear line unless the store can list collections and keys. */
export function requireListing(store: AsyncKeyValue, what: string): void {
  if (!store.capabilities.keys || !store.capabilities.collections) {
    throw new CliError(`${what} needs a store that can list its collections and keys; this one cannot`);
  }
}

/** Set once Ctrl-C or SIGTERM arrived: the command stops at the next page boundary. */
export interface Interruption {
  readonly requested: boolean;
  /** Removes the signal handlers. */
  dispose(): void;
}

/** Catches SIGINT and SIGTERM (a second one exits at once). */
export function catchInterruption(): Interruption {
  let requested = false;
  const handler = () => {
    if (requested) process.exit(130);
    requested = true;
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Seconds left until `deadline` (`null`: no expiry), `undefined` for no TTL, or `false` once passed. */
export function remaining(deadline: number | null): number | undefined | false {
  if (deadline === null) return undefined;
  const left = (deadline - Date.now()) / 1000;
  return left > 0 ? left : false;
}

/** Parses a positive integer option. */
export function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`${name} must be a positive integer`, 2);
  return n;
}
