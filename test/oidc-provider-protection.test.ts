/**
 * At-rest protection of the oidc-provider adapter, on a MemoryStore (with and without oauth-kv's
 * encryption wrapper): what is refused without key material, the defaults of binding and hashing,
 * key rotation for every lookup, and refused records reading as absent.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, type OAuthKVError, RecordBindingError, StoreSetupError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import { createOidcAdapter, type OidcAdapterOptions } from '../src/integrations/oidc-provider.js';
import { BINDING_FIELD } from '../src/integrations/record-binding.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
const SECRET = 'protection-test-hash-secret-0123';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function adapters(store: AsyncKeyValue, options: OidcAdapterOptions = {}) {
  const refused: OAuthKVError[] = [];
  const Adapter = createOidcAdapter(store, { onRecordRefused: (err) => refused.push(err), ...options });
  return { Adapter, refused };
}

/** Every collection, key and value of a MemoryStore, as one text. */
async function everything(store: MemoryStore): Promise<string> {
  const out: string[] = [];
  for (const collection of await store.collections()) {
    for (const key of (await store.keys(collection)).keys) {
      out.push(collection, key, JSON.stringify(await store.get(key, { collection })));
    }
  }
  return out.join('\n');
}

describe('oidc-provider adapter: client secrets', () => {
  const client = { client_id: 'c1', client_secret: 'the-client-secret-value-123456' };

  it('without key material a client secret is refused with StoreSetupError and nothing is written', async () => {
    const store = memory();
    const { Adapter } = adapters(store);
    const err = await new Adapter('Client').upsert('c1', client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).toMatch(/allowUnprotectedSecrets/);
    expect((err as Error).message).not.toContain(client.client_secret);
    expect(await store.collections()).toEqual([]);
    // A client without a secret (token_endpoint_auth_method none) needs no key material.
    await new Adapter('Client').upsert('public', { client_id: 'public' });
    expect(await new Adapter('Client').find('public')).toEqual({ client_id: 'public' });
  });

  it('allowUnprotectedSecrets stores it as it is', async () => {
    const store = memory();
    const { Adapter } = adapters(store, { allowUnprotectedSecrets: true });
    await new Adapter('Client').upsert('c1', client);
    expect(await store.get('c1', { collection: 'oidc:Client' })).toEqual(client);
  });

  for (const [name, make] of [
    [
      'encryption keys (derived secret)',
      () => ({ store: withEncryption(memory(), { keys: [generateFernetKey()] }) }),
    ],
    ['sealSecret', () => ({ store: memory(), options: { sealSecret: 'a-client-secret-sealing-key-0001' } })],
  ] as const) {
    it(`with ${name} it is sealed, and read back in plaintext`, async () => {
      const { store, options } = make() as { store: AsyncKeyValue; options?: OidcAdapterOptions };
      const { Adapter } = adapters(store, options);
      await new Adapter('Client').upsert('c1', client);
      const stored = (await store.get('c1', { collection: 'oidc:Client' })) as JsonObject;
      expect(stored).not.toHaveProperty('client_secret');
      expect(JSON.stringify(stored)).not.toContain(client.client_secret);
      expect(stored.client_secret_sealed).toMatch(/^oauth-kv-sealed:v1:[\w-]+$/);
      expect(await new Adapter('Client').find('c1')).toEqual(client);
    });
  }

  it('hashSecret alone does not seal client secrets: without sealSecret or encryption they are refused', async () => {
    const store = memory();
    const { Adapter } = adapters(store, { hashSecret: SECRET });
    const err = await new Adapter('Client').upsert('c1', client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).toMatch(/sealSecret/);
    expect(await store.collections()).toEqual([]);
  });

  it('a sealed secret the configured keys do not open refuses the record (DecryptionError), nothing thrown', async () => {
    const store = memory();
    await new (adapters(store, { sealSecret: 'first-sealing-key-0000000000' }).Adapter)('Client').upsert(
      'c1',
      client,
    );
    const { Adapter, refused } = adapters(store, { sealSecret: 'other-sealing-key-000000000' });
    expect(await new Adapter('Client').find('c1')).toBeUndefined();
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(DecryptionError);
    // The old key kept behind the new one opens it: rotation of sealSecret.
    const rotated = adapters(store, {
      sealSecret: ['other-sealing-key-000000000', 'first-sealing-key-0000000000'],
    });
    expect(await new rotated.Adapter('Client').find('c1')).toEqual(client);
  });
});

describe('oidc-provider adapter: bearer values', () => {
  it('ids are SHA-256 without key material, HMAC under hashSecret or encryption; payloads never readable', async () => {
    const plain = memory();
    const token = 'opaque-access-token-value-1234567890';
    const payload = {
      jti: token,
      kind: 'AccessToken',
      accountId: 'alice',
      grantId: 'g1',
      sessionUid: 'su-1',
    };
    await new (adapters(plain).Adapter)('AccessToken').upsert(token, payload, 60);
    expect(await plain.keys('oidc:AccessToken')).toEqual({ keys: [sha256(token)] });
    const text = await everything(plain);
    for (const hidden of [token, 'alice', 'su-1']) expect(text).not.toContain(hidden);
    // The grant id stays readable (revocation finds members by it); it grants nothing by itself.
    expect(await plain.get(sha256(token), { collection: 'oidc:AccessToken' })).toMatchObject({
      grantId: 'g1',
    });

    const keyed = memory();
    await new (adapters(keyed, { hashSecret: SECRET }).Adapter)('AccessToken').upsert(token, payload, 60);
    expect((await keyed.keys('oidc:AccessToken')).keys).toEqual([new BearerHasher([SECRET]).hash(token)]);

    const inner = memory();
    const encrypted = withEncryption(inner, { keys: [generateFernetKey()] });
    await new (adapters(encrypted).Adapter)('AccessToken').upsert(token, payload, 60);
    expect((await inner.keys('oidc:AccessToken')).keys).toEqual([
      BearerHasher.forStore(encrypted).hash(token),
    ]);
    expect((await inner.keys('oidc:AccessToken')).keys).not.toEqual([sha256(token)]);
  });

  it('an interaction’s device code, session id and PAR id are sealed with it', async () => {
    const store = memory();
    const { Adapter } = adapters(store, { hashSecret: SECRET });
    const interaction = {
      jti: 'interaction-uid-abcdefghijklmnop',
      kind: 'Interaction',
      deviceCode: 'device-code-value-abcdefghijklmnop',
      parJti: 'par-id-value-abcdefghijklmnop',
      session: { uid: 'session-uid-abcdefghijk', cookie: 'session-id-abcdefghijklmnop', accountId: 'alice' },
    };
    await new Adapter('Interaction').upsert(interaction.jti, interaction, 600);
    const text = await everything(store);
    for (const hidden of [
      interaction.jti,
      interaction.deviceCode,
      interaction.parJti,
      'session-id-abcdefghijklmnop',
      'session-uid-abcdefghijk',
    ]) {
      expect(text).not.toContain(hidden);
    }
    expect(await new Adapter('Interaction').find(interaction.jti)).toEqual(interaction);
  });

  it('without key material a user code is refused (8 letters under unkeyed SHA-256); the opt-in allows it', async () => {
    const store = memory();
    const err = await new (adapters(store).Adapter)('DeviceCode')
      .upsert('dc', { jti: 'dc', userCode: 'BCDFGHJK', grantId: 'g' }, 600)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect(await store.collections()).toEqual([]);
    const allowed = new (adapters(store, { allowUnprotectedSecrets: true }).Adapter)('DeviceCode');
    await allowed.upsert('dc', { jti: 'dc', userCode: 'BCDFGHJK', grantId: 'g' }, 600);
    expect(await allowed.findByUserCode('BCDFGHJK')).toMatchObject({ jti: 'dc' });
    expect(await everything(store)).not.toContain('BCDFGHJK');
  });

  it('after a key rotation every lookup still finds what the old key wrote; new writes use the new key', async () => {
    const inner = memory();
    const oldKey = generateFernetKey();
    const before = adapters(withEncryption(inner, { keys: [oldKey] })).Adapter;
    await new before('Session').upsert('sid-1', { jti: 'sid-1', uid: 'uid-1', accountId: 'alice' }, 600);
    await new before('DeviceCode').upsert('dc-1', { jti: 'dc-1', userCode: 'WXYZ2345', grantId: 'G' }, 600);
    await new before('RefreshToken').upsert('rt-1', { jti: 'rt-1', grantId: 'G' }, 600);

    const rotated = withEncryption(inner, { keys: [generateFernetKey(), oldKey] });
    const { Adapter, refused } = adapters(rotated);
    expect(await new Adapter('Session').findByUid('uid-1')).toMatchObject({
      jti: 'sid-1',
      accountId: 'alice',
    });
    expect(await new Adapter('DeviceCode').findByUserCode('WXYZ2345')).toMatchObject({ jti: 'dc-1' });
    const refresh = new Adapter('RefreshToken');
    await refresh.consume('rt-1');
    expect((await refresh.find('rt-1'))?.consumed).toBeTypeOf('number');
    await refresh.upsert('rt-2', { jti: 'rt-2', grantId: 'G' }, 600);
    expect(
      await inner.get(BearerHasher.forStore(rotated).hash('rt-2'), { collection: 'oidc:RefreshToken' }),
    ).toBeDefined();
    await refresh.revokeByGrantId('G');
    expect(await refresh.find('rt-1')).toBeUndefined();
    expect(await refresh.find('rt-2')).toBeUndefined();
    expect(await new Adapter('DeviceCode').findByUserCode('WXYZ2345')).toBeUndefined();
    await new Adapter('Session').destroy('sid-1');
    expect((await inner.keys('oidc:Session')).keys).toEqual([]);
    expect((await inner.keys('oidc:Session:uid')).keys).toEqual([]);
    expect(refused).toEqual([]);
  });
});

describe('oidc-provider adapter: binding and refused records', () => {
  it('binding is on under encryption and off on a plain store by default; bindRecords overrides both', async () => {
    const bound = async (store: AsyncKeyValue, reader: AsyncKeyValue, options: OidcAdapterOptions = {}) => {
      await new (adapters(store, { hashSecret: SECRET, ...options }).Adapter)('Grant').upsert(
        'g1',
        { accountId: 'a' },
        60,
      );
      return BINDING_FIELD in ((await reader.get('g1', { collection: 'oidc:Grant' })) ?? {});
    };
    const encrypted = () => withEncryption(memory(), { keys: [generateFernetKey()] });
    const e1 = encrypted();
    expect(await bound(e1, e1)).toBe(true);
    const e2 = encrypted();
    expect(await bound(e2, e2, { bindRecords: false })).toBe(false);
    const p1 = memory();
    expect(await bound(p1, p1)).toBe(false);
    const p2 = memory();
    expect(await bound(p2, p2, { bindRecords: true })).toBe(true);
  });

  it('a record copied to another key reads as absent and reports RecordBindingError', async () => {
    const inner = memory();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const { Adapter, refused } = adapters(store);
    await new Adapter('Grant').upsert('victim', { accountId: 'alice' }, 60);
    await inner.put('attacker', (await inner.get('victim', { collection: 'oidc:Grant' }))!, {
      collection: 'oidc:Grant',
    });
    expect(await new Adapter('Grant').find('attacker')).toBeUndefined();
    expect(refused.map((e) => e.code)).toEqual(['RECORD_BINDING']);
    expect(await new Adapter('Grant').find('victim')).toEqual({ accountId: 'alice' });
  });

  it('a tampered sealed payload or lookup reads as absent, even on a plain store', async () => {
    const store = memory();
    const { Adapter, refused } = adapters(store, { hashSecret: SECRET });
    const hash = (v: string) => new BearerHasher([SECRET]).hash(v);
    await new Adapter('Session').upsert('sid', { jti: 'sid', uid: 'uid' }, 60);
    const record = (await store.get(hash('sid'), { collection: 'oidc:Session' })) as JsonObject;
    const sealed = record.sealed as string;
    await store.put(
      hash('sid'),
      { ...record, sealed: `${sealed.slice(0, -2)}AA` },
      { collection: 'oidc:Session' },
    );
    expect(await new Adapter('Session').find('sid')).toBeUndefined();
    const lookup = (await store.get(hash('uid'), { collection: 'oidc:Session:uid' })) as JsonObject;
    await store.put(hash('uid'), { ...lookup, ref: 'garbage' }, { collection: 'oidc:Session:uid' });
    expect(await new Adapter('Session').findByUid('uid')).toBeUndefined();
    expect(refused.map((e) => e.constructor)).toEqual([RecordBindingError, RecordBindingError]);
  });

  it('revocation deletes a member it cannot read', async () => {
    const inner = memory();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const { Adapter } = adapters(store);
    const at = new Adapter('AccessToken');
    await at.upsert('t1', { jti: 't1', grantId: 'G' }, 60);
    const key = BearerHasher.forStore(store).hash('t1');
    const record = (await inner.get(key, { collection: 'oidc:AccessToken' })) as JsonObject;
    await inner.put(key, { ...record, __encrypted_data__: 'tampered' }, { collection: 'oidc:AccessToken' });
    await at.revokeByGrantId('G');
    expect((await inner.keys('oidc:AccessToken')).keys).toEqual([]);
  });

  it('by default a refused record is reported as a process warning naming no key or value', async () => {
    const inner = memory();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const Adapter = createOidcAdapter(store);
    await new Adapter('Grant').upsert('victim-grant', { accountId: 'alice' }, 60);
    await inner.put('other-grant', (await inner.get('victim-grant', { collection: 'oidc:Grant' }))!, {
      collection: 'oidc:Grant',
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    expect(await new Adapter('Grant').find('other-grant')).toBeUndefined();
    const warning = await warned;
    expect(warning).toBeInstanceOf(RecordBindingError);
    expect(warning.message).not.toMatch(/victim-grant|other-grant|alice/);
  });

  it('validates the protection options', () => {
    const store = memory();
    expect(() => createOidcAdapter(store, { bindRecords: 'yes' as unknown as boolean })).toThrow(
      StoreSetupError,
    );
    expect(() => createOidcAdapter(store, { allowUnprotectedSecrets: 1 as unknown as boolean })).toThrow(
      StoreSetupError,
    );
    expect(() => createOidcAdapter(store, { onRecordRefused: 'log' as unknown as () => void })).toThrow(
      StoreSetupError,
    );
    expect(() => createOidcAdapter(store, { hashSecret: 'short' })).toThrow(StoreSetupError);
    expect(() => createOidcAdapter(store, { sealSecret: [] })).toThrow(StoreSetupError);
    expect(() => createOidcAdapter(store, { sealSecret: 'short' })).toThrow(StoreSetupError);
  });
});
