/**
 * Fernet symmetric encryption (https://github.com/fernet/spec), compatible with Python's
 * `cryptography.fernet` (`Fernet` and `MultiFernet`). Zero dependencies: AES-128-CBC, HMAC-SHA256 and
 * constant-time comparison come from `node:crypto`, synchronously.
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import { inspect } from 'node:util';
import { DecryptionError, EncryptionError, InvalidTTLError } from '../errors.js';

const VERSION = 0x80;
/** version (1) + timestamp (8) + IV (16). */
const HEADER = 25;
const MAC = 32;
const BLOCK = 16;
/** The shortest valid token: header, one cipher block, HMAC. */
const MIN_TOKEN = HEADER + BLOCK + MAC;
/** Seconds a token's timestamp may lie in the future when a TTL is checked (as in Python and Go). */
const MAX_CLOCK_SKEW = 60;
const DERIVE_SALT = 'oauth-kv derived secret';
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const KEY_TEXT = /^[A-Za-z0-9_\-+/]{43}=?$/;

interface KeyMaterial {
  readonly signing: KeyObject;
  readonly encryption: KeyObject;
}

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
 * ```
 */
export class Fernet {
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
    return this.#keys.map((key) => {
      const ikm = Buffer.concat([key.signing.export(), key.encryption.export()]);
      try {
        return new Uint8Array(hkdfSync('sha256', ikm, DERIVE_SALT, purpose, 32));
      } finally {
        ikm.fill(0);
      }
    });
  }

  /**
   * Encrypts bytes or a string (as UTF-8) with the first key and returns the token (url-safe
   * base64 with padding).
   *
   * @example
   * ```ts
   * const token = fernet.encrypt(JSON.stringify({ a: 1 }));
   * ```
   */
  encrypt(data: Uint8Array | string, options: FernetEncryptOptions = {}): string {
    const plaintext = toBytes(data);
    const iv = options.iv === undefined ? freshIv() : checkIv(options.iv);
    const timestamp = Math.floor(toMillis(options.now, EncryptionError) / 1000);
    return seal(this.#keys[0]!, plaintext, iv, timestamp);
  }

  /**
   * Verifies and decrypts a token; returns the plaintext bytes. Throws {@link DecryptionError} for a
   * malformed, tampered or expired token, or one no key verifies.
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
   * {@link Fernet.decrypt} and UTF-8 decoding; invalid UTF-8 is a {@link DecryptionError}.
   *
   * @example
   * ```ts
   * const text = fernet.decryptText(token);
   * ```
   */
  decryptText(token: string | Uint8Array, options: FernetDecryptOptions = {}): string {
    const data = this.decrypt(token, options);
    try {
      return UTF8.decode(data);
    } catch {
      throw new DecryptionError('The decrypted Fernet data is not valid UTF-8 text');
    }
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
    const bytes = decodeToken(token);
    const keyIndex = this.#verify(bytes);
    const timestamp = Number(bytes.readBigUInt64BE(1));
    if (options.ttl !== undefined) {
      checkTtl(options.ttl);
      const now = Math.floor(toMillis(options.now, DecryptionError) / 1000);
      if (timestamp + options.ttl < now) throw new DecryptionError('The Fernet token has expired (ttl)');
      if (timestamp > now + MAX_CLOCK_SKEW) {
        throw new DecryptionError('The Fernet token is stamped too far in the future (clock skew)');
      }
    }
    return { data: open(this.#keys[keyIndex]!, bytes), keyIndex, timestamp };
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
    const bytes = decodeToken(token);
    this.#verify(bytes);
    return Number(bytes.readBigUInt64BE(1));
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
    return seal(this.#keys[0]!, data, freshIv(), timestamp);
  }

  /** Keeps key material out of `JSON.stringify`. */
  toJSON(): string {
    return `[Fernet: ${this.#keys.length} key${this.#keys.length === 1 ? '' : 's'}]`;
  }

  /** Keeps key material out of `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return this.toJSON();
  }

  /** Returns the index of the key whose HMAC matches, or throws. */
  #verify(bytes: Buffer): number {
    const signed = bytes.subarray(0, bytes.length - MAC);
    const mac = bytes.subarray(bytes.length - MAC);
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = createHmac('sha256', this.#keys[i]!.signing).update(signed).digest();
      if (timingSafeEqual(expected, mac)) return i;
    }
    throw new DecryptionError(
      this.#keys.length === 1
        ? 'The Fernet token does not verify: wrong key, or the token was altered'
        : `The Fernet token does not verify under any of the ${this.#keys.length} keys: wrong keys, or the token was altered`,
    );
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

/**
 * IVs come from a pool of CSPRNG bytes filled 4 KiB at a time: one `randomFillSync` per 256 tokens
 * instead of one per token (each call into the system RNG costs about as much as the AES itself).
 * Every byte is handed out once.
 */
const IV_POOL = Buffer.alloc(4096);
let ivOffset = IV_POOL.length;

function freshIv(): Buffer {
  if (ivOffset + 16 > IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  const iv = Buffer.from(IV_POOL.subarray(ivOffset, ivOffset + 16));
  ivOffset += 16;
  return iv;
}

function parseKey(key: unknown): KeyMaterial {
  let raw: Buffer | undefined;
  if (typeof key === 'string') {
    if (KEY_TEXT.test(key)) raw = Buffer.from(key, 'base64');
  } else if (key instanceof Uint8Array) {
    raw = Buffer.from(key);
  }
  if (raw === undefined || raw.length !== 32) {
    throw new EncryptionError(
      'A Fernet key must be 32 bytes given as url-safe base64 (44 characters, as generateFernetKey() returns) or as a Uint8Array',
    );
  }
  const keys = {
    signing: createSecretKey(raw.subarray(0, 16)),
    encryption: createSecretKey(raw.subarray(16)),
  };
  raw.fill(0);
  return keys;
}

function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return ENCODER.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new EncryptionError('Fernet encrypts a string or a Uint8Array');
}

function checkIv(iv: unknown): Uint8Array {
  if (!(iv instanceof Uint8Array) || iv.length !== 16) {
    throw new EncryptionError('A Fernet IV must be a Uint8Array of 16 bytes');
  }
  return iv;
}

function checkTtl(ttl: unknown): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new InvalidTTLError('A Fernet ttl must be a finite number of seconds, 0 or more');
  }
}

function toMillis(now: unknown, ErrorType: typeof EncryptionError | typeof DecryptionError): number {
  if (now === undefined) return Date.now();
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new ErrorType('The Fernet "now" option must be a valid Date or epoch milliseconds');
  }
  return ms;
}

function seal(key: KeyMaterial, plaintext: Uint8Array, iv: Uint8Array, timestamp: number): string {
  const cipher = createCipheriv('aes-128-cbc', key.encryption, iv);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const length = HEADER + head.length + tail.length + MAC;
  const out = Buffer.allocUnsafe(length);
  out[0] = VERSION;
  out.writeBigUInt64BE(BigInt(timestamp), 1);
  out.set(iv, 9);
  out.set(head, HEADER);
  out.set(tail, HEADER + head.length);
  const mac = createHmac('sha256', key.signing)
    .update(out.subarray(0, length - MAC))
    .digest();
  out.set(mac, length - MAC);
  const text = out.toString('base64url');
  return text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
}

function open(key: KeyMaterial, bytes: Buffer): Uint8Array {
  const decipher = createDecipheriv('aes-128-cbc', key.encryption, bytes.subarray(9, HEADER));
  try {
    const head = decipher.update(bytes.subarray(HEADER, bytes.length - MAC));
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw new DecryptionError('The Fernet token has invalid padding');
  }
}

/** Strict url-safe base64 decoding and structural checks, before any key is used. */
function decodeToken(token: unknown): Buffer {
  let text: string;
  if (typeof token === 'string') text = token;
  else if (token instanceof Uint8Array) text = Buffer.from(token).toString('latin1');
  else throw new DecryptionError('A Fernet token must be a string or a Uint8Array');
  if (text.length % 4 !== 0 || !BASE64URL.test(text)) {
    throw new DecryptionError('The Fernet token is not valid url-safe base64 with padding');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < HEADER + MAC) throw new DecryptionError('The Fernet token is too short');
  if (bytes[0] !== VERSION) throw new DecryptionError('The Fernet token has an unknown version byte');
  if ((bytes.length - HEADER - MAC) % BLOCK !== 0) {
    throw new DecryptionError('The Fernet token ciphertext is not a whole number of AES blocks');
  }
  if (bytes.length < MIN_TOKEN) throw new DecryptionError('The Fernet token is too short (no ciphertext)');
  return bytes;
}
