/**
 * How the OAuth integrations turn a bearer value (token, code, registration access token, user
 * code) into the key it is stored under, so no store ever holds a usable bearer value.
 *
 * - With a secret (given, or derived from the encryption keys of the store stack): HMAC-SHA-256
 *   under it, as 64 hex digits. A database reader cannot test guesses offline without the secret.
 * - Without: SHA-256, as 64 hex digits. Bearer values are 256-bit random, so the hash is not
 *   reversible, but a reader who already holds a token can confirm it is live.
 *
 * With several secrets (key rotation) new keys use the newest; lookups try every one, newest first,
 * in one bulk read.
 * @module
 */
import { createHash, createHmac } from 'node:crypto';
import { StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';

/** A secret for bearer hashing: text (UTF-8) or bytes, at least 16 bytes. */
export type BearerSecret = string | Uint8Array;

/** The purpose label of secrets derived from encryption keys for bearer hashing. */
export const BEARER_HASH_PURPOSE = 'oauth-kv bearer hash v1';

/**
 * Hashes bearer values for storage: `hash()` for writing, `candidates()` for lookups across
 * rotated secrets.
 *
 * @example
 * ```ts
 * const hasher = BearerHasher.forStore(store, { secret: process.env.TOKEN_HASH_SECRET });
 * await store.put(hasher.hash(code), record, { collection: 'codes', ttl: 300 });
 * ```
 */
export class BearerHasher {
  readonly #secrets: readonly Uint8Array[] | undefined;

  /** @param secrets Newest first; `undefined` or empty for plain SHA-256. */
  constructor(secrets?: readonly BearerSecret[] | undefined) {
    if (secrets === undefined || secrets.length === 0) {
      this.#secrets = undefined;
      return;
    }
    this.#secrets = secrets.map((secret) => {
      const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
      if (!(bytes instanceof Uint8Array) || bytes.length < 16) {
        throw new StoreSetupError(
          'A bearer hashing secret must be a string or Uint8Array of at least 16 bytes',
        );
      }
      return Uint8Array.from(bytes);
    });
  }

  /**
   * The hasher for a store stack: `secret` when given (`false` forces plain SHA-256), else secrets
   * derived from the stack's encryption keys, else plain SHA-256.
   */
  static forStore(
    store: unknown,
    options: { secret?: BearerSecret | readonly BearerSecret[] | false | undefined } = {},
  ): BearerHasher {
    const { secret } = options;
    if (secret === false) return new BearerHasher();
    if (secret !== undefined) {
      return new BearerHasher(typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : secret);
    }
    return new BearerHasher(deriveStoreSecrets(store, BEARER_HASH_PURPOSE));
  }

  /** `true` when hashing is keyed (HMAC); `false` for plain SHA-256. */
  get keyed(): boolean {
    return this.#secrets !== undefined;
  }

  /** The storage key of a bearer value under the newest secret. */
  hash(value: string): string {
    const secret = this.#secrets?.[0];
    return secret === undefined
      ? createHash('sha256').update(value, 'utf8').digest('hex')
      : createHmac('sha256', secret).update(value, 'utf8').digest('hex');
  }

  /** Every storage key the value may be under, newest secret first (one entry without rotation). */
  candidates(value: string): string[] {
    if (this.#secrets === undefined || this.#secrets.length === 1) return [this.hash(value)];
    return this.#secrets.map((secret) => createHmac('sha256', secret).update(value, 'utf8').digest('hex'));
  }
}
