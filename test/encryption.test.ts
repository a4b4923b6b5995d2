import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import type { JsonObject } from '../src/contract.js';
import { Fernet } from '../src/crypto/fernet.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import {
  DecryptionError,
  EncryptionError,
  InvalidKeyError,
  InvalidTTLError,
  NotSupportedError,
  SerializationError,
} from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { type EncryptionWrapper, reencrypt, withEncryption } from '../src/wrappers/encryption.js';

const VECTORS = new URL('./fixtures/vectors/py-key-value/', import.meta.url);
function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8')) as T;
}
interface Stored {
  __encrypted_data__: unknown;
  __encryption_version__?: unknown;
}
interface EncryptedVector {
  fernet_key: string;
  value: JsonObject;
  stored: Stored;
}

const KEY = generateFernetKey();
const OLD_KEY = generateFernetKey();

describeConformance('withEncryption(MemoryStore)', {
  createStore: () => withEncryption(new MemoryStore(), { keys: [KEY, OLD_KEY] }),
});

describeConformance('withEncryption(MemoryStore, bindToKey)', {
  createStore: () => withEncryption(new MemoryStore(), { keys: KEY, bindToKey: true }),
  modelRuns: 10,
});

/** A view of a shared store whose close() leaves the shared store open. */
class Unclosable extends WrapperStore {
  override async close(): Promise<void> {}
}
const shared = new MemoryStore({ sweepIntervalMs: 0 });

// Two wrapper instances over one backing: exactly-once take/putIfAbsent and persistence across
// instances go through the encryption layer (old and new key order differ between instances).
let instance = 0;
describeConformance('withEncryption(shared MemoryStore), two instances', {
  createStore: () =>
    withEncryption(new Unclosable(shared), {
      keys: instance++ % 2 ? [KEY, OLD_KEY] : [KEY],
      bindToKey: true,
    }),
  persistent: true,
  sharedBacking: true,
  modelRuns: 5,
  skip: { 'op.close': 'a view over a shared backing whose close() leaves the backing open on purpose' },
});

/** Decrypts a stored form by hand, the way Python's py-key-value does. */
function decryptByHand(stored: JsonObject, key: string): string {
  const token = Buffer.from(stored.__encrypted_data__ as string, 'base64').toString('ascii');
  return new Fernet(key).decryptText(token);
}

describe('EncryptionWrapper', () => {
  const stores: MemoryStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  function setup(options: Partial<ConstructorParameters<typeof EncryptionWrapper>[1]> = {}) {
    const inner = new MemoryStore({ sweepIntervalMs: 0 });
    stores.push(inner);
    return { inner, store: withEncryption(inner, { keys: [KEY], ...options }) };
  }

  describe('stored form (py-key-value layout)', () => {
    it('writes exactly {__encrypted_data__: standard base64 of the token, __encryption_version__: 1}', async () => {
      const { inner, store } = setup();
      const value = { client_secret: 'sekret+/?', list: [1, 'two', null], 'ü/+': { deep: true } };
      await store.put('k', value, { collection: 'c' });
      const raw = (await inner.get('k', { collection: 'c' }))!;
      expect(Object.keys(raw).sort()).toEqual(['__encrypted_data__', '__encryption_version__']);
      expect(raw.__encryption_version__).toBe(1);
      expect(raw.__encrypted_data__).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const token = Buffer.from(raw.__encrypted_data__ as string, 'base64').toString('ascii');
      expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/); // a Fernet token (version byte 0x80)
      expect(decryptByHand(raw, KEY)).toBe(JSON.stringify(value)); // compact JSON, like separators=(",",":")
    });

    it('the raw stored bytes contain no plaintext of the value', async () => {
      const { inner, store } = setup();
      const secret = 'super-secret-refresh-token-value-0123456789';
      await store.put('k', { refresh_token: secret, note: 'plain words here' }, { collection: 'c' });
      await store.putMany([['m', { refresh_token: secret }]], { collection: 'c' });
      await store.putIfAbsent('p', { refresh_token: secret }, { collection: 'c' });
      for (const key of ['k', 'm', 'p']) {
        const text = JSON.stringify(await inner.get(key, { collection: 'c' }));
        for (const needle of [secret, 'refresh_token', 'plain words', secret.slice(10, 24)]) {
          expect(text).not.toContain(needle);
          expect(Buffer.from(text).toString('base64')).not.toContain(Buffer.from(needle).toString('base64'));
        }
      }
    });

    it.each(vectors<EncryptedVector[]>('encrypted-values.json').map((v, i) => [i, v] as const))(
      'reads py-key-value encrypted value #%i',
      async (_i, v) => {
        const inner = new MemoryStore();
        stores.push(inner);
        await inner.put('k', v.stored as unknown as JsonObject, { collection: 'c' });
        const store = withEncryption(inner, { keys: v.fernet_key });
        expect(await store.get('k', { collection: 'c' })).toEqual(v.value);
        expect(await store.getMany(['k', 'k'], { collection: 'c' })).toEqual([v.value, v.value]);
        // What we write decrypts by hand to the same compact JSON Python encrypted.
        await store.put('ours', v.value, { collection: 'c' });
        const ours = (await inner.get('ours', { collection: 'c' }))!;
        // (Python escapes non-ASCII as \uXXXX, JSON.stringify writes UTF-8: both parse the same.)
        expect(JSON.parse(decryptByHand(ours, v.fernet_key))).toEqual(
          JSON.parse(decryptByHand(v.stored as unknown as JsonObject, v.fernet_key)),
        );
        expect(decryptByHand(ours, v.fernet_key)).toBe(JSON.stringify(v.value));
      },
    );

    it('reads values stored under an old key with the keys newest first (rotation.json)', async () => {
      const rotation = vectors<{
        keys_newest_first: string[];
        entries: { value: JsonObject; stored: Stored }[];
        stored_with_newest: { value: JsonObject; stored: Stored }[];
      }>('rotation.json');
      const inner = new MemoryStore();
      stores.push(inner);
      const all = [...rotation.entries, ...rotation.stored_with_newest];
      await inner.putMany(
        all.map((e, i) => [`k${i}`, e.stored as unknown as JsonObject]),
        { collection: 'c' },
      );
      const keys = all.map((_, i) => `k${i}`);
      const store = withEncryption(inner, { keys: rotation.keys_newest_first });
      expect(await store.getMany(keys, { collection: 'c' })).toEqual(all.map((e) => e.value));
      // The old entries really are under the old key: the newest key alone cannot read them.
      const newestOnly = withEncryption(inner, { keys: rotation.keys_newest_first[0]! });
      await expect(newestOnly.get('k0', { collection: 'c' })).rejects.toThrow(DecryptionError);
      expect(await newestOnly.get(`k${all.length - 1}`, { collection: 'c' })).toEqual(all.at(-1)!.value);
    });
  });

  describe('refusing what cannot be decrypted', () => {
    const failures =
      vectors<{ why: string; fernet_key: string; stored: Stored }[]>('decryption-failures.json');
    const expected: Record<string, RegExp> = {
      'wrong key': /does not verify/,
      'tampered token': /does not verify/,
      'newer encryption version': /version 2, newer/,
      'missing version': /corrupted: __encryption_version__ is missing/,
      'data not a string': /corrupted: __encrypted_data__ is not a string/,
      'not base64': /not base64/,
    };

    it.each(failures.map((f) => [f.why, f] as const))('%s: DecryptionError by default', async (why, f) => {
      const { inner } = setup();
      await inner.put('k', f.stored as unknown as JsonObject, { collection: 'c', ttl: 100 });
      const store = withEncryption(inner, { keys: f.fernet_key });
      const opts = { collection: 'c' };
      expect(expected[why]).toBeDefined();
      await expect(store.get('k', opts)).rejects.toThrow(expected[why]!);
      await expect(store.get('k', opts)).rejects.toBeInstanceOf(DecryptionError);
      await expect(store.getMany(['k'], opts)).rejects.toBeInstanceOf(DecryptionError);
      await expect(store.ttl('k', opts)).rejects.toBeInstanceOf(DecryptionError);
      await expect(store.ttlMany(['k'], opts)).rejects.toBeInstanceOf(DecryptionError);
      await expect(store.take('k', opts)).rejects.toBeInstanceOf(DecryptionError);
    });

    it.each(failures.map((f) => [f.why, f] as const))(
      "%s: undefined with onDecryptionError: 'undefined'",
      async (_why, f) => {
        const { inner } = setup();
        await inner.put('k', f.stored as unknown as JsonObject, { collection: 'c', ttl: 100 });
        await inner.put('good', { plain: true }, { collection: 'c' });
        const store = withEncryption(inner, { keys: f.fernet_key, onDecryptionError: 'undefined' });
        const opts = { collection: 'c' };
        expect(await store.get('k', opts)).toBeUndefined();
        expect(await store.getMany(['k', 'missing'], opts)).toEqual([undefined, undefined]);
        expect(await store.ttl('k', opts)).toEqual({ value: undefined, ttl: undefined });
        expect(await store.ttlMany(['k'], opts)).toEqual([{ value: undefined, ttl: undefined }]);
        expect(await store.take('k', opts)).toBeUndefined();
        expect(await store.get('good', opts)).toBeUndefined(); // plaintext refused, softly
      },
    );

    it('refuses plaintext by default and accepts it with allowPlaintext', async () => {
      const { inner, store } = setup();
      await inner.put('plain', { client_id: 'legacy' }, { collection: 'c' });
      await expect(store.get('plain', { collection: 'c' })).rejects.toThrow(/not encrypted.*allowPlaintext/);
      const migrating = withEncryption(inner, { keys: KEY, allowPlaintext: true });
      expect(await migrating.get('plain', { collection: 'c' })).toEqual({ client_id: 'legacy' });
      await migrating.put('new', { client_id: 'new' }, { collection: 'c' });
      expect(await store.get('new', { collection: 'c' })).toEqual({ client_id: 'new' });
      expect((await inner.get('new', { collection: 'c' }))!.__encrypted_data__).toBeTypeOf('string');
    });

    it.each([
      ['version 0', { __encrypted_data__: 'QUFBQQ==', __encryption_version__: 0 }, /positive integer/],
      [
        'version as text',
        { __encrypted_data__: 'QUFBQQ==', __encryption_version__: '1' },
        /positive integer/,
      ],
      [
        'url-safe base64 outer layer',
        { __encrypted_data__: 'QU-_QQ==', __encryption_version__: 1 },
        /base64/,
      ],
      ['a valid token of a non-object', 'array', /not a JSON object/],
    ])('refuses %s', async (_why, stored, message) => {
      const { inner, store } = setup();
      const raw =
        stored === 'array'
          ? {
              __encrypted_data__: Buffer.from(new Fernet(KEY).encrypt('[1,2]')).toString('base64'),
              __encryption_version__: 1,
            }
          : stored;
      await inner.put('k', raw as JsonObject);
      await expect(store.get('k')).rejects.toThrow(message);
    });

    it('errors never contain the value, the key name or key material', async () => {
      const { inner, store } = setup();
      const secretKeyName = 'authcode-SECRET-9f8e7d';
      await withEncryption(inner, { keys: generateFernetKey() }).put(
        secretKeyName,
        { access_token: 'AT-very-secret' },
        { collection: 'codes' },
      );
      const err = await store.get(secretKeyName, { collection: 'codes' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecryptionError);
      const text = `${(err as Error).message} ${inspect(err, { depth: 5 })}`;
      expect(text).toContain('"codes"');
      for (const needle of ['authcode-SECRET', 'AT-very-secret', KEY.slice(0, 12)]) {
        expect(text).not.toContain(needle);
      }
    });
  });

  describe('writes', () => {
    it('a value that is not JSON gives SerializationError naming the path, and nothing is written', async () => {
      const { inner, store } = setup();
      const bad = { ok: 1, nested: { when: new Date() } } as unknown as JsonObject;
      const err = await store.put('k', bad, { collection: 'c' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as SerializationError).path).toBe('$.nested.when');
      await expect(store.putIfAbsent('k', bad, { collection: 'c' })).rejects.toBeInstanceOf(
        SerializationError,
      );
      await expect(
        store.putMany(
          [
            ['a', { fine: true }],
            ['b', { f: () => 1 } as unknown as JsonObject],
          ],
          { collection: 'c' },
        ),
      ).rejects.toThrow(/\$\.f/);
      await expect(store.putMany('nope' as unknown as [], { collection: 'c' })).rejects.toBeInstanceOf(
        SerializationError,
      );
      await expect(store.putMany([['a']] as unknown as [], { collection: 'c' })).rejects.toThrow(
        /entries\[0\]/,
      );
      expect(inner.size).toBe(0);
    });

    it('bad names and TTLs are refused before encrypting, and nothing is written', async () => {
      const { inner, store } = setup();
      await expect(store.put('', { a: 1 })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.put('k', { a: 1 }, { collection: '' })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(
        store.put('k', { a: 1 }, { collection: null as unknown as string }),
      ).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.put('k', { a: 1 }, { ttl: 0 })).rejects.toBeInstanceOf(InvalidTTLError);
      await expect(store.putMany([['k', { a: 1 }]], { ttl: -1 })).rejects.toBeInstanceOf(InvalidTTLError);
      await expect(store.putMany([['', { a: 1 }]])).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.putIfAbsent('k', { a: 1 }, { ttl: Number.NaN })).rejects.toBeInstanceOf(
        InvalidTTLError,
      );
      expect(inner.size).toBe(0);
    });

    it('TTLs, take, putIfAbsent, delete and the optional capabilities pass through', async () => {
      const { inner, store } = setup();
      // Everything but the counter, which cannot be added to inside ciphertext.
      expect(store.capabilities).toEqual({ ...inner.capabilities, increment: false });
      await store.put('t', { a: 1 }, { collection: 'c', ttl: 1000 });
      const { value, ttl } = await store.ttl('t', { collection: 'c' });
      expect(value).toEqual({ a: 1 });
      expect(ttl).toBeGreaterThan(990);
      expect(await store.putIfAbsent('t', { a: 2 }, { collection: 'c' })).toBe(false);
      expect(await store.putIfAbsent('u', { a: 3 }, { collection: 'c' })).toBe(true);
      expect(await store.keys('c')).toEqual({ keys: ['t', 'u'], cursor: undefined });
      expect(await store.collections()).toEqual(['c']);
      expect(await store.take('u', { collection: 'c' })).toEqual({ a: 3 });
      expect(await inner.get('u', { collection: 'c' })).toBeUndefined();
      expect(await store.delete('t', { collection: 'c' })).toBe(true);
      expect(await store.destroyCollection('c')).toBe(false);
      expect(await store.cull()).toBe(0);
    });
  });

  describe('bindToKey', () => {
    it('a ciphertext copied to another key or collection fails to decrypt', async () => {
      const { inner, store } = setup({ bindToKey: true });
      await store.put('alice', { role: 'admin' }, { collection: 'users' });
      const raw = (await inner.get('alice', { collection: 'users' }))!;
      await inner.put('mallory', raw, { collection: 'users' });
      await inner.put('alice', raw, { collection: 'other' });
      expect(await store.get('alice', { collection: 'users' })).toEqual({ role: 'admin' });
      await expect(store.get('mallory', { collection: 'users' })).rejects.toThrow(/bound to a different/);
      await expect(store.get('alice', { collection: 'other' })).rejects.toThrow(/bound to a different/);
      // Without binding, the same copy would be accepted: this is what the option buys.
      const { inner: inner2, store: unbound } = setup();
      await unbound.put('alice', { role: 'admin' }, { collection: 'users' });
      await inner2.put('mallory', (await inner2.get('alice', { collection: 'users' }))!, {
        collection: 'users',
      });
      expect(await unbound.get('mallory', { collection: 'users' })).toEqual({ role: 'admin' });
    });

    it('Python decrypts the token but gets the wrapped form', async () => {
      const { inner, store } = setup({ bindToKey: true });
      await store.put('k', { a: 1 }, { collection: 'c' });
      const plaintext = decryptByHand((await inner.get('k', { collection: 'c' }))!, KEY);
      expect(JSON.parse(plaintext)).toEqual({
        __oauth_kv_bound__: 1,
        collection: 'c',
        key: 'k',
        value: { a: 1 },
      });
    });

    it('unbound values are refused with bindToKey unless allowPlaintext; bound values are always checked', async () => {
      const { inner, store: plain } = setup();
      await plain.put('old', { v: 1 });
      const bound = withEncryption(inner, { keys: KEY, bindToKey: true });
      await expect(bound.get('old')).rejects.toThrow(/not bound/);
      const migrating = withEncryption(inner, { keys: KEY, bindToKey: true, allowPlaintext: true });
      expect(await migrating.get('old')).toEqual({ v: 1 });
      await bound.put('new', { v: 2 });
      expect(await plain.get('new')).toEqual({ v: 2 }); // unwrapped even when bindToKey is off
      await inner.put('copy', (await inner.get('new'))!);
      await expect(plain.get('copy')).rejects.toThrow(/bound to a different/);
    });
  });

  describe('options', () => {
    it('refuses missing or malformed keys and unknown modes with EncryptionError', () => {
      const inner = new MemoryStore();
      stores.push(inner);
      expect(() => withEncryption(inner, undefined as unknown as { keys: string })).toThrow(EncryptionError);
      expect(() => withEncryption(inner, { keys: [] })).toThrow(EncryptionError);
      expect(() => withEncryption(inner, { keys: 'short' })).toThrow(EncryptionError);
      expect(() =>
        withEncryption(inner, { keys: KEY, onDecryptionError: 'ignore' as unknown as 'throw' }),
      ).toThrow(EncryptionError);
    });

    it('accepts Fernet instances as keys', async () => {
      const { store } = setup({ keys: [new Fernet(KEY)] });
      await store.put('k', { a: 1 });
      expect(await store.get('k')).toEqual({ a: 1 });
    });
  });

  describe('reencrypt', () => {
    async function seed(inner: MemoryStore, key: string, n: number, collection = 'c') {
      const old = withEncryption(inner, { keys: key });
      for (let i = 0; i < n; i++) {
        await old.put(`k${String(i).padStart(2, '0')}`, { i }, { collection, ttl: i % 2 ? 1000 : undefined });
      }
    }

    it.each(['take', 'overwrite'] as const)(
      'rewrites every entry under the newest key, keeps TTLs, pages, and is idempotent (%s)',
      async (mode) => {
        const { inner } = setup();
        await seed(inner, OLD_KEY, 25);
        await inner.put('other', { untouched: true }, { collection: 'elsewhere' });
        const rotating = withEncryption(inner, { keys: [KEY, OLD_KEY] });
        expect(await reencrypt(rotating, { collection: 'c', pageSize: 4, mode })).toBe(25);
        expect(await reencrypt(rotating, { collection: 'c', pageSize: 4, mode })).toBe(0);
        const newOnly = withEncryption(inner, { keys: KEY });
        const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        const results = await newOnly.ttlMany(keys, { collection: 'c' });
        results.forEach((r, i) => {
          expect(r.value).toEqual({ i });
          if (i % 2) {
            expect(r.ttl).toBeGreaterThan(990);
            expect(r.ttl).toBeLessThanOrEqual(1000);
          } else expect(r.ttl).toBeUndefined();
        });
        expect(await inner.get('other', { collection: 'elsewhere' })).toEqual({ untouched: true });
      },
    );

    it("mode 'take' never resurrects an entry used concurrently, and keeps a concurrent replacement", async () => {
      const { inner } = setup();
      await seed(inner, OLD_KEY, 2);
      const scratch = new MemoryStore();
      stores.push(scratch);
      await withEncryption(scratch, { keys: KEY }).put('k01', { replaced: true }, { collection: 'c' });
      const newer = (await scratch.get('k01', { collection: 'c' }))!;
      /** Simulates other servers acting between reencrypt's read and its take. */
      class Racing extends WrapperStore {
        override async take(key: string, options?: { collection?: string }) {
          if (key === 'k00') await this.inner.delete(key, options); // a single-use code was used
          if (key === 'k01') await this.inner.put(key, newer, { ...options, ttl: 500 }); // replaced
          return super.take(key, options);
        }
      }
      const rotating = withEncryption(new Racing(inner), { keys: [KEY, OLD_KEY] });
      expect(await reencrypt(rotating, { collection: 'c' })).toBe(0);
      expect(await inner.get('k00', { collection: 'c' })).toBeUndefined();
      expect(await rotating.get('k01', { collection: 'c' })).toEqual({ replaced: true });
    });

    it('skips entries already under the newest key and counts only the rewritten ones', async () => {
      const { inner } = setup();
      await seed(inner, OLD_KEY, 3);
      await withEncryption(inner, { keys: KEY }).put('fresh', { f: 1 }, { collection: 'c' });
      const before = await inner.get('fresh', { collection: 'c' });
      expect(await reencrypt(withEncryption(inner, { keys: [KEY, OLD_KEY] }), { collection: 'c' })).toBe(3);
      expect(await inner.get('fresh', { collection: 'c' })).toEqual(before);
    });

    it('encrypts plaintext entries during an allowPlaintext migration', async () => {
      const { inner } = setup();
      await inner.putMany(
        [
          ['a', { secret: 'one' }],
          ['b', { secret: 'two' }],
        ],
        { collection: 'legacy' },
      );
      expect(
        await reencrypt(withEncryption(inner, { keys: KEY, allowPlaintext: true }), { collection: 'legacy' }),
      ).toBe(2);
      expect(JSON.stringify(await inner.getMany(['a', 'b'], { collection: 'legacy' }))).not.toContain(
        'secret',
      );
      expect(
        await withEncryption(inner, { keys: KEY }).getMany(['a', 'b'], { collection: 'legacy' }),
      ).toEqual([{ secret: 'one' }, { secret: 'two' }]);
    });

    it('binds unbound entries when migrating to bindToKey', async () => {
      const { inner } = setup();
      await seed(inner, KEY, 2);
      const migrating = withEncryption(inner, { keys: KEY, bindToKey: true, allowPlaintext: true });
      expect(await reencrypt(migrating, { collection: 'c' })).toBe(2);
      const strict = withEncryption(inner, { keys: KEY, bindToKey: true });
      expect(await strict.getMany(['k00', 'k01'], { collection: 'c' })).toEqual([{ i: 0 }, { i: 1 }]);
    });

    it('stops with DecryptionError on an unreadable entry, or skips it in undefined mode', async () => {
      const { inner } = setup();
      await seed(inner, generateFernetKey(), 2);
      await expect(
        reencrypt(withEncryption(inner, { keys: KEY }), { collection: 'c' }),
      ).rejects.toBeInstanceOf(DecryptionError);
      const lenient = withEncryption(inner, { keys: KEY, onDecryptionError: 'undefined' });
      expect(await reencrypt(lenient, { collection: 'c' })).toBe(0);
      expect(inner.size).toBe(2); // nothing lost
    });

    it('refuses a store withEncryption did not return, bad options, and stores without keys()', async () => {
      const { inner, store } = setup();
      await expect(reencrypt(inner as never)).rejects.toBeInstanceOf(EncryptionError);
      await expect(reencrypt(store, { pageSize: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        issues: [{ path: 'options.pageSize' }],
      });
      await expect(reencrypt(store, { mode: 'fast' as 'take' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        issues: [{ path: 'options.mode' }],
      });
      await expect(reencrypt(store, { collection: '' })).rejects.toBeInstanceOf(InvalidKeyError);
      class NoKeys extends WrapperStore {
        override keys(): never {
          throw new NotSupportedError('keys', 'NoKeys');
        }
      }
      const noKeys = withEncryption(new NoKeys(inner), { keys: KEY });
      await expect(reencrypt(noKeys)).rejects.toBeInstanceOf(NotSupportedError);
    });
  });
});
