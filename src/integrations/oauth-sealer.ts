/**
 * Field-level sealing of secrets that must come back in clear (a client secret the MCP SDK compares,
 * upstream tokens a proxy calls its provider with): AES-256-GCM under a key derived from the
 * encryption keys of the store stack, or from an explicit secret, with the record's place as
 * associated data, so a sealed value is useless to a database reader and refused when moved.
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DecryptionError, StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import type { BearerSecret } from './bearer-hash.js';

/** The prefix of every sealed value (format version 1). */
export const SEALED_PREFIX = 'oauth-kv-sealed:v1:';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals and opens short secrets. Several keys (rotation): seals with the first, opens with any.
 *
 * @example
 * ```ts
 * const sealer = SecretSealer.forStore(store, 'oauth-kv client secret v1');
 * const sealed = sealer?.seal('s3cret', 'clients\0client-1');
 * ```
 */
export class SecretSealer {
  readonly #keys: readonly Buffer[];

  private constructor(keys: readonly Buffer[]) {
    this.#keys = keys;
  }

  /**
   * The sealer of a store stack for `purpose`: from `secret` when given (at least 16 bytes each,
   * newest first), else from the stack's encryption keys, else `undefined` (no key material).
   */
  static forStore(
    store: unknown,
    purpose: string,
    secret?: BearerSecret | readonly BearerSecret[] | undefined,
  ): SecretSealer | undefined {
    if (secret !== undefined) {
      const list: readonly BearerSecret[] =
        typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : secret;
      if (list.length === 0) throw new StoreSetupError('A sealing secret list must not be empty');
      return new SecretSealer(list.map((one) => expand(one, purpose)));
    }
    const derived = deriveStoreSecrets(store, purpose);
    return derived === undefined ? undefined : new SecretSealer(derived.map((key) => Buffer.from(key)));
  }

  /** `true` for a value in the sealed format. */
  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
  }

  /** `plaintext` sealed under the newest key, bound to `context` (the record's place). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext of a sealed value; a {@link DecryptionError} when no key opens it at `context`. */
  open(sealed: string, context: string): string {
    return this.#open(sealed, context).plaintext;
  }

  /** `true` when `sealed` opens at `context` under the newest key (no reseal needed). */
  isCurrent(sealed: string, context: string): boolean {
    return this.#open(sealed, context).index === 0;
  }

  #open(sealed: string, context: string): { plaintext: string; index: number } {
    const bytes = SecretSealer.isSealed(sealed)
      ? Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url')
      : Buffer.alloc(0);
    if (bytes.length >= IV_BYTES + TAG_BYTES) {
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      for (const [index, key] of this.#keys.entries()) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv);
          decipher.setAAD(Buffer.from(context, 'utf8'));
          decipher.setAuthTag(tag);
          const plaintext = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
          return { plaintext, index };
        } catch {
          // the next key, if any
        }
      }
    }
    throw new DecryptionError(
      'A sealed secret could not be opened: tampered, moved to another record, or sealed under a key no longer configured',
    );
  }
}

function expand(secret: BearerSecret, purpose: string): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) {
    throw new StoreSetupError('A sealing secret must be a string or Uint8Array of at least 16 bytes');
  }
  return Buffer.from(hkdfSync('sha256', bytes, 'oauth-kv sealing', purpose, 32));
}
