/**
 * Fernet symmetric encryption (https://github.com/fernet/spec), compatible with Python's
 * `cryptography.fernet` (`Fernet` and `MultiFernet`). Zero dependencies and no Node built-in import:
 * AES-128-CBC, HMAC-SHA256 and constant-time comparison come from `node:crypto` where the runtime has
 * it (synchronous, the fast path) and from WebCrypto elsewhere (asynchronous: the `...Async` methods).
 * @module
 */
import { DecryptionError, EncryptionError, NotSupportedError } from '../errors.js';
import { decodeUtf8Strict, utf8 } from './bytes.js';
import { hkdf, hmacSync, hmacVerifyWeb, type KeyMaterial, macEqualSync, syncCrypto } from './engine.js';
import {
  checkAge,
  checkIv,
  decodeToken,
  freshIv,
  MAC,
  openSync,
  openWeb,
  parseKey,
  sealSync,
  sealWeb,
  timestampOf,
  toBytes,
  tokenTimestamp,
  unverified,
} from './fernet-token.js';

const DERIVE_SALT = utf8('oauth-kv derived secret');
/** The symbol `util.inspect` (and so `console.log`) looks for, without importing `node:util`. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A Fernet key: the 32-byte key as url-safe base64 text (what `generateFernetKey()` and Python's
 * `Fernet.generate_key()` return), the 32 raw bytes, or a {@link Fernet} whose keys are reused.
 *
 * @example
 * ```ts
 * import { type FernetKey, generateFernetKey } from 'oauth-kv';
 * const key: FernetKey = generateFernetKey();
 * ```
 */
export type FernetKey = string | Uint8Array | Fernet;

/**
 * Options of {@link Fernet.encrypt}. Both exist to reproduce the official test vectors; leave them
 * out in production (a fixed IV destroys confidentiality).
 *
 * @example
 * ```ts
 * fernet.encrypt('hello', { now: new Date('1985-10-26T01:20:00-07:00'), iv: new Uint8Array(16) });
 * ```
 */
export interface FernetEncryptOptions {
  /** The time written into the token: a `Date` or epoch milliseconds (default: now). */
  now?: Date | number | undefined;
  /** The 16-byte IV (default: 16 fresh random bytes). */
  iv?: Uint8Array | undefined;
}

/**
 * Options of {@link Fernet.decrypt}.
 *
 * @example
 * ```ts
 * fernet.decrypt(token, { ttl: 300 }); // refuse tokens older than five minutes
 * ```
 */
export interface FernetDecryptOptions {
  /**
   * Maximum age in seconds. When given, a token older than this, or stamped more than 60 seconds in
   * the future (clock skew), is refused. Default: no age check (what py-key-value does).
   */
  ttl?: number | undefined;
  /** The current time for the age check: a `Date` or epoch milliseconds (default: now). */
  now?: Date | number | undefined;
}

/**
 * What {@link Fernet.decryptWithInfo} returns.
 *
 * @example
 * ```ts
 * const { data, keyIndex, timestamp } = fernet.decryptWithInfo(token);
 * if (keyIndex > 0) console.log('written under an older key');
 * ```
 */
export interface FernetDecrypted {
  /** The plaintext bytes. */
  data: Uint8Array;
  /** Position of the key that verified the token (0 = the newest key, the one that encrypts). */
  keyIndex: number;
  /** The token's timestamp, epoch seconds. */
  timestamp: number;
}

/**
 * Fernet authenticated encryption with one or more keys, and the one way to build a key set:
 * `new Fernet(key)` or `new Fernet([newest, ..., oldest])` (Python's `Fernet` and `MultiFernet` in
 * one class). The first key encrypts; every key is tried on decrypt, newest first, which is how
 * keys rotate. Errors are typed
 * ({@link EncryptionError}, {@link DecryptionError}) and never contain key material or plaintext;
 * the keys are not visible to `console.log`, `util.inspect` or `JSON.stringify`.
 *
 * Every method has an asynchronous twin (`encryptAsync`, `decryptAsync`, ...) that works on every
 * runtime. The synchronous methods need `node:crypto` (Node, Bun, Deno, Cloudflare Workers with
 * `nodejs_compat`; see {@link Fernet.supportsSync}); elsewhere they throw {@link NotSupportedError}.
 * `deriveSecrets` is synchronous everywhere.
 *
 * @example
 * ```ts
 * import { Fernet, generateFernetKey } from 'oauth-kv';
 *
 * const fernet = new Fernet(generateFernetKey());
 * const token = fernet.encrypt('secret');
 * fernet.decryptText(token); // "secret"
 *
 * const rotated = new Fernet([generateFernetKey(), fernet]); // new key first, old still readable
 * rotated.decryptText(token); // "secret"
 * await rotated.decryptTextAsync(token); // "secret", on any runtime
 * ```
 */
export class Fernet {
  /**
   * `true` where the synchronous methods work: the runtime has `node:crypto` (Node, Bun, Deno,
   * Workers with `nodejs_compat`). Where it is `false` (Workers without it, browsers), use the
   * `...Async` methods; the encryption wrapper does so by itself.
   *
   * @example
   * ```ts
   * import { Fernet } from 'oauth-kv';
   * const text = Fernet.supportsSync ? fernet.decryptText(token) : await fernet.decryptTextAsync(token);
   * ```
   */
  static get supportsSync(): boolean {
    return syncCrypto();
  }

  readonly #keys: readonly KeyMaterial[];

  /**
   * @param key One key, or several newest first. Throws {@link EncryptionError} for a malformed key
   * or an empty list.
   */
  constructor(key: FernetKey | readonly FernetKey[]) {
    const list: readonly FernetKey[] = Array.isArray(key) ? key : [key as FernetKey];
    const keys: KeyMaterial[] = [];
    for (const k of list) {
      if (k instanceof Fernet) keys.push(...k.#keys);
      else keys.push(parseKey(k));
    }
    if (keys.length === 0) throw new EncryptionError('Fernet needs at least one key');
    this.#keys = keys;
  }

  /**
   * How many keys this instance holds.
   *
   * @example
   * ```ts
   * new Fernet([a, b]).keyCount; // 2
   * ```
   */
  get keyCount(): number {
    return this.#keys.length;
  }

  /**
   * Derives one 32-byte secret per key, newest first, with HKDF-SHA-256 over the whole key (salt
   * `"oauth-kv derived secret"`, info `purpose`). Secrets for different purposes are independent, and
   * none reveals the key. The OAuth layer uses them to hash bearer values under the encryption keys.
   * Synchronous on every runtime.
   *
   * @example
   * ```ts
   * const [newest] = fernet.deriveSecrets('bearer-hash'); // 32 bytes
   * ```
   */
  deriveSecrets(purpose: string): Uint8Array[] {
    if (typeof purpose !== 'string' || purpose.length === 0) {
      throw new EncryptionError('deriveSecrets needs a non-empty purpose string');
    }
    const info = utf8(purpose);
    return this.#keys.map((key) => {
      const ikm = new Uint8Array(32);
      ikm.set(key.signing);
      ikm.set(key.encryption, 16);
      try {
        return hkdf(ikm, DERIVE_SALT, info, 32);
      } finally {
        ikm.fill(0);
      }
    });
  }

  /**
   * Encrypts bytes or a string (as UTF-8) with the first key and returns the token (url-safe
   * base64 with padding). Needs `node:crypto` ({@link Fernet.supportsSync}); see
   * {@link Fernet.encryptAsync}.
   *
   * @example
   * ```ts
   * const token = fernet.encrypt(JSON.stringify({ a: 1 }));
   * ```
   */
  encrypt(data: Uint8Array | string, options: FernetEncryptOptions = {}): string {
    requireSync('encrypt');
    const plaintext = toBytes(data);
    const iv = options.iv === undefined ? freshIv() : checkIv(options.iv);
    return sealSync(this.#keys[0]!, plaintext, iv, timestampOf(options.now));
  }

  /**
   * {@link Fernet.encrypt} on any runtime: WebCrypto where `node:crypto` is absent.
   *
   * @example
   * ```ts
   * const token = await fernet.encryptAsync('hello');
   * ```
   */
  async encryptAsync(data: Uint8Array | string, options: FernetEncryptOptions = {}): Promise<string> {
    if (syncCrypto()) return this.encrypt(data, options);
    const plaintext = toBytes(data);
    const iv = options.iv === undefined ? freshIv() : checkIv(options.iv);
    return sealWeb(this.#keys[0]!, plaintext, iv, timestampOf(options.now));
  }

  /**
   * Verifies and decrypts a token; returns the plaintext bytes. Throws {@link DecryptionError} for a
   * malformed, tampered or expired token, or one no key verifies. Needs `node:crypto`; see
   * {@link Fernet.decryptAsync}.
   *
   * @example
   * ```ts
   * const bytes = fernet.decrypt(token, { ttl: 60 });
   * ```
   */
  decrypt(token: string | Uint8Array, options: FernetDecryptOptions = {}): Uint8Array {
    return this.decryptWithInfo(token, options).data;
  }

  /**
   * {@link Fernet.decrypt} on any runtime.
   *
   * @example
   * ```ts
   * const bytes = await fernet.decryptAsync(token, { ttl: 60 });
   * ```
   */
  async decryptAsync(token: string | Uint8Array, options: FernetDecryptOptions = {}): Promise<Uint8Array> {
    return (await this.decryptWithInfoAsync(token, options)).data;
  }

  /**
   * {@link Fernet.decrypt} and UTF-8 decoding; invalid UTF-8 is a {@link DecryptionError}.
   *
   * @example
   * ```ts
   * const text = fernet.decryptText(token);
   * ```
   */
  decryptText(token: string | Uint8Array, options: FernetDecryptOptions = {}): string {
    return decodeText(this.decrypt(token, options));
  }

  /**
   * {@link Fernet.decryptText} on any runtime.
   *
   * @example
   * ```ts
   * const text = await fernet.decryptTextAsync(token);
   * ```
   */
  async decryptTextAsync(token: string | Uint8Array, options: FernetDecryptOptions = {}): Promise<string> {
    return decodeText(await this.decryptAsync(token, options));
  }

  /**
   * {@link Fernet.decrypt}, also telling which key verified the token and its timestamp.
   *
   * @example
   * ```ts
   * const { keyIndex } = fernet.decryptWithInfo(token);
   * const current = keyIndex === 0; // already under the newest key
   * ```
   */
  decryptWithInfo(token: string | Uint8Array, options: FernetDecryptOptions = {}): FernetDecrypted {
    requireSync('decryptWithInfo');
    const bytes = decodeToken(token);
    const keyIndex = this.#verifySync(bytes);
    const timestamp = tokenTimestamp(bytes);
    checkAge(timestamp, options.ttl, options.now);
    return { data: openSync(this.#keys[keyIndex]!, bytes), keyIndex, timestamp };
  }

  /**
   * {@link Fernet.decryptWithInfo} on any runtime.
   *
   * @example
   * ```ts
   * const { data, keyIndex } = await fernet.decryptWithInfoAsync(token);
   * ```
   */
  async decryptWithInfoAsync(
    token: string | Uint8Array,
    options: FernetDecryptOptions = {},
  ): Promise<FernetDecrypted> {
    if (syncCrypto()) return this.decryptWithInfo(token, options);
    const bytes = decodeToken(token);
    const keyIndex = await this.#verifyWeb(bytes);
    const timestamp = tokenTimestamp(bytes);
    checkAge(timestamp, options.ttl, options.now);
    return { data: await openWeb(this.#keys[keyIndex]!, bytes), keyIndex, timestamp };
  }

  /**
   * Returns the token's timestamp (epoch seconds) once a key has verified it.
   *
   * @example
   * ```ts
   * const written = new Date(fernet.extractTimestamp(token) * 1000);
   * ```
   */
  extractTimestamp(token: string | Uint8Array): number {
    requireSync('extractTimestamp');
    const bytes = decodeToken(token);
    this.#verifySync(bytes);
    return tokenTimestamp(bytes);
  }

  /**
   * {@link Fernet.extractTimestamp} on any runtime.
   *
   * @example
   * ```ts
   * const written = new Date((await fernet.extractTimestampAsync(token)) * 1000);
   * ```
   */
  async extractTimestampAsync(token: string | Uint8Array): Promise<number> {
    if (syncCrypto()) return this.extractTimestamp(token);
    const bytes = decodeToken(token);
    await this.#verifyWeb(bytes);
    return tokenTimestamp(bytes);
  }

  /**
   * Re-encrypts a token under the newest key, keeping its original timestamp (Python's
   * `MultiFernet.rotate`).
   *
   * @example
   * ```ts
   * const fresh = new Fernet([newKey, oldKey]).rotate(oldToken);
   * ```
   */
  rotate(token: string | Uint8Array): string {
    const { data, timestamp } = this.decryptWithInfo(token);
    return sealSync(this.#keys[0]!, data, freshIv(), timestamp);
  }

  /**
   * {@link Fernet.rotate} on any runtime.
   *
   * @example
   * ```ts
   * const fresh = await new Fernet([newKey, oldKey]).rotateAsync(oldToken);
   * ```
   */
  async rotateAsync(token: string | Uint8Array): Promise<string> {
    if (syncCrypto()) return this.rotate(token);
    const { data, timestamp } = await this.decryptWithInfoAsync(token);
    return sealWeb(this.#keys[0]!, data, freshIv(), timestamp);
  }

  /** Keeps key material out of `JSON.stringify`. */
  toJSON(): string {
    return `[Fernet: ${this.#keys.length} key${this.#keys.length === 1 ? '' : 's'}]`;
  }

  /** Keeps key material out of `console.log` and `util.inspect` (Node's `util.inspect.custom`). */
  [INSPECT](): string {
    return this.toJSON();
  }

  /** Returns the index of the key whose HMAC matches, or throws. */
  #verifySync(bytes: Uint8Array): number {
    const signed = bytes.subarray(0, bytes.length - MAC);
    const mac = bytes.subarray(bytes.length - MAC);
    for (let i = 0; i < this.#keys.length; i++) {
      if (macEqualSync(hmacSync(this.#keys[i]!, signed), mac)) return i;
    }
    throw unverified(this.#keys.length);
  }

  async #verifyWeb(bytes: Uint8Array): Promise<number> {
    const signed = bytes.subarray(0, bytes.length - MAC);
    const mac = bytes.subarray(bytes.length - MAC);
    for (let i = 0; i < this.#keys.length; i++) {
      if (await hmacVerifyWeb(this.#keys[i]!, signed, mac)) return i;
    }
    throw unverified(this.#keys.length);
  }
}

function decodeText(data: Uint8Array): string {
  try {
    return decodeUtf8Strict(data);
  } catch {
    throw new DecryptionError('The decrypted Fernet data is not valid UTF-8 text');
  }
}

function requireSync(method: string): void {
  if (syncCrypto()) return;
  const err = new NotSupportedError(method, 'Fernet on a runtime without node:crypto');
  err.message += `; use ${method}Async(), which works on every runtime`;
  throw err;
}
