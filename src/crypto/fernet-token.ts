/**
 * The Fernet token layout (https://github.com/fernet/spec) and the argument checks shared by the
 * synchronous and asynchronous Fernet methods: parsing keys, laying out and decoding tokens, checking
 * IVs, TTLs and times, and sealing and opening a token with the primitives of src/crypto/engine.ts.
 * @module
 */
import { DecryptionError, EncryptionError, InvalidTTLError } from '../errors.js';
import {
  allocBytes,
  bytesToLatin1,
  fromBase64,
  readUint64BE,
  toBase64Url,
  utf8,
  writeUint64BE,
} from './bytes.js';
import {
  aesDecryptSync,
  aesDecryptWeb,
  aesEncryptSync,
  aesEncryptWeb,
  fillRandom,
  hmacSync,
  hmacWeb,
  type KeyMaterial,
  keyMaterial,
} from './engine.js';

const VERSION = 0x80;
/** version (1) + timestamp (8) + IV (16). */
export const HEADER = 25;
export const MAC = 32;
const BLOCK = 16;
/** The shortest valid token: header, one cipher block, HMAC. */
const MIN_TOKEN = HEADER + BLOCK + MAC;
/** Seconds a token's timestamp may lie in the future when a TTL is checked (as in Python and Go). */
const MAX_CLOCK_SKEW = 60;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const KEY_TEXT = /^[A-Za-z0-9_\-+/]{43}=?$/;

/** Parses one key (text or 32 bytes) into key material; the caller's bytes are left as they were. */
export function parseKey(key: unknown): KeyMaterial {
  let raw: Uint8Array | undefined;
  if (typeof key === 'string') {
    if (KEY_TEXT.test(key)) raw = fromBase64(key);
  } else if (key instanceof Uint8Array) {
    raw = new Uint8Array(key); // a copy: the caller's bytes stay as they were
  }
  if (raw === undefined || raw.length !== 32) {
    throw new EncryptionError(
      'A Fernet key must be 32 bytes given as url-safe base64 (44 characters, as generateFernetKey() returns) or as a Uint8Array',
    );
  }
  const material = keyMaterial(raw);
  raw.fill(0);
  return material;
}

/**
 * IVs come from a pool of CSPRNG bytes filled 4 KiB at a time: one call into the system RNG per 256
 * tokens instead of one per token (each call costs about as much as the AES itself). Every byte is
 * handed out once.
 */
const IV_POOL = new Uint8Array(4096);
let ivOffset = IV_POOL.length;

export function freshIv(): Uint8Array {
  if (ivOffset + 16 > IV_POOL.length) {
    fillRandom(IV_POOL);
    ivOffset = 0;
  }
  const iv = IV_POOL.slice(ivOffset, ivOffset + 16);
  ivOffset += 16;
  return iv;
}

export function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return utf8(data);
  if (data instanceof Uint8Array) return data;
  throw new EncryptionError('Fernet encrypts a string or a Uint8Array');
}

export function checkIv(iv: unknown): Uint8Array {
  if (!(iv instanceof Uint8Array) || iv.length !== 16) {
    throw new EncryptionError('A Fernet IV must be a Uint8Array of 16 bytes');
  }
  return iv;
}

/** The token's time in epoch seconds, from the `now` option. */
export function timestampOf(now: unknown): number {
  return Math.floor(toMillis(now, EncryptionError) / 1000);
}

function toMillis(now: unknown, ErrorType: typeof EncryptionError | typeof DecryptionError): number {
  if (now === undefined) return Date.now();
  const ms = now instanceof Date ? now.getTime() : now;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new ErrorType('The Fernet "now" option must be a valid Date or epoch milliseconds');
  }
  return ms;
}

/** Refuses an expired token, or one stamped too far in the future, when a `ttl` is given. */
export function checkAge(timestamp: number, ttl: unknown, now: unknown): void {
  if (ttl === undefined) return;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) {
    throw new InvalidTTLError('A Fernet ttl must be a finite number of seconds, 0 or more');
  }
  const current = Math.floor(toMillis(now, DecryptionError) / 1000);
  if (timestamp + ttl < current) throw new DecryptionError('The Fernet token has expired (ttl)');
  if (timestamp > current + MAX_CLOCK_SKEW) {
    throw new DecryptionError('The Fernet token is stamped too far in the future (clock skew)');
  }
}

/** The token bytes but the MAC: version, timestamp, IV and ciphertext (`parts`), laid out. */
export function signedPart(timestamp: number, iv: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let length = HEADER;
  for (const part of parts) length += part.length;
  const out = allocBytes(length + MAC); // every byte is written below or by finishToken()
  out[0] = VERSION;
  writeUint64BE(out, timestamp, 1);
  out.set(iv, 9);
  let offset = HEADER;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Writes the MAC into the last 32 bytes of `out` (from {@link signedPart}) and returns the token. */
export function finishToken(out: Uint8Array, mac: Uint8Array): string {
  out.set(mac, out.length - MAC);
  return toBase64Url(out);
}

/** The timestamp (epoch seconds) of decoded token bytes. */
export function tokenTimestamp(bytes: Uint8Array): number {
  return readUint64BE(bytes, 1);
}

/** Strict url-safe base64 decoding and structural checks, before any key is used. */
export function decodeToken(token: unknown): Uint8Array {
  let text: string;
  if (typeof token === 'string') text = token;
  else if (token instanceof Uint8Array) text = bytesToLatin1(token);
  else throw new DecryptionError('A Fernet token must be a string or a Uint8Array');
  if (text.length % 4 !== 0 || !BASE64URL.test(text)) {
    throw new DecryptionError('The Fernet token is not valid url-safe base64 with padding');
  }
  const bytes = fromBase64(text);
  if (bytes.length < HEADER + MAC) throw new DecryptionError('The Fernet token is too short');
  if (bytes[0] !== VERSION) throw new DecryptionError('The Fernet token has an unknown version byte');
  if ((bytes.length - HEADER - MAC) % BLOCK !== 0) {
    throw new DecryptionError('The Fernet token ciphertext is not a whole number of AES blocks');
  }
  if (bytes.length < MIN_TOKEN) throw new DecryptionError('The Fernet token is too short (no ciphertext)');
  return bytes;
}

/** The error for a token no key verifies. */
export function unverified(keyCount: number): DecryptionError {
  return new DecryptionError(
    keyCount === 1
      ? 'The Fernet token does not verify: wrong key, or the token was altered'
      : `The Fernet token does not verify under any of the ${keyCount} keys: wrong keys, or the token was altered`,
  );
}

/** The error for bad padding (a token signed with the right key but encrypted with another). */
export function badPadding(cause?: unknown): DecryptionError {
  return new DecryptionError(
    'The Fernet token has invalid padding',
    cause === undefined ? undefined : { cause },
  );
}

export function sealSync(key: KeyMaterial, plaintext: Uint8Array, iv: Uint8Array, timestamp: number): string {
  const out = signedPart(timestamp, iv, aesEncryptSync(key, iv, plaintext));
  return finishToken(out, hmacSync(key, out.subarray(0, out.length - MAC)));
}

export async function sealWeb(
  key: KeyMaterial,
  plaintext: Uint8Array,
  iv: Uint8Array,
  timestamp: number,
): Promise<string> {
  const out = signedPart(timestamp, iv, [await aesEncryptWeb(key, iv, plaintext)]);
  return finishToken(out, await hmacWeb(key, out.subarray(0, out.length - MAC)));
}

export function openSync(key: KeyMaterial, bytes: Uint8Array): Uint8Array {
  try {
    return aesDecryptSync(key, bytes.subarray(9, HEADER), bytes.subarray(HEADER, bytes.length - MAC));
  } catch {
    throw badPadding();
  }
}

export async function openWeb(key: KeyMaterial, bytes: Uint8Array): Promise<Uint8Array> {
  try {
    return await aesDecryptWeb(key, bytes.slice(9, HEADER), bytes.slice(HEADER, bytes.length - MAC));
  } catch {
    throw badPadding();
  }
}
