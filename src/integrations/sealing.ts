/**
 * The one sealing implementation of the OAuth integrations (internal, not a package entry).
 *
 * Every sealed value, whichever integration wrote it, has one stored form:
 * `oauth-kv-sealed:v1:` followed by base64url(12-byte IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag),
 * authenticated with its place (`collection NUL key`) as associated data, so a sealed value copied
 * to another record does not open.
 *
 * - {@link SecretSealer}: under keys kept outside the store, newest first (rotation): derived from
 *   the encryption keys of the store stack for a purpose, or expanded from a given secret with
 *   HKDF-SHA-256 labelled with that purpose. For what the server needs back although nothing secret
 *   names it: client secrets, upstream tokens.
 * - {@link BearerVault}: under a key only the bearer value itself gives (its keyed hash under a
 *   label), so the store never holds what opens the record stored under the value's hash.
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { JsonObject } from '../contract.js';
import { DecryptionError, RecordBindingError, StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import { isPlainObject } from '../validation.js';
import type { BearerHasher, BearerSecret } from './bearer-hash.js';

/** The prefix of every sealed value (stored format version 1). */
export const SEALED_PREFIX = 'oauth-kv-sealed:v1:';

/** The purpose label of the keys client secrets are sealed under. */
export const CLIENT_SECRET_PURPOSE = 'oauth-kv client secret v1';

/** The purpose label of the keys an OAuth proxy's upstream tokens are sealed under. */
export const UPSTREAM_TOKEN_PURPOSE = 'oauth-kv upstream tokens v1';

/** HKDF salt of keys expanded from a given secret. */
const HKDF_SALT = 'oauth-kv sealing';
/** Prefix of the input whose keyed hash is the sealing key of a bearer value (never a storage key). */
const VAULT_LABEL = '\u0000oauth-kv seal v1\u0000';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Secrets an option takes: one, or several newest first. */
export type SecretOption = BearerSecret | readonly BearerSecret[];

/** The secrets of an option as a list, newest first; a {@link StoreSetupError} for anything else. */
export function secretList(option: SecretOption, name: string): readonly BearerSecret[] {
  const list = typeof option === 'string' || option instanceof Uint8Array ? [option] : option;
  if (!Array.isArray(list) || list.length === 0) {
    throw new StoreSetupError(`${name} must be a string, a Uint8Array or a non-empty list of them`);
  }
  return list;
}

/** The place a sealed value is authenticated with: its collection and key. */
export function placeOf(collection: string, key: string): string {
  return `${collection}\u0000${key}`;
}

/** The object a sealed text holds, or `undefined` when it is not a JSON object. */
export function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seals and opens values under keys kept outside the store: seals with the newest, opens with any,
 * and tells whether a value is sealed under the newest ({@link SecretSealer.isCurrent}, for reseal).
 */
export class SecretSealer {
  readonly #keys: readonly Uint8Array[];

  private constructor(keys: readonly Uint8Array[]) {
    this.#keys = keys;
  }

  /**
   * The sealer of a store stack for `purpose`: from `secret` when given (each at least 16 bytes,
   * newest first; HKDF-SHA-256 with the purpose as info), else from the stack's encryption keys,
   * else `undefined` (no key material).
   */
  static forStore(
    store: unknown,
    purpose: string,
    secret?: SecretOption | undefined,
  ): SecretSealer | undefined {
    if (secret !== undefined) {
      return new SecretSealer(secretList(secret, 'sealSecret').map((one) => expand(one, purpose)));
    }
    const derived = deriveStoreSecrets(store, purpose);
    return derived === undefined ? undefined : new SecretSealer(derived);
  }

  /** `true` for a value in the sealed format. */
  static isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
  }

  /** `text` sealed under the newest key for its place. */
  seal(text: string, collection: string, key: string): string {
    return sealWith(this.#keys[0] as Uint8Array, placeOf(collection, key), text);
  }

  /** The text of a sealed value; a {@link DecryptionError} when no key opens it at this place. */
  open(sealed: unknown, collection: string, key: string): string {
    const opened = openWith(this.#keys, placeOf(collection, key), sealed);
    if (opened === undefined) throw unopenable(collection);
    return opened.text;
  }

  /** `true` when `sealed` opens at its place under the newest key (no reseal needed). */
  isCurrent(sealed: unknown, collection: string, key: string): boolean {
    const opened = openWith(this.#keys, placeOf(collection, key), sealed);
    if (opened === undefined) throw unopenable(collection);
    return opened.index === 0;
  }
}

/**
 * Storage keys and sealing of bearer values: `key()`/`keys()` are the value's hashes (newest secret
 * first); `seal()`/`open()` encrypt what goes with the value under a key only the value (and the
 * hashing secret) gives. Index `i` of `keys()` pairs with sealing index `i`.
 */
export class BearerVault {
  readonly #hasher: BearerHasher;

  constructor(hasher: BearerHasher) {
    this.#hasher = hasher;
  }

  /** `true` when hashing is keyed (HMAC under a secret). */
  get keyed(): boolean {
    return this.#hasher.keyed;
  }

  /** The storage key of `value` under the newest secret. */
  key(value: string): string {
    return this.#hasher.hash(value);
  }

  /** Every storage key `value` may be under, newest secret first. */
  keys(value: string): string[] {
    return this.#hasher.candidates(value);
  }

  /** `text` sealed under `value` (newest secret) for its place. */
  seal(value: string, text: string, collection: string, key: string): string {
    return sealWith(
      Buffer.from(this.#hasher.hash(VAULT_LABEL + value), 'hex'),
      placeOf(collection, key),
      text,
    );
  }

  /**
   * What {@link BearerVault.seal} sealed under `value` with secret `index`; a
   * {@link RecordBindingError} when it does not open at this place (moved, copied, tampered with).
   */
  open(value: string, index: number, sealed: unknown, collection: string, key: string): string {
    const hash = this.#hasher.candidates(VAULT_LABEL + value)[index];
    const opened =
      hash === undefined ? undefined : openWith([Buffer.from(hash, 'hex')], placeOf(collection, key), sealed);
    if (opened === undefined) {
      throw new RecordBindingError(
        `A sealed record in collection "${collection}" does not open here (moved, copied, tampered with or sealed under other keys); refused`,
      );
    }
    return opened.text;
  }

  /** {@link BearerVault.open} of a sealed JSON object; a {@link RecordBindingError} for anything else. */
  openObject(value: string, index: number, sealed: unknown, collection: string, key: string): JsonObject {
    const object = parseObject(this.open(value, index, sealed, collection, key));
    if (object === undefined) {
      throw new RecordBindingError(`A sealed record in collection "${collection}" holds no object; refused`);
    }
    return object;
  }
}

/**
 * The text of a value `sealer` sealed; a {@link DecryptionError} when it does not open, or when no
 * sealer is configured (no key material) to open it.
 */
export function openSealed(
  sealer: SecretSealer | undefined,
  sealed: unknown,
  collection: string,
  key: string,
): string {
  if (sealer === undefined) throw unopenable(collection);
  return sealer.open(sealed, collection, key);
}

function unopenable(collection: string): DecryptionError {
  return new DecryptionError(
    `A sealed value in collection "${collection}" does not open with the configured keys (tampered with, moved to another record, or sealed under a key no longer configured); refused`,
  );
}

/** A 32-byte sealing key from a given secret for `purpose`. */
function expand(secret: BearerSecret, purpose: string): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) {
    throw new StoreSetupError('A sealing secret must be a string or Uint8Array of at least 16 bytes');
  }
  return new Uint8Array(hkdfSync('sha256', bytes, HKDF_SALT, purpose, 32));
}

function sealWith(key: Uint8Array, place: string, text: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(place, 'utf8'));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The text and the index of the key that opens `sealed` at `place`; `undefined` when none does. */
function openWith(
  keys: readonly Uint8Array[],
  place: string,
  sealed: unknown,
): { text: string; index: number } | undefined {
  if (!SecretSealer.isSealed(sealed)) return undefined;
  const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
  for (const [index, key] of keys.entries()) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(place, 'utf8'));
      decipher.setAuthTag(tag);
      return { text: Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'), index };
    } catch {
      // the next key, if any
    }
  }
  return undefined;
}
