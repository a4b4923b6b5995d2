/**
 * At-rest protection of FastMCPTokenStorage on a MemoryStore (with and without oauth-kv's encryption
 * wrapper): hashed keys and sealed values, client secrets, binding defaults, key rotation and
 * refused records reading as null.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, type OAuthKVError, RecordBindingError, StoreSetupError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import {
  FASTMCP_DEFAULT_COLLECTION as COLLECTION,
  FastMCPTokenStorage,
  type FastMCPTokenStorageOptions,
} from '../src/integrations/fastmcp.js';
import { BINDING_FIELD } from '../src/integrations/record-binding.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
const SECRET = 'fastmcp-protection-secret-0123456';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function storage(store: AsyncKeyValue, options: FastMCPTokenStorageOptions = {}) {
  const refused: OAuthKVError[] = [];
  return {
    refused,
    tokens: new FastMCPTokenStorage(store, { onRecordRefused: (e) => refused.push(e), ...options }),
  };
}

async function everything(store: MemoryStore): Promise<string> {
  const out: string[] = [];
  for (const collection of await store.collections()) {
    for (const key of (await store.keys(collection)).keys) {
      out.push(collection, key, JSON.stringify(await store.get(key, { collection })));
    }
  }
  return out.join('\n');
}

const CLIENT = {
  clientId: 'c1',
  clientSecret: 'proxy-client-secret-abcdefghij',
  callbackUrl: 'http://localhost/cb',
  redirectUris: ['http://localhost/cb'],
};

describe('FastMCPTokenStorage at rest', () => {
  it('stores every key but client:<id> as <kind>:<SHA-256> without key material, its value sealed', async () => {
    const store = memory();
    const { tokens } = storage(store);
    const code = {
      code: 'the-authorization-code-123456',
      upstreamTokens: { accessToken: 'upstream-at-123456' },
    };
    await tokens.save('code:the-authorization-code-123456', code, 300);
    await tokens.save('upstream:random-key-abcdefghij', { accessToken: 'upstream-at-123456' }, 300);
    await tokens.save('plain-key-without-kind', 'value-string-123456');
    expect((await store.keys(COLLECTION)).keys.sort()).toEqual(
      [
        `code:${sha256('code:the-authorization-code-123456')}`,
        `upstream:${sha256('upstream:random-key-abcdefghij')}`,
        sha256('plain-key-without-kind'),
      ].sort(),
    );
    const text = await everything(store);
    for (const hidden of [
      'the-authorization-code-123456',
      'upstream-at-123456',
      'random-key-abcdefghij',
      'value-string-123456',
    ]) {
      expect(text).not.toContain(hidden);
    }
    expect(await tokens.get('code:the-authorization-code-123456')).toEqual(code);
    expect(await tokens.take('upstream:random-key-abcdefghij')).toEqual({
      accessToken: 'upstream-at-123456',
    });
    expect(await tokens.get('plain-key-without-kind')).toBe('value-string-123456');
  });

  it('keys are HMAC under hashSecret and under encryption', async () => {
    const keyed = memory();
    await storage(keyed, { hashSecret: SECRET }).tokens.save('code:abc', { a: 1 });
    expect((await keyed.keys(COLLECTION)).keys).toEqual([
      `code:${new BearerHasher([SECRET]).hash('code:abc')}`,
    ]);
    const inner = memory();
    const encrypted = withEncryption(inner, { keys: [generateFernetKey()] });
    await storage(encrypted).tokens.save('code:abc', { a: 1 });
    expect((await inner.keys(COLLECTION)).keys).toEqual([
      `code:${BearerHasher.forStore(encrypted).hash('code:abc')}`,
    ]);
  });

  it('a client secret: refused without key material (nothing written), sealed with any, plaintext on opt-in', async () => {
    const plain = memory();
    const err = await storage(plain)
      .tokens.save(`client:c1`, CLIENT)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).not.toContain(CLIENT.clientSecret);
    expect(await plain.collections()).toEqual([]);
    // FastMCP's own encryption hands over a ciphertext string: nothing to seal, nothing refused.
    await storage(plain).tokens.save('client:c2', 'aa:bb:cc');
    expect(await storage(plain).tokens.get('client:c2')).toBe('aa:bb:cc');

    // hashSecret alone does not seal: a hashing secret never stands in for sealSecret.
    const hashOnly = memory();
    const refused = await storage(hashOnly, { hashSecret: SECRET })
      .tokens.save('client:c1', CLIENT)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreSetupError);
    expect((refused as Error).message).toMatch(/sealSecret/);
    expect(await hashOnly.collections()).toEqual([]);

    for (const [store, options] of [
      [memory(), { sealSecret: 'fastmcp-client-secret-key-01' }],
      [withEncryption(memory(), { keys: [generateFernetKey()] }), {}],
    ] as const) {
      const { tokens } = storage(store, options);
      await tokens.save('client:c1', CLIENT);
      const raw = (await store.get('client:c1', { collection: COLLECTION })) as JsonObject;
      expect(raw).toMatchObject({ clientId: 'c1', redirectUris: CLIENT.redirectUris });
      expect(JSON.stringify(raw)).not.toContain(CLIENT.clientSecret);
      expect(await tokens.get('client:c1')).toEqual(CLIENT);
    }

    const optIn = memory();
    await storage(optIn, { allowUnprotectedSecrets: true }).tokens.save('client:c1', CLIENT);
    expect(await optIn.get('client:c1', { collection: COLLECTION })).toEqual(CLIENT);
  });

  it('binds records under encryption by default, not on a plain store; bindRecords overrides', async () => {
    const boundIn = async (store: AsyncKeyValue, options: FastMCPTokenStorageOptions = {}) => {
      await storage(store, { hashSecret: SECRET, ...options }).tokens.save('client:x', { clientId: 'x' });
      return BINDING_FIELD in ((await store.get('client:x', { collection: COLLECTION })) ?? {});
    };
    expect(await boundIn(withEncryption(memory(), { keys: [generateFernetKey()] }))).toBe(true);
    expect(
      await boundIn(withEncryption(memory(), { keys: [generateFernetKey()] }), { bindRecords: false }),
    ).toBe(false);
    expect(await boundIn(memory())).toBe(false);
    expect(await boundIn(memory(), { bindRecords: true })).toBe(true);
  });

  it('a moved client record or a tampered value reads as null and is reported with its typed error', async () => {
    const inner = memory();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const { tokens, refused } = storage(store);
    await tokens.save('client:victim', { clientId: 'victim', redirectUris: [] });
    await inner.put('client:attacker', (await inner.get('client:victim', { collection: COLLECTION }))!, {
      collection: COLLECTION,
    });
    expect(await tokens.get('client:attacker')).toBeNull();
    expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);

    await tokens.save('mapping:jti-1', { upstreamTokenKey: 'k' }, 60);
    const [key] = (await inner.keys(COLLECTION)).keys.filter((k) => k.startsWith('mapping:'));
    const record = (await inner.get(key!, { collection: COLLECTION })) as JsonObject;
    await inner.put(key!, { ...record, __encrypted_data__: 'tampered' }, { collection: COLLECTION, ttl: 60 });
    expect(await tokens.take('mapping:jti-1')).toBeNull();
    expect(refused.at(-1)).toBeInstanceOf(DecryptionError);
    expect(refused.every((e) => !e.message.includes('victim') && !e.message.includes('jti-1'))).toBe(true);
  });

  it('after a key rotation get, take and delete find what the old key wrote; saves use the new key', async () => {
    const inner = memory();
    const oldKey = generateFernetKey();
    const before = storage(withEncryption(inner, { keys: [oldKey] })).tokens;
    await before.save('code:c1', { n: 1 }, 300);
    await before.save('mapping:m1', { n: 2 }, 300);
    await before.save('transaction:t1', { n: 3 }, 300);
    const rotatedStore = withEncryption(inner, { keys: [generateFernetKey(), oldKey] });
    const { tokens, refused } = storage(rotatedStore);
    expect(await tokens.get('code:c1')).toEqual({ n: 1 });
    expect(await tokens.take('mapping:m1')).toEqual({ n: 2 });
    expect(await tokens.take('mapping:m1')).toBeNull();
    await tokens.delete('transaction:t1');
    expect(await before.get('transaction:t1')).toBeNull();
    await tokens.save('code:c2', { n: 4 }, 300);
    expect(
      await inner.get(`code:${BearerHasher.forStore(rotatedStore).hash('code:c2')}`, {
        collection: COLLECTION,
      }),
    ).toBeDefined();
    // An expired save removes the key under every secret.
    await tokens.save('code:c1', { n: 5 }, -1);
    expect(await tokens.get('code:c1')).toBeNull();
    expect(refused).toEqual([]);
  });
});
