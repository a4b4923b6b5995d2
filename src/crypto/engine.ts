/**
 * The cryptographic primitives under Fernet and the key functions, on whatever the runtime offers:
 * - `node:crypto` where it exists (Node, Bun, Deno, Cloudflare Workers with `nodejs_compat`),
 *   reached through `process.getBuiltinModule`, never through an `import`, so no bundler and no
 *   runtime without it ever has to resolve `node:crypto`. It is synchronous and the fastest path.
 * - WebCrypto (`globalThis.crypto.subtle`) everywhere else (Workers without `nodejs_compat`,
 *   browsers). It is asynchronous only, so only the `...Async` Fernet methods and the encryption
 *   wrapper work there.
 * AES always comes from the platform (OpenSSL/BoringSSL or WebCrypto), never from JavaScript.
 * @module
 */
import type * as NodeCryptoModule from 'node:crypto';
import { NotSupportedError } from '../errors.js';
import { hkdfSha256 } from './sha256.js';

type NodeCrypto = typeof NodeCryptoModule;
type Key = NodeCryptoModule.KeyObject;
type SubtleCrypto = NodeCryptoModule.webcrypto.SubtleCrypto;
type CryptoKey = NodeCryptoModule.webcrypto.CryptoKey;

type Lookup<T> = T | undefined | null; // null: not looked up yet

let nodeModule: Lookup<NodeCrypto> = null;
let subtleApi: Lookup<SubtleCrypto> = null;

/**
 * `node:crypto`, or `undefined` where the runtime has none. Looked up on first use, not when this
 * module loads: loading `node:crypto` costs a Node process about as much as the whole rest of
 * `import('oauth-kv')`, and a program that never encrypts need not pay it (docs/benchmarks.md).
 */
function nodeCrypto(): NodeCrypto | undefined {
  if (nodeModule === null) {
    nodeModule = (
      globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
    ).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  }
  return nodeModule;
}

/** WebCrypto's SubtleCrypto (every supported runtime has it); on first use, like {@link nodeCrypto}. */
function webSubtle(): SubtleCrypto | undefined {
  if (subtleApi === null) subtleApi = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  return subtleApi;
}

/** `true` where the synchronous Fernet methods work (`node:crypto` is there). */
export function syncCrypto(): boolean {
  return nodeCrypto() !== undefined;
}

/** A Fernet key split in its two halves, with the platform key objects made from them. */
export interface KeyMaterial {
  /** Bytes 0-15: the HMAC-SHA-256 signing key. */
  readonly signing: Uint8Array;
  /** Bytes 16-31: the AES-128-CBC encryption key. */
  readonly encryption: Uint8Array;
  /** `node:crypto` key objects, made at once where `node:crypto` exists. */
  readonly node: { readonly signing: Key; readonly encryption: Key } | undefined;
  /** WebCrypto keys (not extractable), imported on first asynchronous use. */
  web: Promise<{ readonly signing: CryptoKey; readonly encryption: CryptoKey }> | undefined;
}

/** Splits 32 key bytes into {@link KeyMaterial}. */
export function keyMaterial(raw: Uint8Array): KeyMaterial {
  // Copies (a Buffer's slice() would share memory with `raw`, which the caller wipes).
  const signing = Uint8Array.prototype.slice.call(raw, 0, 16);
  const encryption = Uint8Array.prototype.slice.call(raw, 16, 32);
  const native = nodeCrypto();
  const node = native
    ? { signing: native.createSecretKey(signing), encryption: native.createSecretKey(encryption) }
    : undefined;
  return { signing, encryption, node, web: undefined };
}

function webKeys(key: KeyMaterial): Promise<{ signing: CryptoKey; encryption: CryptoKey }> {
  key.web ??= (async () => {
    const api = requireSubtle();
    const [signing, encryption] = await Promise.all([
      api.importKey('raw', key.signing, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
      api.importKey('raw', key.encryption, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
    ]);
    return { signing, encryption };
  })();
  return key.web;
}

function requireSubtle(): SubtleCrypto {
  const subtle = webSubtle();
  if (subtle === undefined) {
    throw new NotSupportedError('encryption', 'This runtime, which has neither node:crypto nor WebCrypto,');
  }
  return subtle;
}

/** Fills `bytes` from the system CSPRNG. */
export function fillRandom(bytes: Uint8Array): void {
  const native = nodeCrypto();
  if (native) native.randomFillSync(bytes);
  else for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
}

// ---- synchronous (node:crypto) -------------------------------------------------------------------

/** AES-128-CBC with PKCS#7 padding (`node:crypto`). */
export function aesEncryptSync(key: KeyMaterial, iv: Uint8Array, plaintext: Uint8Array): Uint8Array[] {
  const cipher = nodeCrypto()!.createCipheriv('aes-128-cbc', key.node!.encryption, iv);
  return [cipher.update(plaintext), cipher.final()];
}

/** AES-128-CBC decryption; throws on bad padding (`node:crypto`). */
export function aesDecryptSync(key: KeyMaterial, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const decipher = nodeCrypto()!.createDecipheriv('aes-128-cbc', key.node!.encryption, iv);
  const head = decipher.update(ciphertext);
  const tail = decipher.final();
  // A Buffer, as before: where node:crypto exists, so does Buffer.
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** HMAC-SHA-256 under the signing key (`node:crypto`). */
export function hmacSync(key: KeyMaterial, data: Uint8Array): Uint8Array {
  return nodeCrypto()!.createHmac('sha256', key.node!.signing).update(data).digest();
}

/** Constant-time equality of two 32-byte MACs (`node:crypto`). */
export function macEqualSync(a: Uint8Array, b: Uint8Array): boolean {
  return nodeCrypto()!.timingSafeEqual(a, b);
}

/** HKDF-SHA-256: `node:crypto` where it exists, plain JavaScript elsewhere (both synchronous). */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const native = nodeCrypto();
  if (native) return new Uint8Array(native.hkdfSync('sha256', ikm, salt, info, length));
  return hkdfSha256(ikm, salt, info, length);
}

// ---- asynchronous (WebCrypto) --------------------------------------------------------------------

/** AES-128-CBC with PKCS#7 padding (WebCrypto). */
export async function aesEncryptWeb(
  key: KeyMaterial,
  iv: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const { encryption } = await webKeys(key);
  return new Uint8Array(await requireSubtle().encrypt({ name: 'AES-CBC', iv }, encryption, plaintext));
}

/** AES-128-CBC decryption; rejects on bad padding (WebCrypto). */
export async function aesDecryptWeb(
  key: KeyMaterial,
  iv: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const { encryption } = await webKeys(key);
  return new Uint8Array(await requireSubtle().decrypt({ name: 'AES-CBC', iv }, encryption, ciphertext));
}

/** HMAC-SHA-256 under the signing key (WebCrypto). */
export async function hmacWeb(key: KeyMaterial, data: Uint8Array): Promise<Uint8Array> {
  const { signing } = await webKeys(key);
  return new Uint8Array(await requireSubtle().sign('HMAC', signing, data));
}

/** Checks an HMAC-SHA-256 in constant time (WebCrypto's own comparison). */
export async function hmacVerifyWeb(key: KeyMaterial, data: Uint8Array, mac: Uint8Array): Promise<boolean> {
  const { signing } = await webKeys(key);
  return requireSubtle().verify('HMAC', signing, mac, data);
}

/**
 * PBKDF2-HMAC-SHA-256, 32 bytes: on the libuv thread pool where `node:crypto` exists (it takes about
 * a second at py-key-value's iteration count), WebCrypto elsewhere.
 */
export async function pbkdf2(secret: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const native = nodeCrypto();
  if (native) {
    const derive = native.pbkdf2;
    return new Promise((resolve, reject) => {
      derive(secret, salt, iterations, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)));
    });
  }
  const api = requireSubtle();
  const base = await api.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(
    await api.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256),
  );
}
