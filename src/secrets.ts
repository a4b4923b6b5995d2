/**
 * Secrets derived from the encryption keys of a store stack. The OAuth layer hashes bearer values
 * (tokens, codes) with HMAC under such a secret, so a database reader cannot even confirm a guessed
 * token without the key. Every wrapper forwards the question to the store it wraps; the encryption
 * wrapper answers it from its Fernet keys.
 * @module
 */

/**
 * The method name (a registered symbol, so it works across copies of the package) under which a
 * store answers "secrets for this purpose, newest key first", or `undefined` when it holds no key.
 *
 * @example
 * ```ts
 * import { DERIVE_SECRETS, withEncryption, MemoryStore, generateFernetKey } from 'oauth-kv';
 * const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
 * store[DERIVE_SECRETS]('bearer-hash'); // [Uint8Array(32)]
 * ```
 */
export const DERIVE_SECRETS: unique symbol = Symbol.for('oauth-kv.deriveSecrets');

/**
 * A store that can derive secrets from key material it holds (the encryption wrapper, and every
 * wrapper above one).
 *
 * @example
 * ```ts
 * import { DERIVE_SECRETS, type SecretSource } from 'oauth-kv';
 * const source: SecretSource = { [DERIVE_SECRETS]: () => undefined };
 * ```
 */
export interface SecretSource {
  /** 32-byte secrets for `purpose`, newest key first; `undefined` when the store holds no key. */
  [DERIVE_SECRETS](purpose: string): Uint8Array[] | undefined;
}

/**
 * The secrets a store stack derives for `purpose` (newest key first), or `undefined` when no layer
 * of it holds encryption keys.
 *
 * @example
 * ```ts
 * import { deriveStoreSecrets, withEncryption, MemoryStore, generateFernetKey } from 'oauth-kv';
 * deriveStoreSecrets(new MemoryStore(), 'bearer-hash'); // undefined: no keys
 * deriveStoreSecrets(withEncryption(new MemoryStore(), { keys: [generateFernetKey()] }), 'bearer-hash'); // [Uint8Array(32)]
 * ```
 */
export function deriveStoreSecrets(store: unknown, purpose: string): Uint8Array[] | undefined {
  if (typeof store !== 'object' || store === null) return undefined;
  const derive = (store as Partial<SecretSource>)[DERIVE_SECRETS];
  if (typeof derive !== 'function') return undefined;
  const secrets = derive.call(store, purpose);
  return secrets !== undefined && secrets.length > 0 ? secrets : undefined;
}
