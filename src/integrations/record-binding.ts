/**
 * Binds an OAuth record to the place it was written (collection and key). Under encryption the
 * whole record is authenticated, so a database writer without the key cannot change the binding
 * field; copying a victim's record to another key (say, the hash of a token the attacker chose)
 * then fails on read instead of authenticating the attacker.
 * @module
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../contract.js';
import { RecordBindingError } from '../errors.js';

/** The member every bound record carries: the SHA-256 hex of `collection NUL key`. */
export const BINDING_FIELD = '_oauth_kv_at';

/**
 * Seals records with their place and checks the place on read. Disabled, it passes records through
 * and strips a binding member if one is present (so turning it on later keeps old records working
 * only after they are rewritten: records without the member are refused once it is on).
 *
 * @example
 * ```ts
 * const binder = new RecordBinder(true);
 * await store.put(key, binder.seal('codes', key, record), { collection: 'codes' });
 * const back = binder.open('codes', key, await store.get(key, { collection: 'codes' }));
 * ```
 */
export class RecordBinder {
  /** Whether records are sealed and checked. */
  readonly enabled: boolean;

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }

  /** A copy of `record` carrying its place (or `record` itself when disabled). */
  seal(collection: string, key: string, record: JsonObject): JsonObject {
    if (!this.enabled) return record;
    return { ...record, [BINDING_FIELD]: place(collection, key) };
  }

  /**
   * The record without its binding member; `undefined` stays `undefined`. Throws
   * {@link RecordBindingError} when enabled and the record is bound elsewhere or not bound.
   */
  open(collection: string, key: string, record: JsonObject | undefined): JsonObject | undefined {
    if (record === undefined) return undefined;
    const { [BINDING_FIELD]: at, ...rest } = record;
    if (this.enabled && at !== place(collection, key)) {
      throw new RecordBindingError(
        at === undefined
          ? `A record in collection "${collection}" carries no binding to its place; refused`
          : `A record in collection "${collection}" was written under another key or collection; refused`,
      );
    }
    return rest;
  }
}

function place(collection: string, key: string): string {
  return createHash('sha256').update(collection, 'utf8').update('\0').update(key, 'utf8').digest('hex');
}
