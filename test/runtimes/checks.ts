/**
 * The core checks every runtime runs (Node with and without node:crypto, Bun, Deno, workerd with
 * and without nodejs_compat): the official Fernet vectors, values Python's py-key-value and FastMCP
 * wrote, key derivation, secrets, MemoryStore with the wrappers, `take` and `Symbol.asyncDispose`.
 * Plain TypeScript with no runtime API but WebCrypto, so the same file runs everywhere: under
 * vitest, `bun`, `deno run`, and bundled by esbuild into a Worker.
 */
import fastmcp from '../fixtures/vectors/fastmcp/storage-keys.json' with { type: 'json' };
import generate from '../fixtures/vectors/fernet-spec/generate.json' with { type: 'json' };
import invalid from '../fixtures/vectors/fernet-spec/invalid.json' with { type: 'json' };
import verify from '../fixtures/vectors/fernet-spec/verify.json' with { type: 'json' };
import derived from '../fixtures/vectors/py-key-value/derived-keys.json' with { type: 'json' };
import encryptedValues from '../fixtures/vectors/py-key-value/encrypted-values.json' with { type: 'json' };
import rotation from '../fixtures/vectors/py-key-value/rotation.json' with { type: 'json' };

/** The package's root entry, as each runtime loads it. */
export type Lib = typeof import('../../src/index.js');

export interface Check {
  name: string;
  run: () => Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  assert(a === e, `${what}: expected ${e}, got ${a}`);
}

async function rejects(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert(caught !== undefined, `${what}: did not fail`);
  same((caught as { code?: unknown }).code, code, `${what}: error code`);
}

/** Standard base64 of the stored form back to the Fernet token text. */
function tokenOf(stored: { __encrypted_data__: string }): string {
  return atob(stored.__encrypted_data__);
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** HKDF-SHA-256 with WebCrypto: an independent reference for Fernet.deriveSecrets. */
async function referenceHkdf(ikm: Uint8Array, salt: string, info: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', ikm as Uint8Array<ArrayBuffer>, 'HKDF', false, [
    'deriveBits',
  ]);
  const params = { name: 'HKDF', hash: 'SHA-256', salt: bytes(salt), info: bytes(info) };
  return new Uint8Array(await crypto.subtle.deriveBits(params, key, 256));
}

function keyBytes(key: string): Uint8Array {
  const text = atob(key.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * Every check. `options.slow` adds the key derivations (PBKDF2 at 1,000,000 and 1,200,000
 * iterations, about a second each).
 */
export function coreChecks(lib: Lib, options: { slow?: boolean } = {}): Check[] {
  const { Fernet } = lib;
  const checks: Check[] = [
    {
      name: 'Fernet spec vectors: generate (encryptAsync, and encrypt where synchronous)',
      run: async () => {
        for (const v of generate) {
          const fernet = new Fernet(v.secret);
          const options = { now: new Date(v.now), iv: Uint8Array.from(v.iv) };
          same(await fernet.encryptAsync(v.src, options), v.token, `generate ${v.src}`);
          if (Fernet.supportsSync) same(fernet.encrypt(v.src, options), v.token, `sync generate ${v.src}`);
        }
      },
    },
    {
      name: 'Fernet spec vectors: verify (decryptTextAsync with ttl)',
      run: async () => {
        for (const v of verify) {
          const fernet = new Fernet(v.secret);
          same(
            await fernet.decryptTextAsync(v.token, { ttl: v.ttl_sec, now: new Date(v.now) }),
            v.src,
            'verify',
          );
          if (Fernet.supportsSync)
            same(
              fernet.decryptText(v.token, { ttl: v.ttl_sec, now: Date.parse(v.now) }),
              v.src,
              'sync verify',
            );
        }
      },
    },
    {
      name: 'Fernet spec vectors: every invalid token is refused with DecryptionError',
      run: async () => {
        for (const v of invalid) {
          const fernet = new Fernet([lib.generateFernetKey(), v.secret]);
          await rejects(
            fernet.decryptAsync(v.token, { ttl: v.ttl_sec, now: new Date(v.now) }),
            'DECRYPTION_ERROR',
            v.desc,
          );
        }
      },
    },
    {
      name: 'Fernet: the asynchronous methods round-trip, rotate and extract timestamps; sync methods need node:crypto',
      run: async () => {
        const older = new Fernet(lib.generateFernetKey());
        const token = await older.encryptAsync(bytes('payload'), { now: 1_700_000_000_000 });
        const rotated = new Fernet([lib.generateFernetKey(), older]);
        const fresh = await rotated.rotateAsync(token);
        const info = await rotated.decryptWithInfoAsync(fresh);
        same([info.keyIndex, info.timestamp], [0, 1_700_000_000], 'rotate keeps the timestamp');
        same(await rotated.extractTimestampAsync(token), 1_700_000_000, 'extractTimestampAsync');
        same(new TextDecoder().decode(await rotated.decryptAsync(token)), 'payload', 'decryptAsync');
        await rejects(
          older.decryptAsync(fresh),
          'DECRYPTION_ERROR',
          'old key alone cannot read the rotated token',
        );
        if (Fernet.supportsSync) {
          same(rotated.decryptText(fresh), 'payload', 'sync decrypt of an async token');
          same(await rotated.decryptTextAsync(rotated.encrypt('x')), 'x', 'async decrypt of a sync token');
        } else {
          let code: unknown;
          try {
            older.encrypt('x');
          } catch (err) {
            code = (err as { code?: unknown }).code;
          }
          same(code, 'NOT_SUPPORTED', 'encrypt() without node:crypto');
        }
      },
    },
    {
      name: 'deriveSecrets is HKDF-SHA-256 over the whole key (synchronous on every runtime)',
      run: async () => {
        const key = lib.generateFernetKey();
        const [secret] = new Fernet(key).deriveSecrets('bearer-hash');
        same(
          Array.from(secret!),
          Array.from(await referenceHkdf(keyBytes(key), 'oauth-kv derived secret', 'bearer-hash')),
          'secret',
        );
        const store = lib.withEncryption(new lib.MemoryStore(), { keys: [key] });
        same(
          Array.from(lib.deriveStoreSecrets(store, 'bearer-hash')![0]!),
          Array.from(secret!),
          'DERIVE_SECRETS',
        );
        await store.close();
      },
    },
    {
      name: "py-key-value: the encryption wrapper reads what Python's FernetEncryptionWrapper wrote",
      run: async () => {
        for (const v of encryptedValues) {
          const inner = new lib.MemoryStore();
          await inner.put('k', v.stored, { collection: 'c' });
          const store = lib.withEncryption(inner, { keys: [v.fernet_key] });
          same(await store.get('k', { collection: 'c' }), v.value, 'python value');
          await store.close();
        }
      },
    },
    {
      name: 'py-key-value rotation: values under either key are read; reencrypt moves them to the newest',
      run: async () => {
        const inner = new lib.MemoryStore();
        const store = lib.withEncryption(inner, { keys: rotation.keys_newest_first });
        for (const [i, entry] of rotation.entries.entries())
          await inner.put(`k${i}`, entry.stored, { collection: 'c' });
        for (const [i, entry] of rotation.entries.entries())
          same(await store.get(`k${i}`, { collection: 'c' }), entry.value, 'rotated value');
        await lib.reencrypt(store, { collection: 'c' });
        const newest = lib.withEncryption(inner, { keys: [rotation.keys_newest_first[0]!] });
        for (const [i, entry] of rotation.entries.entries())
          same(await newest.get(`k${i}`, { collection: 'c' }), entry.value, 'after reencrypt');
        await store.close();
      },
    },
    {
      name: 'MemoryStore with encryption (bound), namespace and TTL policy: put, get, take once, keys',
      run: async () => {
        const key = lib.generateFernetKey();
        const store = lib.compose(
          lib.layer(lib.withNamespace, { prefix: 'tenant-a' }),
          lib.layer(lib.withTtlPolicy, { defaultTtl: 60 }),
          lib.layer(lib.withEncryption, { keys: [key], bindToKey: true }),
          new lib.MemoryStore(),
        );
        await store.put('code-1', { client_id: 'c1' }, { collection: 'codes' });
        same(await store.get('code-1', { collection: 'codes' }), { client_id: 'c1' }, 'get');
        same(await store.take('code-1', { collection: 'codes' }), { client_id: 'c1' }, 'first take');
        same(await store.take('code-1', { collection: 'codes' }), undefined, 'second take');
        same(await store.putIfAbsent('x', { a: 1 }), true, 'putIfAbsent');
        same(await store.putIfAbsent('x', { a: 2 }), false, 'putIfAbsent again');
        await store.putMany([
          ['m1', { n: 1 }],
          ['m2', { n: 2 }],
        ]);
        same(await store.getMany(['m1', 'm2', 'none']), [{ n: 1 }, { n: 2 }, undefined], 'getMany');
        const ttl = await store.ttl('m1');
        assert(ttl.ttl !== undefined && ttl.ttl > 50 && ttl.ttl <= 60, `ttl ${ttl.ttl}`);
        await store.close();
      },
    },
    {
      name: 'a tampered value and a wrong key are DecryptionError; plaintext is refused',
      run: async () => {
        const inner = new lib.MemoryStore();
        const store = lib.withEncryption(inner, { keys: [lib.generateFernetKey()] });
        await inner.put('plain', { a: 1 });
        await rejects(store.get('plain'), 'DECRYPTION_ERROR', 'plaintext');
        await store.put('k', { a: 1 });
        const other = lib.withEncryption(inner, { keys: [lib.generateFernetKey()] });
        await rejects(other.get('k'), 'DECRYPTION_ERROR', 'wrong key');
        await store.close();
      },
    },
    {
      name: 'Symbol.asyncDispose closes stores and wrappers',
      run: async () => {
        const inner = new lib.MemoryStore();
        const store = lib.withEncryption(inner, { keys: [lib.generateFernetKey()] });
        assert(typeof store[Symbol.asyncDispose] === 'function', 'wrapper has Symbol.asyncDispose');
        await store[Symbol.asyncDispose]();
        await rejects(inner.get('k'), 'STORE_CLOSED', 'the wrapped store is closed');
      },
    },
  ];
  if (options.slow) {
    checks.push({
      name: "key derivation: py-key-value's PBKDF2 key and FastMCP's storage keys",
      run: async () => {
        const v = derived.pbkdf2;
        same(await lib.deriveFernetKey(v.source_material, v.salt), v.fernet_key, 'deriveFernetKey');
        for (const c of fastmcp.cases) {
          const source =
            c.jwt_signing_key ??
            (c.jwt_signing_key_bytes_utf8 !== undefined
              ? bytes(c.jwt_signing_key_bytes_utf8)
              : { upstreamClientSecret: c.upstream_client_secret! });
          const key = await lib.deriveFastMcpStorageKey(source);
          same(key, c.storage_key, c.why);
          same(JSON.parse(await new Fernet(key).decryptTextAsync(tokenOf(c.stored))), c.value, c.why);
        }
      },
    });
  }
  return checks;
}

/** Runs every check and reports each one, never throwing. */
export async function runChecks(checks: readonly Check[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      await check.run();
      results.push({ name: check.name, ok: true });
    } catch (err) {
      results.push({
        name: check.name,
        ok: false,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
  }
  return results;
}
