/**
 * At-rest protection shared by the oidc-provider and FastMCP integrations (internal, not a package
 * entry):
 *
 * - {@link BearerVault}: a bearer value (token, code, user code, registration access token) is
 *   stored only as its hash ({@link BearerHasher}); what the server needs back with it (the payload,
 *   or the id a lookup leads to) is sealed with AES-256-GCM under a key derived from the bearer
 *   value itself (and the hashing secret, when there is one). The store never holds the value, so a
 *   database reader can neither use the record's key nor open its payload.
 * - {@link SecretSealer}: values the server needs back in plaintext although nothing secret names
 *   them (a client's `client_secret`) are sealed under a secret kept outside the store: one derived
 *   from the encryption keys, or one given.
 * - {@link resolveProtection}: the defaults of both integrations from one options object.
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { AsyncKeyValue } from '../contract.js';
import { DecryptionError, type OAuthKVError, RecordBindingError, StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import { BEARER_HASH_PURPOSE, BearerHasher, type BearerSecret } from './bearer-hash.js';
import { RecordBinder } from './record-binding.js';

/** The purpose label of secrets derived from the encryption keys for sealing client secrets. */
export const CLIENT_SECRET_PURPOSE = 'oauth-kv client secret v1';

/** Prefix of the input whose hash is the sealing key of a bearer value (never a storage key). */
const SEAL_LABEL = '\u0000oauth-kv seal v1\u0000';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Secrets accepted by the protection options: one, or several newest first. */
export type SecretOption = BearerSecret | readonly BearerSecret[];

/**
 * The at-rest options both integrations take.
 *
 * @example
 * ```ts
 * const options: ProtectionOptions = { hashSecret: process.env.TOKEN_HASH_SECRET };
 * ```
 */
export interface ProtectionOptions {
  /**
   * Secret(s) for hashing bearer values with HMAC-SHA-256, newest first. Default: derived from the
   * encryption keys of the store stack when it has any, else plain SHA-256. `false` forces plain
   * SHA-256 even under encryption.
   */
  hashSecret?: SecretOption | false | undefined;
  /**
   * Secret(s) sealing client secrets, newest first. Default: derived from the encryption keys of the
   * store stack, else from an explicit `hashSecret`. With neither, storing a client secret throws
   * {@link StoreSetupError} unless `allowUnprotectedSecrets` is set.
   */
  clientSecretKey?: SecretOption | undefined;
  /**
   * Accept storing what cannot be protected without key material (default `false`): client secrets
   * in plaintext, device-flow user codes under unkeyed SHA-256 (8 letters are guessed offline in
   * seconds). Only for development or a store nobody else can read.
   */
  allowUnprotectedSecrets?: boolean | undefined;
  /**
   * Bind every record to its collection and key ({@link RecordBinder}); a record read anywhere else
   * is refused. Default: on when the store stack encrypts (then the binding is authenticated).
   */
  bindRecords?: boolean | undefined;
  /**
   * Called with the typed error ({@link RecordBindingError}, {@link DecryptionError}) when a stored
   * record is refused (moved, copied, tampered with, foreign, or sealed under keys no longer
   * configured); the flow then treats the record as absent. Default: `process.emitWarning(error)`.
   * The error names the collection only, never a key or a value.
   */
  onRecordRefused?: ((error: OAuthKVError) => void) | undefined;
}

/** What {@link resolveProtection} settles. */
export interface Protection {
  readonly vault: BearerVault;
  /** `undefined` when no key material is configured. */
  readonly secrets: SecretSealer | undefined;
  readonly binder: RecordBinder;
  readonly allowUnprotected: boolean;
  readonly refused: (error: OAuthKVError) => void;
}

/**
 * Settles the at-rest protection of an integration on `store` from its options (validated here, so
 * a bad option fails when the integration is created).
 */
export function resolveProtection(store: AsyncKeyValue, options: ProtectionOptions): Protection {
  const { hashSecret, clientSecretKey, allowUnprotectedSecrets, bindRecords, onRecordRefused } = options;
  if (allowUnprotectedSecrets !== undefined && typeof allowUnprotectedSecrets !== 'boolean') {
    throw new TypeError('allowUnprotectedSecrets must be a boolean');
  }
  if (bindRecords !== undefined && typeof bindRecords !== 'boolean') {
    throw new TypeError('bindRecords must be a boolean');
  }
  if (onRecordRefused !== undefined && typeof onRecordRefused !== 'function') {
    throw new TypeError('onRecordRefused must be a function');
  }
  const encrypted = deriveStoreSecrets(store, BEARER_HASH_PURPOSE) !== undefined;
  const hasher = BearerHasher.forStore(store, { secret: hashSecret });
  let sealKeys: Uint8Array[] | undefined;
  if (clientSecretKey !== undefined) {
    sealKeys = toList(clientSecretKey).map((secret) => expand(secret));
  } else {
    sealKeys = deriveStoreSecrets(store, CLIENT_SECRET_PURPOSE);
    if (sealKeys === undefined && hashSecret !== undefined && hashSecret !== false) {
      sealKeys = toList(hashSecret).map((secret) => expand(secret));
    }
  }
  return {
    vault: new BearerVault(hasher),
    secrets: sealKeys === undefined ? undefined : new SecretSealer(sealKeys),
    binder: new RecordBinder(bindRecords ?? encrypted),
    allowUnprotected: allowUnprotectedSecrets === true,
    refused: onRecordRefused ?? ((error) => process.emitWarning(error)),
  };
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

  /** Seals `text` under `value` (newest secret), authenticated with `aad` (the record's place). */
  seal(value: string, aad: string, text: string): string {
    return aesSeal(Buffer.from(this.#hasher.hash(SEAL_LABEL + value), 'hex'), aad, text);
  }

  /** Opens what {@link seal} made for `value` under secret `index`; `undefined` when it does not open. */
  open(value: string, index: number, aad: string, sealed: unknown): string | undefined {
    const key = this.#hasher.candidates(SEAL_LABEL + value)[index];
    if (key === undefined || typeof sealed !== 'string') return undefined;
    return aesOpen(Buffer.from(key, 'hex'), aad, sealed);
  }
}

/** AES-256-GCM sealing of values under secrets kept outside the store, newest first. */
export class SecretSealer {
  readonly #keys: readonly Uint8Array[];

  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0 || keys.some((key) => key.length !== 32)) {
      throw new StoreSetupError('A secret sealer needs one or more 32-byte keys');
    }
    this.#keys = keys;
  }

  /** Seals `text` under the newest key, authenticated with `aad`. */
  seal(aad: string, text: string): string {
    return aesSeal(this.#keys[0] as Uint8Array, aad, text);
  }

  /** Opens `sealed` with whichever key sealed it; `undefined` when none does. */
  open(aad: string, sealed: unknown): string | undefined {
    if (typeof sealed !== 'string') return undefined;
    for (const key of this.#keys) {
      const text = aesOpen(key, aad, sealed);
      if (text !== undefined) return text;
    }
    return undefined;
  }
}

/**
 * Runs a read for `protection`; a record refused on the way ({@link RecordBindingError},
 * {@link DecryptionError}) is reported to `onRecordRefused` and reads as `undefined`.
 */
export async function refuse<T>(protection: Protection, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof RecordBindingError || err instanceof DecryptionError) {
      protection.refused(err);
      return undefined;
    }
    throw err;
  }
}

/** The error for a stored client secret that none of the configured keys opens. */
export function unsealableSecret(collection: string): DecryptionError {
  return new DecryptionError(
    `A sealed client secret in collection "${collection}" does not open with the configured keys; the record is refused`,
  );
}

/** The error for a sealed payload that does not open at the place it was read from. */
export function unsealablePayload(collection: string): RecordBindingError {
  return new RecordBindingError(
    `A sealed record in collection "${collection}" does not open here (moved, copied, tampered with or sealed under other keys); refused`,
  );
}

/** The error for a client secret that would be stored without any key material. */
export function unprotectedSecret(what: string): StoreSetupError {
  return new StoreSetupError(
    `Refusing to store ${what} without key material: wrap the store with withEncryption, pass hashSecret or clientSecretKey, or set allowUnprotectedSecrets: true (development only)`,
  );
}

function toList(option: SecretOption): readonly BearerSecret[] {
  const list = typeof option === 'string' || option instanceof Uint8Array ? [option] : option;
  if (!Array.isArray(list) || list.length === 0) {
    throw new StoreSetupError('A secret option must be a string, a Uint8Array or a non-empty list of them');
  }
  return list;
}

/** A 32-byte sealing key from a given secret (HKDF-SHA-256, labelled with the purpose). */
function expand(secret: BearerSecret): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < 16) {
    throw new StoreSetupError('A sealing secret must be a string or Uint8Array of at least 16 bytes');
  }
  return new Uint8Array(hkdfSync('sha256', bytes, new Uint8Array(0), CLIENT_SECRET_PURPOSE, 32));
}

function aesSeal(key: Uint8Array, aad: string, text: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

function aesOpen(key: Uint8Array, aad: string, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return undefined;
  }
}
