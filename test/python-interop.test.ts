/**
 * Both directions against Python's `cryptography` (what py-key-value and FastMCP use): what our
 * wrapper writes, Python decrypts; what Python writes with MultiFernet, we read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../src/contract.js';
import { deriveFastMcpStorageKey, generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { reencrypt, withEncryption } from '../src/wrappers/encryption.js';

const HELPER = fileURLToPath(new URL('./helpers/python-fernet.py', import.meta.url));
/** The interpreter; OAUTH_KV_PYTHON overrides it (for a virtualenv, or to see the skip path). */
const PYTHON = process.env.OAUTH_KV_PYTHON ?? 'python3';

/** Why the Python tests cannot run here, or undefined when they can. */
function pythonUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import cryptography; print(cryptography.__version__)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.error) return `${PYTHON} is not installed (${probe.error.message})`;
  if (probe.status !== 0)
    return 'the Python "cryptography" package is not installed (pip install cryptography)';
  return undefined;
}

const unavailable = pythonUnavailable();
if (unavailable) console.warn(`python-interop tests skipped: ${unavailable}`);

function python<T>(request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as T);
      else reject(new Error(`python helper failed (${code}): ${err.trim()}`));
    });
    child.stdin.end(JSON.stringify(request));
  });
}

const VALUES: JsonObject[] = [
  {
    client_id: 'mcp_1',
    client_secret: 'secret-1',
    redirect_uris: ['https://chatgpt.com/aip/oauth/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
  },
  { unicode: 'Grüße, 世界 🌏', nested: { a: [1, 2.5, null, true, { b: 'c' }] }, empty: {} },
  {},
  { big: 'x'.repeat(200_000), n: -1.25e-7 },
];

describe.skipIf(unavailable !== undefined)(
  `Python interop (cryptography)${unavailable ? ` — skipped: ${unavailable}` : ''}`,
  () => {
    const stores: MemoryStore[] = [];
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });
    const memory = () => {
      const s = new MemoryStore({ sweepIntervalMs: 0 });
      stores.push(s);
      return s;
    };
    const keys = VALUES.map((_, i) => `k${i}`);

    it('Python decrypts what the wrapper wrote (MultiFernet, newest key first)', async () => {
      const newKey = generateFernetKey();
      const oldKey = generateFernetKey();
      const inner = memory();
      const store = withEncryption(inner, { keys: [newKey, oldKey] });
      await store.putMany(
        VALUES.map((v, i) => [keys[i]!, v]),
        { collection: 'mcp-oauth-proxy-clients' },
      );
      const stored = await inner.getMany(keys, { collection: 'mcp-oauth-proxy-clients' });
      const reply = await python<{ values: JsonObject[] }>({ op: 'decrypt', keys: [newKey], stored });
      expect(reply.values).toEqual(VALUES);
    });

    it('the wrapper reads what Python encrypted, including under an older key', async () => {
      const newKey = generateFernetKey();
      const oldKey = generateFernetKey();
      const fromNew = await python<{ stored: JsonObject[] }>({
        op: 'encrypt',
        keys: [newKey, oldKey],
        values: VALUES,
      });
      const fromOld = await python<{ stored: JsonObject[] }>({
        op: 'encrypt',
        keys: [oldKey],
        values: VALUES,
      });
      const inner = memory();
      await inner.putMany(
        fromNew.stored.map((s, i) => [`new${i}`, s]),
        { collection: 'c' },
      );
      await inner.putMany(
        fromOld.stored.map((s, i) => [`old${i}`, s]),
        { collection: 'c' },
      );
      const store = withEncryption(inner, { keys: [newKey, oldKey] });
      expect(
        await store.getMany(
          keys.map((_, i) => `new${i}`),
          { collection: 'c' },
        ),
      ).toEqual(VALUES);
      expect(
        await store.getMany(
          keys.map((_, i) => `old${i}`),
          { collection: 'c' },
        ),
      ).toEqual(VALUES);
      // Python wrote under the old key: the new key alone refuses it.
      await expect(
        withEncryption(inner, { keys: newKey }).get('old0', { collection: 'c' }),
      ).rejects.toBeInstanceOf(DecryptionError);
      // After reencrypt, Python can read it with the new key alone.
      expect(await reencrypt(store, { collection: 'c' })).toBe(VALUES.length);
      const stored = await inner.getMany(
        keys.map((_, i) => `old${i}`),
        { collection: 'c' },
      );
      const reply = await python<{ values: JsonObject[] }>({ op: 'decrypt', keys: [newKey], stored });
      expect(reply.values).toEqual(VALUES);
    });

    it('with bindToKey, Python decrypts the token and gets the wrapped form', async () => {
      const key = generateFernetKey();
      const inner = memory();
      await withEncryption(inner, { keys: key, bindToKey: true }).put('code-1', VALUES[0]!, {
        collection: 'codes',
      });
      const stored = await inner.getMany(['code-1'], { collection: 'codes' });
      const reply = await python<{ values: JsonObject[] }>({ op: 'decrypt', keys: [key], stored });
      expect(reply.values).toEqual([
        { __oauth_kv_bound__: 1, collection: 'codes', key: 'code-1', value: VALUES[0] },
      ]);
    });

    it('deriveFastMcpStorageKey equals the key FastMCP derives in Python', async () => {
      for (const jwtSigningKey of [randomBytes(32).toString('base64url'), 'pässwörd with spaces']) {
        const reply = await python<{ key: string }>({ op: 'fastmcp_key', jwt_signing_key: jwtSigningKey });
        expect(await deriveFastMcpStorageKey(jwtSigningKey)).toBe(reply.key);
      }
    });

    it('a wrong key is refused on the Python side too', async () => {
      const inner = memory();
      await withEncryption(inner, { keys: generateFernetKey() }).put('k', { a: 1 });
      const stored = await inner.getMany(['k']);
      await expect(python({ op: 'decrypt', keys: [generateFernetKey()], stored })).rejects.toThrow(
        /InvalidToken/,
      );
    });
  },
);
