/**
 * The core on both crypto paths, from source: with node:crypto (Node's fast, synchronous path) and
 * without it (WebCrypto, as on Cloudflare Workers without nodejs_compat and in browsers). For the
 * second, a fresh copy of the root entry is loaded while `process.getBuiltinModule` and `Buffer`
 * are hidden, so it sees a runtime that has neither; test/runtimes.test.ts runs the same checks on
 * Bun, Deno and workerd against the packed package.
 */
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { hkdfSha256, hmacSha256, sha256 } from '../src/crypto/sha256.js';
import * as nodeLib from '../src/index.js';
import { coreChecks, type Lib } from './runtimes/checks.js';

/** Loads a fresh copy of the root entry on a runtime without node:crypto and without Buffer. */
async function loadWithoutNodeCrypto(): Promise<Lib> {
  const proc = process as { getBuiltinModule?: unknown };
  const global = globalThis as { Buffer?: unknown };
  const saved = { getBuiltinModule: proc.getBuiltinModule, Buffer: global.Buffer };
  vi.resetModules();
  proc.getBuiltinModule = undefined;
  global.Buffer = undefined;
  try {
    const lib = (await import('../src/index.js')) as Lib;
    // node:crypto is looked up on first use, not on import: make that lookup while it is hidden.
    void lib.Fernet.supportsSync;
    return lib;
  } finally {
    proc.getBuiltinModule = saved.getBuiltinModule;
    global.Buffer = saved.Buffer;
  }
}

let webLib: Lib;
beforeAll(async () => {
  webLib = await loadWithoutNodeCrypto();
});
afterAll(() => vi.resetModules());

describe('with node:crypto (Node, Bun, Deno, Workers with nodejs_compat)', () => {
  test('the synchronous methods are available', () => {
    expect(nodeLib.Fernet.supportsSync).toBe(true);
  });
  for (const check of coreChecks(nodeLib, { slow: true })) test(check.name, check.run);
});

describe('without node:crypto and Buffer (WebCrypto only)', () => {
  test('the copy under test really sees no node:crypto, and its classes are its own', () => {
    expect(webLib.Fernet.supportsSync).toBe(false);
    expect(webLib.Fernet).not.toBe(nodeLib.Fernet);
  });
  for (const check of coreChecks(nodeLib, { slow: true })) {
    test(check.name, () =>
      coreChecks(webLib, { slow: true })
        .find((c) => c.name === check.name)!
        .run(),
    );
  }

  test('synchronous methods throw NotSupportedError naming the asynchronous one', () => {
    const fernet = new webLib.Fernet(webLib.generateFernetKey());
    expect(() => fernet.encrypt('x')).toThrow(webLib.NotSupportedError);
    expect(() => fernet.decrypt('x')).toThrow(/decryptWithInfoAsync\(\)/);
    expect(() => fernet.rotate('x')).toThrow(/not support/);
    expect(() => fernet.extractTimestamp('x')).toThrow(/extractTimestampAsync\(\)/);
  });

  test('tokens cross between the two paths in both directions', async () => {
    const key = nodeLib.generateFernetKey();
    const onNode = new nodeLib.Fernet(key);
    const onWeb = new webLib.Fernet(key);
    expect(await onWeb.decryptTextAsync(onNode.encrypt('from node'))).toBe('from node');
    expect(onNode.decryptText(await onWeb.encryptAsync('from web'))).toBe('from web');
    const store = new nodeLib.MemoryStore();
    await nodeLib.withEncryption(store, { keys: [key] }).put('k', { a: 'node' });
    expect(await webLib.withEncryption(store, { keys: [key] }).get('k')).toEqual({ a: 'node' });
    await webLib.withEncryption(store, { keys: [key], bindToKey: true }).put('k', { a: 'web' });
    expect(await nodeLib.withEncryption(store, { keys: [key] }).get('k')).toEqual({ a: 'web' });
  });

  test('a value that cannot be read fails only its own getMany position, as on Node', async () => {
    const key = nodeLib.generateFernetKey();
    const inner = new webLib.MemoryStore();
    const store = webLib.withEncryption(inner, { keys: [key] });
    await store.put('good', { a: 1 });
    // A Python NaN: valid ciphertext whose plaintext JSON cannot be represented.
    const nan = new nodeLib.Fernet(key).encrypt('{"a": NaN}');
    await inner.put('nan', { __encrypted_data__: btoa(nan), __encryption_version__: 1 });
    expect(await store.getMany(['good', 'nan'])).toEqual([{ a: 1 }, undefined]);
    await expect(store.get('nan')).rejects.toBeInstanceOf(webLib.DeserializationError);
  });

  test('a wrong key is a DecryptionError, or undefined with onDecryptionError: "undefined"', async () => {
    const inner = new webLib.MemoryStore();
    await webLib.withEncryption(inner, { keys: [webLib.generateFernetKey()] }).put('k', { a: 1 });
    const other = webLib.generateFernetKey();
    await expect(webLib.withEncryption(inner, { keys: [other] }).get('k')).rejects.toBeInstanceOf(
      webLib.DecryptionError,
    );
    const lenient = webLib.withEncryption(inner, { keys: [other], onDecryptionError: 'undefined' });
    expect(await lenient.get('k')).toBeUndefined();
    expect(await lenient.ttlMany(['k'])).toEqual([{ value: undefined, ttl: undefined }]);
  });
});

describe('plain-JavaScript SHA-256, HMAC and HKDF (synchronous deriveSecrets without node:crypto)', () => {
  test('match node:crypto on random inputs of every length around the block boundaries', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 130 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 100 }),
        (data, key, info, length) => {
          expect(sha256(data)).toEqual(new Uint8Array(createHash('sha256').update(data).digest()));
          const mac = new Uint8Array(createHmac('sha256', key).update(data).digest());
          expect(hmacSha256(key, data)).toEqual(mac);
          expect(hkdfSha256(data, key, info, length)).toEqual(
            new Uint8Array(hkdfSync('sha256', data, key, info, length)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test('long inputs (several blocks, lengths past 2^16)', () => {
    const data = randomBytes(70_001);
    expect(sha256(data)).toEqual(new Uint8Array(createHash('sha256').update(data).digest()));
  });
});
