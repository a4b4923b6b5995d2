import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/crypto/fernet.js';
import { deriveFastMcpStorageKey, deriveFernetKey, generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, EncryptionError, InvalidTTLError } from '../src/errors.js';
import { fernetNpm } from './helpers/fernet-npm.js';

const VECTORS = new URL('./fixtures/vectors/', import.meta.url);
function vectors<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, VECTORS), 'utf8')) as T;
}

interface SpecVector {
  token: string;
  now: string;
  iv?: number[];
  src?: string;
  ttl_sec?: number;
  secret: string;
  desc?: string;
}

const KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';

describe('Fernet spec vectors', () => {
  it.each(vectors<SpecVector[]>('fernet-spec/generate.json'))('generate: $src', (v) => {
    const token = new Fernet(v.secret).encrypt(v.src!, { now: new Date(v.now), iv: Uint8Array.from(v.iv!) });
    expect(token).toBe(v.token);
  });

  it.each(vectors<SpecVector[]>('fernet-spec/verify.json'))('verify: $src', (v) => {
    const fernet = new Fernet(v.secret);
    expect(fernet.decryptText(v.token, { ttl: v.ttl_sec, now: new Date(v.now) })).toBe(v.src);
    expect(Buffer.from(fernet.decrypt(v.token, { ttl: v.ttl_sec, now: Date.parse(v.now) })).toString()).toBe(
      v.src,
    );
  });

  /** Why each official invalid token is refused: the check that must catch it. */
  const reasons: Record<string, RegExp> = {
    'incorrect mac': /does not verify/,
    'too short': /too short/,
    'invalid base64': /base64/,
    'payload size not multiple of block size': /whole number of AES blocks/,
    'payload padding error': /padding/,
    'far-future TS (unacceptable clock skew)': /future/,
    'expired TTL': /expired/,
    'incorrect IV (causes padding error)': /padding/,
  };

  it.each(vectors<SpecVector[]>('fernet-spec/invalid.json'))('invalid: $desc', (v) => {
    const fernet = new Fernet(v.secret);
    expect(() => fernet.decrypt(v.token, { ttl: v.ttl_sec, now: new Date(v.now) })).toThrow(DecryptionError);
    expect(reasons[v.desc!]).toBeDefined();
    expect(() => fernet.decrypt(v.token, { ttl: v.ttl_sec, now: new Date(v.now) })).toThrow(
      reasons[v.desc!]!,
    );
    // Multi-key instances refuse them too.
    expect(() =>
      new Fernet([generateFernetKey(), v.secret]).decrypt(v.token, {
        ttl: v.ttl_sec,
        now: new Date(v.now),
      }),
    ).toThrow(DecryptionError);
  });

  it('checks age and clock skew only when a ttl is given (as Python does)', () => {
    const v = vectors<SpecVector[]>('fernet-spec/invalid.json');
    const expired = v.find((x) => x.desc === 'expired TTL')!;
    const future = v.find((x) => x.desc?.startsWith('far-future'))!;
    const fernet = new Fernet(KEY);
    expect(() => fernet.decrypt(expired.token)).not.toThrow();
    expect(() => fernet.decrypt(future.token, { now: new Date(future.now) })).not.toThrow();
    expect(() => fernet.decrypt(future.token, { ttl: 60, now: new Date(future.now) })).toThrow(/future/);
    expect(() => fernet.decrypt(expired.token, { ttl: 60, now: new Date(expired.now) })).toThrow(/expired/);
  });
});

describe('Fernet', () => {
  it('round-trips strings, bytes, empty input and multi-block input', () => {
    const fernet = new Fernet(generateFernetKey());
    for (const text of ['', 'x', 'sixteen bytes!!!', 'Grüße 🌏'.repeat(100)]) {
      expect(fernet.decryptText(fernet.encrypt(text))).toBe(text);
    }
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    expect(Buffer.from(fernet.decrypt(fernet.encrypt(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('produces url-safe base64 with padding and a fresh IV each time', () => {
    const fernet = new Fernet(KEY);
    const a = fernet.encrypt('same');
    const b = fernet.encrypt('same');
    expect(a).not.toBe(b);
    for (const token of [a, b]) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+=*$/);
      expect(token.length % 4).toBe(0);
    }
  });

  it('never reuses an IV, across refills of the random pool', () => {
    const fernet = new Fernet(KEY);
    const ivs = new Set<string>();
    for (let i = 0; i < 700; i++) {
      ivs.add(Buffer.from(fernet.encrypt('x'), 'base64url').subarray(9, 25).toString('hex'));
    }
    expect(ivs.size).toBe(700);
    expect(ivs.has('0'.repeat(32))).toBe(false);
  });

  it('stamps the token with the current time in seconds', () => {
    const fernet = new Fernet(KEY);
    const before = Math.floor(Date.now() / 1000);
    const stamp = fernet.extractTimestamp(fernet.encrypt('t'));
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(fernet.extractTimestamp(fernet.encrypt('t', { now: 1_000_000_999 }))).toBe(1_000_000);
  });

  it('accepts a raw 32-byte key and standard-alphabet key text', () => {
    const raw = Buffer.from(KEY, 'base64');
    const token = new Fernet(KEY).encrypt('k');
    expect(new Fernet(new Uint8Array(raw)).decryptText(token)).toBe('k');
    expect(new Fernet(KEY.replaceAll('-', '+').replaceAll('_', '/')).decryptText(token)).toBe('k');
    expect(new Fernet(KEY.slice(0, -1)).decryptText(token)).toBe('k'); // padding optional
  });

  it.each([
    ['too short', KEY.slice(0, 20)],
    ['too long', `${KEY.slice(0, -1)}AAAA=`],
    ['not base64', `${'%'.repeat(43)}=`],
    ['empty', ''],
  ])('refuses a malformed key (%s) without echoing it', (_why, key) => {
    try {
      new Fernet(key);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EncryptionError);
      if (key.length > 4) expect((err as Error).message).not.toContain(key.slice(0, 12));
    }
  });

  it('refuses bad arguments with typed errors', () => {
    const fernet = new Fernet(KEY);
    expect(() => new Fernet([])).toThrow(EncryptionError);
    expect(() => new Fernet(42 as unknown as string)).toThrow(EncryptionError);
    expect(() => new Fernet([KEY, 'not a key'])).toThrow(EncryptionError);
    expect(() => fernet.encrypt(42 as unknown as string)).toThrow(EncryptionError);
    expect(() => fernet.encrypt('x', { iv: new Uint8Array(8) })).toThrow(EncryptionError);
    expect(() => fernet.encrypt('x', { now: Number.NaN })).toThrow(EncryptionError);
    expect(() => fernet.decrypt(42 as unknown as string)).toThrow(DecryptionError);
    const token = fernet.encrypt('x');
    expect(() => fernet.decrypt(token, { ttl: -1 })).toThrow(InvalidTTLError);
    expect(() => fernet.decrypt(token, { ttl: 60, now: new Date('nope') })).toThrow(DecryptionError);
  });

  it('refuses a token under another key, a flipped bit, and a missing padding', () => {
    const fernet = new Fernet(KEY);
    const token = fernet.encrypt('secret plaintext');
    expect(() => new Fernet(generateFernetKey()).decrypt(token)).toThrow(/does not verify/);
    const bytes = Buffer.from(token, 'base64url');
    for (const at of [0, 5, 12, 30, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[at]! ^= 1;
      const tampered = `${copy.toString('base64url')}${'='.repeat((4 - (copy.toString('base64url').length % 4)) % 4)}`;
      expect(() => fernet.decrypt(tampered)).toThrow(DecryptionError);
    }
    expect(() => fernet.decrypt(token.replace(/=+$/, ''))).toThrow(/base64/);
    expect(() => fernet.decrypt(`${token}AAAA`)).toThrow(DecryptionError);
  });

  it('accepts a token given as ASCII bytes', () => {
    const fernet = new Fernet(KEY);
    expect(fernet.decryptText(new TextEncoder().encode(fernet.encrypt('b')))).toBe('b');
  });

  it('refuses plaintext that is not UTF-8 in decryptText', () => {
    const fernet = new Fernet(KEY);
    const token = fernet.encrypt(Uint8Array.of(0xff, 0xfe));
    expect(fernet.decrypt(token)).toEqual(Buffer.of(0xff, 0xfe));
    expect(() => fernet.decryptText(token)).toThrow(/UTF-8/);
  });

  it('never leaks key material or plaintext through errors, inspect or JSON', () => {
    const fernet = new Fernet([KEY, generateFernetKey()]);
    expect(inspect(fernet)).toBe('[Fernet: 2 keys]');
    expect(JSON.stringify({ fernet })).toBe('{"fernet":"[Fernet: 2 keys]"}');
    expect(inspect(fernet, { showHidden: true, depth: 5 })).not.toContain(KEY.slice(0, 10));
    const token = new Fernet(generateFernetKey()).encrypt('top-secret-plaintext');
    try {
      fernet.decrypt(token);
      expect.unreachable();
    } catch (err) {
      const text = `${(err as Error).message} ${inspect(err)}`;
      expect(text).not.toContain('top-secret');
      expect(text).not.toContain(KEY.slice(0, 10));
      expect(text).not.toContain(token.slice(20, 40));
    }
  });
});

describe("several keys (key rotation, Python's MultiFernet)", () => {
  const oldKey = generateFernetKey();
  const newKey = generateFernetKey();

  it('encrypts with the first key and decrypts with any', () => {
    const old = new Fernet(oldKey);
    const both = new Fernet([newKey, oldKey]);
    const oldToken = old.encrypt('from old');
    expect(both.decryptText(oldToken)).toBe('from old');
    expect(both.decryptWithInfo(oldToken).keyIndex).toBe(1);
    const fresh = both.encrypt('from new');
    expect(new Fernet(newKey).decryptText(fresh)).toBe('from new');
    expect(() => old.decrypt(fresh)).toThrow(DecryptionError);
    expect(both.keyCount).toBe(2);
  });

  it('nested Fernet instances flatten in order', () => {
    const nested = new Fernet([new Fernet(newKey), new Fernet([oldKey])]);
    expect(nested.keyCount).toBe(2);
    expect(new Fernet(newKey).decryptText(nested.encrypt('n'))).toBe('n');
    expect(nested.decryptWithInfo(new Fernet(oldKey).encrypt('o')).keyIndex).toBe(1);
  });

  it('rotate() re-encrypts under the newest key and keeps the timestamp', () => {
    const token = new Fernet(oldKey).encrypt('r', { now: Date.UTC(2020, 0, 1) });
    const rotated = new Fernet([newKey, oldKey]).rotate(token);
    const info = new Fernet(newKey).decryptWithInfo(rotated);
    expect(Buffer.from(info.data).toString()).toBe('r');
    expect(info.timestamp).toBe(Date.UTC(2020, 0, 1) / 1000);
  });

  it('generateFernetKey returns a usable 44-character key', () => {
    const key = generateFernetKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(new Fernet(key).decryptText(new Fernet(key).encrypt('g'))).toBe('g');
    expect(generateFernetKey()).not.toBe(generateFernetKey());
  });
});

describe('interoperability with the fernet npm package', () => {
  it('their token decrypts with ours', () => {
    const theirs = new fernetNpm.Token({ secret: new fernetNpm.Secret(KEY), ttl: 0 });
    const token = theirs.encode('from the fernet package ✓');
    expect(new Fernet(KEY).decryptText(token)).toBe('from the fernet package ✓');
  });

  it('our token decrypts with theirs', () => {
    const token = new Fernet(KEY).encrypt('from oauth-kv ✓');
    const theirs = new fernetNpm.Token({ secret: new fernetNpm.Secret(KEY), ttl: 0, token });
    expect(theirs.decode()).toBe('from oauth-kv ✓');
  });
});

describe("FastMCP storage key (vectors from FastMCP's own derive_jwt_key and OAuthProxy code)", () => {
  interface FastMcpCase {
    why: string;
    jwt_signing_key?: string;
    jwt_signing_key_bytes_utf8?: string;
    upstream_client_secret?: string;
    storage_key: string;
    value: object;
    stored: { __encrypted_data__: string; __encryption_version__: number };
  }
  const fastmcp = vectors<{ revisions: string[]; kdf_iterations: number; cases: FastMcpCase[] }>(
    'fastmcp/storage-keys.json',
  );

  it('covers the string, bytes and upstream-secret forms, checked on FastMCP 2.13 to 3.x', () => {
    expect(fastmcp.revisions).toEqual(expect.arrayContaining(['v2.13.0', 'v2.14.5', 'v3.0.0rc2']));
    expect(fastmcp.kdf_iterations).toBe(1_000_000);
    expect(fastmcp.cases.filter((c) => c.jwt_signing_key !== undefined)).toHaveLength(3);
    expect(fastmcp.cases.filter((c) => c.jwt_signing_key_bytes_utf8 !== undefined)).toHaveLength(1);
    expect(fastmcp.cases.filter((c) => c.upstream_client_secret !== undefined)).toHaveLength(1);
  });

  it.each(fastmcp.cases)('$why', async (c) => {
    const source =
      c.jwt_signing_key ??
      (c.jwt_signing_key_bytes_utf8 !== undefined
        ? new TextEncoder().encode(c.jwt_signing_key_bytes_utf8)
        : { upstreamClientSecret: c.upstream_client_secret! });
    const key = await deriveFastMcpStorageKey(source);
    expect(key).toBe(c.storage_key);
    const token = Buffer.from(c.stored.__encrypted_data__, 'base64').toString('ascii');
    expect(JSON.parse(new Fernet(key).decryptText(token))).toEqual(c.value);
  });

  it('refuses bytes that are not UTF-8, an empty source and other types with EncryptionError', async () => {
    await expect(deriveFastMcpStorageKey(new Uint8Array([0xff, 0xfe]))).rejects.toBeInstanceOf(
      EncryptionError,
    );
    await expect(deriveFastMcpStorageKey(new Uint8Array())).rejects.toBeInstanceOf(EncryptionError);
    await expect(deriveFastMcpStorageKey({ upstreamClientSecret: '' })).rejects.toBeInstanceOf(
      EncryptionError,
    );
    await expect(deriveFastMcpStorageKey(42 as unknown as string)).rejects.toBeInstanceOf(EncryptionError);
    await expect(deriveFastMcpStorageKey(null as unknown as string)).rejects.toBeInstanceOf(EncryptionError);
  });

  it("does not change the caller's bytes", async () => {
    const bytes = new TextEncoder().encode('bytes-signing-key-0123456789abcdef');
    const copy = Uint8Array.from(bytes);
    await deriveFastMcpStorageKey(bytes);
    expect(bytes).toEqual(copy);
  });
});

describe('key derivation (py-key-value and FastMCP)', () => {
  interface Derived {
    fernet_key: string;
    value: object;
    stored: { __encrypted_data__: string; __encryption_version__: number };
  }
  const derived = vectors<{
    pbkdf2: Derived & { source_material: string; salt: string; iterations: number };
    fastmcp_hkdf: Derived & { jwt_signing_key: string; salt: string; info: string };
  }>('py-key-value/derived-keys.json');

  function decryptStored(key: string, stored: Derived['stored']): unknown {
    const token = Buffer.from(stored.__encrypted_data__, 'base64').toString('ascii');
    return JSON.parse(new Fernet(key).decryptText(token));
  }

  it('deriveFernetKey matches PBKDF2-HMAC-SHA256 with 1.2M iterations and decrypts the stored value', async () => {
    const v = derived.pbkdf2;
    expect(v.iterations).toBe(1_200_000);
    const key = await deriveFernetKey(v.source_material, v.salt);
    expect(key).toBe(v.fernet_key);
    expect(decryptStored(key, v.stored)).toEqual(v.value);
  });

  it('the old HKDF-only vector is the bytes form of a jwt_signing_key (no PBKDF2 step)', async () => {
    const v = derived.fastmcp_hkdf;
    expect(v.salt).toBe('fastmcp-storage-encryption-key');
    const key = await deriveFastMcpStorageKey(Buffer.from(v.jwt_signing_key, 'utf8'));
    expect(key).toBe(v.fernet_key);
    expect(decryptStored(key, v.stored)).toEqual(v.value);
    // Given as a string, FastMCP first stretches it: another key.
    expect(await deriveFastMcpStorageKey(v.jwt_signing_key)).not.toBe(v.fernet_key);
  });

  it('refuses empty or non-string inputs with EncryptionError', async () => {
    await expect(deriveFernetKey('', 'salt')).rejects.toBeInstanceOf(EncryptionError);
    await expect(deriveFernetKey('pass', undefined as unknown as string)).rejects.toBeInstanceOf(
      EncryptionError,
    );
    await expect(deriveFastMcpStorageKey('')).rejects.toBeInstanceOf(EncryptionError);
    await expect(deriveFastMcpStorageKey('\ud800')).rejects.toBeInstanceOf(EncryptionError);
  });
});
