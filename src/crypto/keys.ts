/**
 * Fernet key generation and derivation, compatible with py-key-value (`source_material` + `salt`)
 * and FastMCP (its OAuth proxy's storage key).
 * @module
 */
import { hkdfSync, pbkdf2, randomBytes } from 'node:crypto';
import { EncryptionError } from '../errors.js';

/**
 * PBKDF2 iterations py-key-value uses for `source_material` + `salt` (and {@link deriveFernetKey}).
 *
 * @example
 * ```ts
 * import { PBKDF2_ITERATIONS } from 'oauth-kv';
 * console.log(PBKDF2_ITERATIONS); // 1200000
 * ```
 */
export const PBKDF2_ITERATIONS = 1_200_000;

/**
 * The HKDF salt FastMCP uses to derive its storage encryption key from the JWT signing key
 * (see {@link deriveFastMcpStorageKey}).
 *
 * @example
 * ```ts
 * import { FASTMCP_STORAGE_SALT } from 'oauth-kv';
 * console.log(FASTMCP_STORAGE_SALT); // "fastmcp-storage-encryption-key"
 * ```
 */
export const FASTMCP_STORAGE_SALT = 'fastmcp-storage-encryption-key';

/**
 * A fresh random Fernet key: 32 bytes from the system CSPRNG as url-safe base64 with padding
 * (44 characters), the same form as Python's `Fernet.generate_key()`.
 *
 * @example
 * ```ts
 * import { generateFernetKey } from 'oauth-kv';
 * const key = generateFernetKey(); // store it in your secret manager, e.g. OAUTH_KV_KEY
 * ```
 */
export function generateFernetKey(): string {
  return toKeyText(randomBytes(32));
}

/**
 * Derives a Fernet key from a passphrase the way py-key-value does for
 * `FernetEncryptionWrapper(source_material=..., salt=...)`: PBKDF2-HMAC-SHA256, 1,200,000
 * iterations, 32 bytes, salt = UTF-8 of `salt`. Runs on the libuv thread pool (about a second of
 * CPU): derive once at startup, not per request.
 *
 * @example
 * ```ts
 * import { deriveFernetKey, withEncryption } from 'oauth-kv';
 * const key = await deriveFernetKey(process.env.STORAGE_PASSPHRASE!, 'my-app-v1');
 * const store = withEncryption(inner, { keys: [key] });
 * ```
 */
export async function deriveFernetKey(sourceMaterial: string, salt: string): Promise<string> {
  checkText(sourceMaterial, 'sourceMaterial');
  checkText(salt, 'salt');
  return new Promise((resolve, reject) => {
    pbkdf2(
      Buffer.from(sourceMaterial, 'utf8'),
      Buffer.from(salt, 'utf8'),
      PBKDF2_ITERATIONS,
      32,
      'sha256',
      (err, key) => {
        if (err) reject(new EncryptionError('Key derivation failed', { cause: err }));
        else resolve(toKeyText(key));
      },
    );
  });
}

/**
 * The Fernet key a Python FastMCP server derives from its JWT signing key to encrypt its OAuth
 * proxy storage: HKDF-SHA256 over the UTF-8 of `jwtSigningKey`, salt
 * `"fastmcp-storage-encryption-key"`, info `"Fernet"`, 32 bytes, url-safe base64. Use it to read and
 * write the same store as that server.
 *
 * @example
 * ```ts
 * import { deriveFastMcpStorageKey, withEncryption } from 'oauth-kv';
 * const key = deriveFastMcpStorageKey(process.env.FASTMCP_JWT_SIGNING_KEY!);
 * const store = withEncryption(redisStore, { keys: [key] });
 * ```
 */
export function deriveFastMcpStorageKey(jwtSigningKey: string): string {
  checkText(jwtSigningKey, 'jwtSigningKey');
  const key = hkdfSync(
    'sha256',
    Buffer.from(jwtSigningKey, 'utf8'),
    Buffer.from(FASTMCP_STORAGE_SALT, 'utf8'),
    Buffer.from('Fernet', 'utf8'),
    32,
  );
  return toKeyText(Buffer.from(key));
}

function toKeyText(bytes: Buffer): string {
  const text = `${bytes.toString('base64url')}=`;
  bytes.fill(0);
  return text;
}

function checkText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EncryptionError(`${name} must be a non-empty string`);
  }
  if (!value.isWellFormed()) throw new EncryptionError(`${name} is not well-formed Unicode`);
}
