/**
 * Fernet key generation and derivation, compatible with py-key-value (`source_material` + `salt`)
 * and FastMCP (its OAuth proxy's storage key). `node:crypto` where the runtime has it, WebCrypto and
 * plain-JavaScript HKDF elsewhere (src/crypto/engine.ts).
 * @module
 */
import { EncryptionError } from '../errors.js';
import { toBase64Url, utf8 } from './bytes.js';
import { fillRandom, hkdf as hkdfSha256, pbkdf2 } from './engine.js';

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
  const bytes = new Uint8Array(32);
  fillRandom(bytes);
  return toKeyText(bytes);
}

/**
 * Derives a Fernet key from a passphrase the way py-key-value does for
 * `FernetEncryptionWrapper(source_material=..., salt=...)`: PBKDF2-HMAC-SHA256, 1,200,000
 * iterations, 32 bytes, salt = UTF-8 of `salt`. Runs on the libuv thread pool where `node:crypto`
 * exists, on WebCrypto elsewhere (about a second of CPU): derive once at startup, not per request.
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
  return toKeyText(await pbkdf2Async(sourceMaterial, salt, PBKDF2_ITERATIONS));
}

/**
 * What a Python FastMCP OAuth proxy derives its storage key from, as it was configured:
 * - a string: its `jwt_signing_key` given as a string (FastMCP stretches it with PBKDF2 first);
 * - a `Uint8Array`: its `jwt_signing_key` given as bytes (used as they are; must be UTF-8, as
 *   FastMCP decodes them);
 * - `{ upstreamClientSecret }`: no `jwt_signing_key` was set, so FastMCP derived one from the
 *   upstream OAuth client secret.
 *
 * @example
 * ```ts
 * import type { FastMcpKeySource } from 'oauth-kv';
 * const fromString: FastMcpKeySource = process.env.FASTMCP_JWT_SIGNING_KEY!;
 * const fromUpstream: FastMcpKeySource = { upstreamClientSecret: process.env.UPSTREAM_CLIENT_SECRET! };
 * ```
 */
export type FastMcpKeySource = string | Uint8Array | { readonly upstreamClientSecret: string };

/** FastMCP's `KDF_ITERATIONS` for a string `jwt_signing_key`. */
const FASTMCP_PBKDF2_ITERATIONS = 1_000_000;
/** The salt FastMCP uses for its JWT signing key (PBKDF2 of a string, HKDF of the upstream secret). */
const FASTMCP_JWT_SALT = 'fastmcp-jwt-signing-key';
const FERNET_INFO = utf8('Fernet');

/**
 * The Fernet key a Python FastMCP (2.13 and later) OAuth proxy derives from its JWT signing key,
 * in FastMCP's two steps: (1) the JWT signing key itself: a string is stretched with
 * PBKDF2-HMAC-SHA256 (1,000,000 iterations, salt `"fastmcp-jwt-signing-key"`, 32 bytes, url-safe
 * base64), bytes are used as they are, and without one FastMCP takes HKDF-SHA256 of the upstream
 * client secret (same salt, info `"Fernet"`); (2) the storage key: HKDF-SHA256 over that key's
 * text, salt `"fastmcp-storage-encryption-key"`, info `"Fernet"`, 32 bytes, url-safe base64.
 *
 * FastMCP encrypts with this key only the local disk store it creates when no `client_storage` is
 * passed. A `client_storage` you pass (Redis, PostgreSQL, Firestore) is stored as given: to share
 * an encrypted store, wrap it on the Python side in `FernetEncryptionWrapper` with a key both
 * sides hold (this one, or any Fernet key). The string form runs about a second of PBKDF2 on the
 * libuv thread pool: derive once at startup. Throws {@link EncryptionError} for an empty or
 * malformed source.
 *
 * @example
 * ```ts
 * import { deriveFastMcpStorageKey, withEncryption } from 'oauth-kv';
 * const key = await deriveFastMcpStorageKey(process.env.FASTMCP_JWT_SIGNING_KEY!);
 * const store = withEncryption(redisStore, { keys: [key] });
 * ```
 */
export async function deriveFastMcpStorageKey(source: FastMcpKeySource): Promise<string> {
  let signingKey: Uint8Array;
  if (typeof source === 'string') {
    checkText(source, 'jwtSigningKey');
    signingKey = utf8(toKeyText(await pbkdf2Async(source, FASTMCP_JWT_SALT, FASTMCP_PBKDF2_ITERATIONS)));
  } else if (source instanceof Uint8Array) {
    if (source.length === 0) throw new EncryptionError('jwtSigningKey must not be empty');
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(source);
    } catch {
      throw new EncryptionError('jwtSigningKey bytes are not UTF-8 (FastMCP decodes them as UTF-8)');
    }
    signingKey = new Uint8Array(source); // a copy: hkdf() wipes it
  } else if (typeof source === 'object' && source !== null && 'upstreamClientSecret' in source) {
    checkText(source.upstreamClientSecret, 'upstreamClientSecret');
    signingKey = utf8(toKeyText(hkdf(utf8(source.upstreamClientSecret), FASTMCP_JWT_SALT)));
  } else {
    throw new EncryptionError(
      'deriveFastMcpStorageKey takes a string, a Uint8Array or { upstreamClientSecret }',
    );
  }
  return toKeyText(hkdf(signingKey, FASTMCP_STORAGE_SALT));
}

/** HKDF-SHA256, info `"Fernet"`, 32 bytes (FastMCP's high-entropy derivation); wipes `material`. */
function hkdf(material: Uint8Array, salt: string): Uint8Array {
  const out = hkdfSha256(material, utf8(salt), FERNET_INFO, 32);
  material.fill(0);
  return out;
}

async function pbkdf2Async(secret: string, salt: string, iterations: number): Promise<Uint8Array> {
  try {
    return await pbkdf2(utf8(secret), utf8(salt), iterations);
  } catch (err) {
    throw new EncryptionError('Key derivation failed', { cause: err });
  }
}

function toKeyText(bytes: Uint8Array): string {
  const text = toBase64Url(bytes);
  bytes.fill(0);
  return text;
}

function checkText(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EncryptionError(`${name} must be a non-empty string`);
  }
  if (!value.isWellFormed()) throw new EncryptionError(`${name} is not well-formed Unicode`);
}
