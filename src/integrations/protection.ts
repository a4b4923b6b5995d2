/**
 * The protection options every OAuth integration takes (`oauth-kv/mcp`, `oauth-kv/oidc-provider`,
 * `oauth-kv/fastmcp`) and the one resolver that turns them into a hasher, sealers, a record binder
 * and a refusal reporter (internal; each entry re-exports {@link ProtectionOptions}).
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { OAuthKVError, StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import { BEARER_HASH_PURPOSE, BearerHasher } from './bearer-hash.js';
import { RecordBinder } from './record-binding.js';
import {
  BearerVault,
  CLIENT_SECRET_PURPOSE,
  type SecretOption,
  SecretSealer,
  secretList,
  UPSTREAM_TOKEN_PURPOSE,
} from './sealing.js';

/**
 * How the OAuth layer protects what it stores: the same options, names and defaults for
 * `OAuthStateStore` / `OAuthClientsStore` (`oauth-kv/mcp`), `createOidcAdapter`
 * (`oauth-kv/oidc-provider`) and `FastMCPTokenStorage` (`oauth-kv/fastmcp`). With a store wrapped in
 * `withEncryption` the defaults are the strongest setting and none needs to be given; see
 * docs/security.md for what each protects against.
 *
 * Every secret is a string (UTF-8) or bytes of at least 16 bytes, or a non-empty list of them,
 * newest first: new values use the first, reads try every one (key rotation). A secret is used
 * only for its own purpose: `hashSecret` never stands in for a missing `sealSecret`, so whoever
 * holds the hashing secret (say, tooling that finds a token's record) cannot open client secrets.
 *
 * @example
 * ```ts
 * import type { ProtectionOptions } from 'oauth-kv/mcp'; // the same interface in oauth-kv/oidc-provider and oauth-kv/fastmcp
 *
 * // A store without encryption: give both secrets (the same on every replica).
 * const protection: ProtectionOptions = {
 *   hashSecret: process.env.OAUTH_HASH_SECRET,
 *   sealSecret: [process.env.OAUTH_SEAL_SECRET!, process.env.OAUTH_OLD_SEAL_SECRET!], // newest first
 *   onRecordRefused: (error, { collection }) => console.warn(`refused a record in ${collection}: ${error.code}`),
 * };
 * ```
 */
export interface ProtectionOptions {
  /**
   * Secret(s) bearer values (tokens, codes, transaction ids, user codes) are hashed under
   * (HMAC-SHA-256) to become storage keys. Default: derived from the encryption keys of the store
   * stack (`withEncryption`), else plain SHA-256. `false` forces plain SHA-256 even under encryption.
   */
  hashSecret?: SecretOption | false | undefined;
  /**
   * Secret(s) client secrets and an OAuth proxy's upstream tokens are sealed under (AES-256-GCM, a
   * key per purpose expanded with HKDF-SHA-256). Default: derived from the encryption keys of the
   * store stack. With neither, storing such a secret throws `StoreSetupError` and writes nothing,
   * unless `allowUnprotectedSecrets` is set.
   */
  sealSecret?: SecretOption | undefined;
  /**
   * Bind every record to its collection and key (`_oauth_kv_at`); a record read anywhere else is
   * refused. Default: on when the store stack encrypts (the binding is then authenticated), off
   * without encryption (a database writer could forge it). MCP client registrations are checked by
   * their `client_id` instead, always.
   */
  bindRecords?: boolean | undefined;
  /**
   * Store what cannot be protected without key material instead of refusing it (default `false`):
   * client secrets and upstream tokens in plaintext when there is no `sealSecret` and no
   * encryption, device-flow user codes under unkeyed SHA-256 (8 letters are enumerated offline).
   * Only for development or a store nobody else can read.
   */
  allowUnprotectedSecrets?: boolean | undefined;
  /**
   * Told about every stored record that is refused (written under another key or collection,
   * tampered with, malformed, or sealed under keys no longer configured) and then treated as
   * absent: the typed error (`RecordBindingError`, `DecryptionError`, `DeserializationError`) and
   * the collection. Neither names a key or a value. Default: `process.emitWarning(error)`. An
   * exception thrown here is ignored, so a failing log hook never turns a refusal into a server
   * error.
   */
  onRecordRefused?: ((error: OAuthKVError, context: { collection: string }) => void) | undefined;
}

/** What {@link resolveProtection} settles for one integration on one store. */
export interface Protection {
  /** Storage keys of bearer values. */
  readonly hasher: BearerHasher;
  /** Storage keys and sealing of bearer values and what comes with them. */
  readonly vault: BearerVault;
  /** Binds records to their place (or passes them through). */
  readonly binder: RecordBinder;
  /** Seals client secrets; `undefined` without key material. */
  readonly clientSecrets: SecretSealer | undefined;
  /** Seals upstream tokens; `undefined` without key material. */
  readonly upstreamTokens: SecretSealer | undefined;
  /** `allowUnprotectedSecrets`. */
  readonly allowUnprotected: boolean;
  /** Reports a refused record in `collection` (a failing hook is ignored). */
  refused(error: OAuthKVError, collection: string): void;
}

/**
 * Settles the protection of an integration on `store` from its options, validating them (a bad
 * option fails when the integration is created).
 */
export function resolveProtection(store: AsyncKeyValue, options: ProtectionOptions): Protection {
  const { hashSecret, sealSecret, bindRecords, allowUnprotectedSecrets, onRecordRefused } = options;
  for (const [name, value] of [
    ['bindRecords', bindRecords],
    ['allowUnprotectedSecrets', allowUnprotectedSecrets],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean')
      throw new StoreSetupError(`${name} must be a boolean`);
  }
  if (onRecordRefused !== undefined && typeof onRecordRefused !== 'function') {
    throw new StoreSetupError('onRecordRefused must be a function');
  }
  const hasher =
    hashSecret === undefined || hashSecret === false
      ? BearerHasher.forStore(store, { secret: hashSecret })
      : new BearerHasher(secretList(hashSecret, 'hashSecret'));
  const report = onRecordRefused ?? ((error: OAuthKVError) => process.emitWarning(error));
  return Object.freeze({
    hasher,
    vault: new BearerVault(hasher),
    binder: new RecordBinder(bindRecords ?? deriveStoreSecrets(store, BEARER_HASH_PURPOSE) !== undefined),
    clientSecrets: SecretSealer.forStore(store, CLIENT_SECRET_PURPOSE, sealSecret),
    upstreamTokens: SecretSealer.forStore(store, UPSTREAM_TOKEN_PURPOSE, sealSecret),
    allowUnprotected: allowUnprotectedSecrets === true,
    refused(error: OAuthKVError, collection: string): void {
      try {
        report(error, { collection });
      } catch {
        // A failing log hook must not turn a refusal into a server error.
      }
    },
  });
}

/** How a kind of secret is kept: sealed (a key exists), plaintext (opted in), or refused. */
export function secretHandling(
  sealer: SecretSealer | undefined,
  allowUnprotected: boolean,
): 'sealed' | 'plaintext' | 'refused' {
  if (sealer !== undefined) return 'sealed';
  return allowUnprotected ? 'plaintext' : 'refused';
}

const REFUSALS = new Set(['RECORD_BINDING', 'DESERIALIZATION_ERROR', 'DECRYPTION_ERROR']);

/** `true` for the errors a refused record raises (binding, shape, decryption). */
export function isRefusal(err: unknown): err is OAuthKVError {
  return err instanceof OAuthKVError && REFUSALS.has(err.code);
}

/**
 * Runs a read of `collection`; a record refused on the way is reported and reads as `undefined`.
 * Any other error is thrown.
 */
export async function refusing<T>(
  protection: Protection,
  collection: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!isRefusal(err)) throw err;
    protection.refused(err, collection);
    return undefined;
  }
}

/**
 * The error for a secret that would be stored without the key material that protects it: `what`
 * and `why` describe it (never the value), `option` names the option that gives the key.
 */
export function unprotected(what: string, why: string, option: 'sealSecret' | 'hashSecret'): StoreSetupError {
  return new StoreSetupError(
    `Refusing to store ${what} without key material (${why}): wrap the store with withEncryption, give ${option}, or set allowUnprotectedSecrets: true (development only)`,
  );
}

/** The refusal of a client secret without key material: one error for every integration. */
export function unprotectedClientSecret(): StoreSetupError {
  return unprotected(
    'a client secret',
    'anyone reading the database could use it; public clients, token_endpoint_auth_method "none", need no key',
    'sealSecret',
  );
}
