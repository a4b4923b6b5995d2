import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DERIVE_SECRETS,
  deriveStoreSecrets,
  Fernet,
  generateFernetKey,
  MemoryStore,
  withEncryption,
  withNamespace,
  withTtlPolicy,
} from '../src/index.js';
import { BEARER_HASH_PURPOSE, BearerHasher } from '../src/integrations/bearer-hash.js';

describe('secrets derived from encryption keys', () => {
  it('HKDF-SHA-256 over the whole Fernet key, newest first, one per key and purpose', () => {
    const a = generateFernetKey();
    const b = generateFernetKey();
    const [sa, sb] = new Fernet([a, b]).deriveSecrets('p');
    const expected = (key: string) =>
      new Uint8Array(hkdfSync('sha256', Buffer.from(key, 'base64'), 'oauth-kv derived secret', 'p', 32));
    expect(sa).toEqual(expected(a));
    expect(sb).toEqual(expected(b));
    expect(new Fernet(a).deriveSecrets('q')[0]).not.toEqual(sa);
    expect(() => new Fernet(a).deriveSecrets('')).toThrow(/purpose/);
  });

  it('every wrapper forwards the question; a stack without keys answers undefined', () => {
    const key = generateFernetKey();
    const plain = withNamespace(new MemoryStore(), { prefix: 'ns' });
    expect(deriveStoreSecrets(plain, 'p')).toBeUndefined();
    expect(deriveStoreSecrets(new MemoryStore(), 'p')).toBeUndefined();
    expect(deriveStoreSecrets(undefined, 'p')).toBeUndefined();
    const stacked = withTtlPolicy(
      withNamespace(withEncryption(new MemoryStore(), { keys: [key] }), { prefix: 'ns' }),
      {
        maxTtl: 60,
      },
    );
    expect(deriveStoreSecrets(stacked, 'p')).toEqual(new Fernet(key).deriveSecrets('p'));
    expect(stacked[DERIVE_SECRETS]('p')).toHaveLength(1);
  });
});

describe('BearerHasher', () => {
  it('plain SHA-256 without a secret, HMAC-SHA-256 under one', () => {
    expect(new BearerHasher().hash('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(new BearerHasher().keyed).toBe(false);
    const secret = 'a'.repeat(32);
    const keyed = new BearerHasher([secret]);
    expect(keyed.keyed).toBe(true);
    expect(keyed.hash('abc')).toBe(createHmac('sha256', secret).update('abc').digest('hex'));
    expect(keyed.candidates('abc')).toEqual([keyed.hash('abc')]);
  });

  it('derives its secret from the encryption keys of the stack, with rotation candidates newest first', () => {
    const newKey = generateFernetKey();
    const oldKey = generateFernetKey();
    const store = withEncryption(new MemoryStore(), { keys: [newKey, oldKey] });
    const hasher = BearerHasher.forStore(store);
    const [sNew, sOld] = new Fernet([newKey, oldKey]).deriveSecrets(BEARER_HASH_PURPOSE);
    const hmac = (s: Uint8Array) => createHmac('sha256', s).update('tok').digest('hex');
    expect(hasher.hash('tok')).toBe(hmac(sNew!));
    expect(hasher.candidates('tok')).toEqual([hmac(sNew!), hmac(sOld!)]);
    // the old key alone still finds what was written before the rotation
    expect(BearerHasher.forStore(withEncryption(new MemoryStore(), { keys: [oldKey] })).hash('tok')).toBe(
      hmac(sOld!),
    );
  });

  it('an explicit secret wins, false forces SHA-256, and a short secret is refused', () => {
    const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
    expect(BearerHasher.forStore(store, { secret: false }).keyed).toBe(false);
    const explicit = BearerHasher.forStore(store, { secret: 's'.repeat(16) });
    expect(explicit.hash('x')).toBe(createHmac('sha256', 's'.repeat(16)).update('x').digest('hex'));
    expect(() => new BearerHasher(['short'])).toThrow(/at least 16 bytes/);
  });
});

describe('RecordBinder', () => {
  it('a sealed record opens at its place only; unbound records are refused when enabled', async () => {
    const { RecordBinder, BINDING_FIELD } = await import('../src/integrations/record-binding.js');
    const { RecordBindingError } = await import('../src/errors.js');
    const on = new RecordBinder(true);
    const sealed = on.seal('tokens', 'k1', { a: 1 });
    expect(sealed[BINDING_FIELD]).toMatch(/^[0-9a-f]{64}$/);
    expect(on.open('tokens', 'k1', sealed)).toEqual({ a: 1 });
    expect(() => on.open('tokens', 'k2', sealed)).toThrow(RecordBindingError);
    expect(() => on.open('codes', 'k1', sealed)).toThrow(RecordBindingError);
    expect(() => on.open('tokens', 'k1', { a: 1 })).toThrow(/no binding/);
    expect(on.open('tokens', 'k1', undefined)).toBeUndefined();
    const off = new RecordBinder(false);
    expect(off.seal('tokens', 'k1', { a: 1 })).toEqual({ a: 1 });
    expect(off.open('tokens', 'k2', sealed)).toEqual({ a: 1 });
  });
});
