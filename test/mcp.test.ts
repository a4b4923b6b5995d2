import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DeserializationError, StoreClosedError, StoreSetupError, ValidationError } from '../src/errors.js';
import {
  ClientExistsError,
  hashToken,
  MCP_CLIENTS_COLLECTION,
  OAuthClientsStore,
  OAuthStateStore,
} from '../src/integrations/mcp.js';
import { RECORDS } from '../src/integrations/oauth-records.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { typedCollection } from '../src/wrappers/typed.js';
import { findBackend, uniqueName } from './harness/backends.js';

const CONCURRENCY = 50;

const newCode = (state: OAuthStateStore, clientId = 'client-1') =>
  state.createAuthorizationCode({
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1:9/cb',
    code_challenge: 'challenge',
    scopes: ['read', 'write'],
    subject: 'user-1',
  });

describe('OAuthClientsStore', () => {
  it('stores the client the SDK registered under its client_id, without undefined members', async () => {
    const store = new MemoryStore();
    const clients = new OAuthClientsStore(store);
    const registered = await clients.registerClient({
      client_id: 'sdk-generated',
      client_id_issued_at: 1_700_000_000,
      redirect_uris: ['http://127.0.0.1:3000/cb'],
      client_secret: undefined,
      client_secret_expires_at: undefined,
      token_endpoint_auth_method: 'none',
    });
    expect(registered.client_id).toBe('sdk-generated');
    expect('client_secret' in registered).toBe(false);
    expect(await store.get('sdk-generated', { collection: MCP_CLIENTS_COLLECTION })).toEqual(registered);
    expect(await clients.getClient('sdk-generated')).toEqual(registered);
  });

  it('generates client_id and client_id_issued_at when the SDK did not', async () => {
    const clients = new OAuthClientsStore(new MemoryStore(), { generateClientId: () => 'made-here' });
    const before = Math.floor(Date.now() / 1000);
    const registered = await clients.registerClient({ redirect_uris: ['http://127.0.0.1:3000/cb'] });
    expect(registered.client_id).toBe('made-here');
    expect(registered.client_id_issued_at).toBeGreaterThanOrEqual(before);
    expect(await clients.getClient('made-here')).toEqual(registered);
  });

  it('keeps client_secret retrievable for the SDK to compare, sealed in the store', async () => {
    const inner = new MemoryStore();
    const clients = new OAuthClientsStore(withEncryption(inner, { keys: [generateFernetKey()] }));
    expect(clients.secretHandling).toBe('sealed');
    await clients.registerClient({
      client_id: 'confidential',
      client_secret: 's3cret-value',
      redirect_uris: ['https://app.example/cb'],
    });
    expect((await clients.getClient('confidential'))?.client_secret).toBe('s3cret-value');
  });

  it('never overwrites an existing client', async () => {
    const clients = new OAuthClientsStore(new MemoryStore());
    await clients.registerClient({ client_id: 'c', redirect_uris: ['https://a.example/cb'] });
    await expect(
      clients.registerClient({ client_id: 'c', redirect_uris: ['https://evil.example/cb'] }),
    ).rejects.toBeInstanceOf(ClientExistsError);
    expect((await clients.getClient('c'))?.redirect_uris).toEqual(['https://a.example/cb']);
  });

  it('rejects the registration when the write fails (no ghost client)', async () => {
    const store = new MemoryStore();
    const clients = new OAuthClientsStore(store);
    await store.close();
    await expect(clients.registerClient({ redirect_uris: ['https://a.example/cb'] })).rejects.toBeInstanceOf(
      StoreClosedError,
    );
  });

  it('forgets registrations after the configured lifetime', async () => {
    let now = Date.now();
    const clients = new OAuthClientsStore(new MemoryStore({ clock: () => now }), { ttl: 60 });
    await clients.registerClient({ client_id: 'short', redirect_uris: ['https://a.example/cb'] });
    now += 59_000;
    expect(await clients.getClient('short')).toBeDefined();
    now += 2_000;
    expect(await clients.getClient('short')).toBeUndefined();
  });

  it('accepts URL-shaped client ids (SEP-991)', async () => {
    const clients = new OAuthClientsStore(new MemoryStore());
    const id = 'https://app.example/oauth/client.json';
    await clients.registerClient({ client_id: id, redirect_uris: ['https://app.example/cb'] });
    expect((await clients.getClient(id))?.client_id).toBe(id);
  });

  it('refuses a corrupted or moved record: undefined for the SDK (invalid_client), a DeserializationError for onRecordRefused', async () => {
    const store = new MemoryStore();
    const refused: unknown[] = [];
    const clients = new OAuthClientsStore(store, { onRecordRefused: (error) => refused.push(error) });
    await store.put('bad', { client_name: 'no id' }, { collection: MCP_CLIENTS_COLLECTION });
    await store.put(
      'moved',
      { client_id: 'other', redirect_uris: [] },
      { collection: MCP_CLIENTS_COLLECTION },
    );
    expect(await clients.getClient('bad')).toBeUndefined();
    expect(await clients.getClient('moved')).toBeUndefined();
    expect(refused).toHaveLength(2);
    expect(refused.every((e) => e instanceof DeserializationError)).toBe(true);
  });

  it('updates and deletes clients', async () => {
    const clients = new OAuthClientsStore(new MemoryStore());
    const c = await clients.registerClient({ client_id: 'u', redirect_uris: ['https://a.example/cb'] });
    await clients.updateClient({ ...c, client_name: 'Renamed' });
    expect((await clients.getClient('u'))?.client_name).toBe('Renamed');
    expect(await clients.deleteClient('u')).toBe(true);
    expect(await clients.getClient('u')).toBeUndefined();
  });
});

describe('OAuthStateStore (MemoryStore)', () => {
  it('stores codes for 300 s and transactions for 900 s by default', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store);
    const code = await newCode(state);
    const txn = await state.saveTransaction({
      client_id: 'c',
      redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'x',
      scopes: [],
    });
    const codeTtl = (await store.ttl(hashToken(code), { collection: 'mcp-authorization-codes' })).ttl ?? 0;
    const txnTtl = (await store.ttl(hashToken(txn), { collection: 'mcp-oauth-transactions' })).ttl ?? 0;
    expect(codeTtl).toBeGreaterThan(299);
    expect(codeTtl).toBeLessThanOrEqual(300);
    expect(txnTtl).toBeGreaterThan(899);
    expect(txnTtl).toBeLessThanOrEqual(900);
  });

  it('expires codes after their lifetime', async () => {
    let now = Date.now();
    const state = new OAuthStateStore(new MemoryStore({ clock: () => now }));
    const code = await newCode(state);
    now += 301_000;
    expect(await state.getAuthorizationCode(code)).toBeUndefined();
    expect((await state.exchangeAuthorizationCode(code, { client_id: 'client-1' })).ok).toBe(false);
  });

  it('takes a pending transaction once', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const id = await state.saveTransaction({
      client_id: 'c',
      redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'x',
      scopes: ['a'],
      state: 'st',
      extra: { upstream_verifier: 'v' },
    });
    expect((await state.getTransaction(id))?.state).toBe('st');
    const [a, b] = await Promise.all([state.takeTransaction(id), state.takeTransaction(id)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((a ?? b)?.extra).toEqual({ upstream_verifier: 'v' });
  });

  it('without key material stores codes, access and refresh tokens only under their SHA-256', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store);
    expect(state.protection).toEqual({
      bearerHashing: 'sha256',
      recordBinding: false,
      clientSecrets: 'refused',
      upstreamTokens: 'refused',
    });
    const code = await newCode(state);
    expect((await store.keys('mcp-authorization-codes')).keys).toEqual([hashToken(code)]);
    const result = await state.exchangeAuthorizationCode(code, { client_id: 'client-1' });
    if (!result.ok) throw new Error(result.reason);
    const { access_token, refresh_token } = result.tokens;
    expect(refresh_token).toBeDefined();
    const grantKeys = (await store.keys('mcp-oauth-grants')).keys;
    const refreshKeys = (await store.keys('mcp-refresh-tokens')).keys;
    expect(grantKeys.sort()).toEqual([hashToken(access_token), result.grant_id].sort());
    expect(refreshKeys).toEqual([hashToken(refresh_token as string)]);
    for (const collection of await store.collections()) {
      for (const key of (await store.keys(collection)).keys) {
        const text = JSON.stringify(await store.get(key, { collection }));
        expect(text).not.toContain(access_token);
        expect(text).not.toContain(refresh_token);
      }
    }
  });

  it('verifies access tokens and reports what they stand for', async () => {
    const state = new OAuthStateStore(new MemoryStore(), { lifetimes: { accessToken: 600 } });
    const result = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!result.ok) throw new Error(result.reason);
    expect(result.tokens.expires_in).toBe(600);
    expect(result.tokens.scope).toBe('read write');
    const info = await state.verifyAccessToken(result.tokens.access_token);
    expect(info).toMatchObject({ client_id: 'client-1', scopes: ['read', 'write'], subject: 'user-1' });
    expect(info?.grant_id).toBe(result.grant_id);
    expect(await state.verifyAccessToken('not-a-token')).toBeUndefined();
    expect(await state.verifyAccessToken('')).toBeUndefined();
  });

  it('refuses a code presented by another client, and consumes it', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const code = await newCode(state);
    const wrong = await state.exchangeAuthorizationCode(code, { client_id: 'attacker' });
    expect(wrong).toMatchObject({ ok: false, error: 'invalid_grant' });
    expect((await state.exchangeAuthorizationCode(code, { client_id: 'client-1' })).ok).toBe(false);
  });

  it('refuses a code with another redirect_uri', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const result = await state.exchangeAuthorizationCode(await newCode(state), {
      client_id: 'client-1',
      redirect_uri: 'http://127.0.0.1:9/other',
    });
    expect(result).toMatchObject({ ok: false, error: 'invalid_grant' });
  });

  it('does not consume a refresh token on a wrong client or a scope beyond the grant', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const first = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!first.ok) throw new Error(first.reason);
    const refresh = first.tokens.refresh_token as string;
    expect(await state.rotateRefreshToken(refresh, { client_id: 'other' })).toMatchObject({
      ok: false,
      error: 'invalid_grant',
    });
    expect(
      await state.rotateRefreshToken(refresh, { client_id: 'client-1', scopes: ['admin'] }),
    ).toMatchObject({
      ok: false,
      error: 'invalid_scope',
    });
    const narrowed = await state.rotateRefreshToken(refresh, { client_id: 'client-1', scopes: ['read'] });
    if (!narrowed.ok) throw new Error(narrowed.reason);
    expect(narrowed.tokens.scope).toBe('read');
    // The new refresh token still carries the whole grant.
    const widened = await state.rotateRefreshToken(narrowed.tokens.refresh_token as string, {
      client_id: 'client-1',
    });
    if (!widened.ok) throw new Error(widened.reason);
    expect(widened.tokens.scope).toBe('read write');
  });

  it('revokes the previous access token on rotation', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const first = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!first.ok) throw new Error(first.reason);
    const second = await state.rotateRefreshToken(first.tokens.refresh_token as string, {
      client_id: 'client-1',
    });
    if (!second.ok) throw new Error(second.reason);
    expect(await state.verifyAccessToken(first.tokens.access_token)).toBeUndefined();
    expect(await state.verifyAccessToken(second.tokens.access_token)).toBeDefined();
    expect(second.grant_id).toBe(first.grant_id);
  });

  it('revokes the grant when a rotated refresh token comes back (revokeOnRefreshReuse)', async () => {
    for (const revokeOnRefreshReuse of [true, false]) {
      const state = new OAuthStateStore(new MemoryStore(), { revokeOnRefreshReuse });
      const first = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
      if (!first.ok) throw new Error(first.reason);
      const old = first.tokens.refresh_token as string;
      const second = await state.rotateRefreshToken(old, { client_id: 'client-1' });
      if (!second.ok) throw new Error(second.reason);
      expect((await state.rotateRefreshToken(old, { client_id: 'client-1' })).ok).toBe(false);
      const stillValid = (await state.verifyAccessToken(second.tokens.access_token)) !== undefined;
      expect(stillValid).toBe(!revokeOnRefreshReuse);
      expect((await state.getGrant(second.grant_id)) !== undefined).toBe(!revokeOnRefreshReuse);
    }
  });

  it('never lets tokens outlive their grant', async () => {
    let now = Date.now();
    const state = new OAuthStateStore(new MemoryStore({ clock: () => now }), {
      lifetimes: { grant: 100, accessToken: 60, refreshToken: 1000 },
      clock: () => now,
    });
    const first = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!first.ok) throw new Error(first.reason);
    now += 70_000; // 30 s of grant left
    const second = await state.rotateRefreshToken(first.tokens.refresh_token as string, {
      client_id: 'client-1',
    });
    if (!second.ok) throw new Error(second.reason);
    expect(second.tokens.expires_in).toBeLessThanOrEqual(30);
    now += 31_000;
    expect(
      await state.rotateRefreshToken(second.tokens.refresh_token as string, { client_id: 'client-1' }),
    ).toMatchObject({ ok: false });
  });

  it('omits refresh tokens when turned off', async () => {
    const state = new OAuthStateStore(new MemoryStore(), { refreshTokens: false });
    const result = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!result.ok) throw new Error(result.reason);
    expect(result.tokens.refresh_token).toBeUndefined();
  });

  it('revokeToken: an access token alone, a refresh token with its grant', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const a = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!a.ok) throw new Error(a.reason);
    expect(await state.revokeToken(a.tokens.access_token, { client_id: 'other' })).toBe(false);
    expect(await state.revokeToken(a.tokens.access_token)).toBe(true);
    expect(await state.verifyAccessToken(a.tokens.access_token)).toBeUndefined();
    const renewed = await state.rotateRefreshToken(a.tokens.refresh_token as string, {
      client_id: 'client-1',
    });
    if (!renewed.ok) throw new Error(renewed.reason);
    expect(await state.revokeToken(renewed.tokens.refresh_token as string)).toBe(true);
    expect(await state.verifyAccessToken(renewed.tokens.access_token)).toBeUndefined();
    expect(await state.getGrant(renewed.grant_id)).toBeUndefined();
    expect(await state.revokeToken('unknown')).toBe(false);
  });

  it('keeps upstream tokens and JWT id mappings, and drops upstream tokens with their grant', async () => {
    const state = new OAuthStateStore(withEncryption(new MemoryStore(), { keys: [generateFernetKey()] }));
    const upstreamId = await state.saveUpstreamTokens({ access_token: 'upstream-at', expires_in: 3600 });
    await state.saveJtiMapping('jti-1', upstreamId, { ttl: 3600 });
    expect(await state.getJtiMapping('jti-1')).toBe(upstreamId);
    expect((await state.getUpstreamTokens(upstreamId))?.access_token).toBe('upstream-at');
    const code = await state.createAuthorizationCode({
      client_id: 'c',
      redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'x',
      scopes: [],
      upstream_token_id: upstreamId,
    });
    const result = await state.exchangeAuthorizationCode(code, { client_id: 'c' });
    if (!result.ok) throw new Error(result.reason);
    expect((await state.verifyAccessToken(result.tokens.access_token))?.upstream_token_id).toBe(upstreamId);
    expect(await state.revokeGrant(result.grant_id)).toBe(true);
    expect(await state.getUpstreamTokens(upstreamId)).toBeUndefined();
    expect(await state.deleteJtiMapping('jti-1')).toBe(true);
  });

  it('refuses a store without atomic take unless told to accept it', () => {
    class NonAtomic extends WrapperStore {
      override get capabilities() {
        return { ...super.capabilities, atomic: false };
      }
    }
    const store = new NonAtomic(new MemoryStore());
    expect(() => new OAuthStateStore(store)).toThrow(StoreSetupError);
    expect(new OAuthStateStore(store, { allowNonAtomic: true })).toBeInstanceOf(OAuthStateStore);
  });

  it('record shapes are Standard Schema validators: typedCollection reads the grants collection', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store);
    const result = await state.exchangeAuthorizationCode(await newCode(state), { client_id: 'client-1' });
    if (!result.ok) throw new Error(result.reason);
    const grants = typedCollection(store, state.collections.grants, RECORDS.grant);
    expect(await grants.get(result.grant_id)).toMatchObject({ client_id: 'client-1', subject: 'user-1' });
    const accessKey = hashToken(result.tokens.access_token);
    await store.put('broken', { grant_id: 'broken' }, { collection: state.collections.grants });
    await expect(grants.get('broken')).rejects.toBeInstanceOf(ValidationError);
    const tokens = typedCollection(store, state.collections.grants, RECORDS.access);
    expect((await tokens.get(accessKey))?.grant_id).toBe(result.grant_id);
  });

  it('refuses bad input with a ValidationError and writes nothing', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store);
    await expect(
      state.saveTransaction({ client_id: 5, redirect_uri: 'x', code_challenge: 'c', scopes: [] } as never),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      state.createAuthorizationCode({
        client_id: 'c',
        redirect_uri: 'x',
        code_challenge: 'c',
        scopes: 'all',
      } as never),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(state.saveUpstreamTokens([] as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await store.collections()).toEqual([]);
  });

  it('uses custom collection names', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store, { collections: { codes: 'my-codes', clients: 'my-clients' } });
    const code = await newCode(state);
    expect(await store.get(hashToken(code), { collection: 'my-codes' })).toBeDefined();
    await state.clients.registerClient({ client_id: 'x', redirect_uris: ['https://a.example/cb'] });
    expect(await store.get('x', { collection: 'my-clients' })).toBeDefined();
    expect(state.collections.refreshTokens).toBe('mcp-refresh-tokens');
  });
});

/** The races, run on every backend available: two OAuthStateStore instances on two store instances. */
function describeRaces(name: string, open: () => Promise<AsyncKeyValue> | AsyncKeyValue, shared = true) {
  describe(`OAuthStateStore races (${name})`, () => {
    const opened: AsyncKeyValue[] = [];
    const used = new Set<string>();
    const pair = async (): Promise<[OAuthStateStore, OAuthStateStore]> => {
      const a = await open();
      const b = shared ? await open() : a;
      opened.push(a, b);
      const collections = {
        codes: uniqueName('codes'),
        refreshTokens: uniqueName('refresh'),
        grants: uniqueName('grants'),
      };
      const state = new OAuthStateStore(a, { collections });
      for (const name of Object.values(state.collections)) used.add(name);
      return [state, new OAuthStateStore(b, { collections })];
    };
    afterAll(async () => {
      // Shared servers: remove what these tests wrote (grants live 90 days).
      const first = opened[0];
      if (first?.capabilities.destroyCollection) {
        for (const collection of used) await first.destroyCollection(collection);
      }
      for (const store of new Set(opened)) await store.close();
    });

    it(`redeems an authorization code exactly once among ${CONCURRENCY} concurrent exchanges`, async () => {
      const [a, b] = await pair();
      const code = await newCode(a);
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          (i % 2 ? a : b).exchangeAuthorizationCode(code, { client_id: 'client-1' }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error === 'invalid_grant')).toBe(true);
    });

    it(`redeems a code once among ${CONCURRENCY} concurrent peek-then-exchange (the SDK's path), losers' grants discarded`, async () => {
      const [a, b] = await pair();
      const code = await newCode(a);
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, i) => {
          const state = i % 2 ? a : b;
          const peeked = await state.getAuthorizationCode(code);
          return state.exchangeAuthorizationCode(code, { client_id: 'client-1' }, { peeked });
        }),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      if (!winner?.ok) throw new Error('no winner');
      expect(await a.verifyAccessToken(winner.tokens.access_token)).toBeDefined();
      // What the losers wrote in the round trip of their take is gone: one grant, one access token.
      const store = opened.at(-1) as AsyncKeyValue;
      const left = await store.keys(a.collections.grants);
      expect(left.keys.sort()).toEqual([winner.grant_id, hashToken(winner.tokens.access_token)].sort());
    });

    it(`rotates a refresh token exactly once among ${CONCURRENCY} concurrent rotations`, async () => {
      const [a, b] = await pair();
      const first = await a.exchangeAuthorizationCode(await newCode(a), { client_id: 'client-1' });
      if (!first.ok) throw new Error(first.reason);
      const refresh = first.tokens.refresh_token as string;
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) =>
          (i % 2 ? a : b).rotateRefreshToken(refresh, { client_id: 'client-1' }),
        ),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      if (!winner?.ok) throw new Error('no winner');
      expect(await b.verifyAccessToken(winner.tokens.access_token)).toBeDefined();
      expect((await a.rotateRefreshToken(refresh, { client_id: 'client-1' })).ok).toBe(false);
    });

    it('revokes everything under a grant, seen by the other instance at once', async () => {
      const [a, b] = await pair();
      const first = await a.exchangeAuthorizationCode(await newCode(a), { client_id: 'client-1' });
      if (!first.ok) throw new Error(first.reason);
      const second = await b.rotateRefreshToken(first.tokens.refresh_token as string, {
        client_id: 'client-1',
      });
      if (!second.ok) throw new Error(second.reason);
      expect(await a.verifyAccessToken(second.tokens.access_token)).toBeDefined();
      expect(await b.revokeGrant(second.grant_id)).toBe(true);
      expect(await a.verifyAccessToken(second.tokens.access_token)).toBeUndefined();
      expect(
        (await a.rotateRefreshToken(second.tokens.refresh_token as string, { client_id: 'client-1' })).ok,
      ).toBe(false);
      expect(await a.revokeGrant(second.grant_id)).toBe(false);
    });
  });
}

describeRaces('MemoryStore, one instance', () => new MemoryStore(), false);

const fileDirectory = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-races-'));
afterAll(() => rmSync(fileDirectory, { recursive: true, force: true }));
describeRaces('FileStore, two instances on one directory', () => new FileStore({ directory: fileDirectory }));

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
afterAll(async () => {
  await redis.stop();
  await postgres.stop();
});

if (redis.available) {
  const { RedisStore } = await import('../src/stores/redis/index.js');
  const keyPrefix = `${uniqueName('mcp')}:`;
  describeRaces(`RedisStore ${redis.description}`, () => new RedisStore({ url: redis.url, keyPrefix }));
} else {
  describe.skip(`OAuthStateStore races (RedisStore ${redis.description})`, () => {
    it('needs Redis', () => {});
  });
}

if (postgres.available) {
  const { PostgresStore } = await import('../src/stores/postgres/index.js');
  const schema = uniqueName('mcp');
  const setup = new (await import('pg')).default.Client({ connectionString: postgres.url });
  await setup.connect();
  await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  afterAll(async () => {
    await setup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await setup.end();
  });
  describeRaces(
    `PostgresStore ${postgres.description}`,
    () => new PostgresStore({ url: postgres.url, schema }),
  );
} else {
  describe.skip(`OAuthStateStore races (PostgresStore ${postgres.description})`, () => {
    it('needs PostgreSQL', () => {});
  });
}
