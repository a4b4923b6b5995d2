/**
 * What a database reader and a database writer can do to the MCP server side of oauth-kv, tried for
 * real: a full OAuth flow through the SDK's own router over HTTP, then every key and raw value of the
 * store (and every file name and byte of a FileStore) searched for the bearer values handed out;
 * a victim's encrypted token record copied under a token the attacker chose; tampered records
 * answered with OAuth errors, never a 500; key rotation; the injectable clock.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue, CollectionOptions, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, RecordBindingError, StoreSetupError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import {
  MCP_CLIENTS_COLLECTION,
  OAuthClientsStore,
  OAuthStateStore,
  type OAuthStateStoreOptions,
  PersistentOAuthServerProvider,
} from '../src/integrations/mcp.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { reencrypt, withEncryption } from '../src/wrappers/encryption.js';
import { FlowClient, startAuthServer } from './helpers/mcp-flow.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs everything a server stores bearer values for, and returns every bearer value it saw. */
async function fullFlow(state: OAuthStateStore, confidential = true): Promise<string[]> {
  const provider = new PersistentOAuthServerProvider({ state, approve: () => ({ subject: 'alice' }) });
  const server = await startAuthServer(provider);
  const secrets: string[] = [];
  const keep = (...values: (string | undefined)[]) => {
    for (const value of values) {
      if (value === undefined) continue;
      secrets.push(value);
      const dot = value.indexOf('.');
      if (dot > 0) secrets.push(value.slice(dot + 1)); // the random part of <grant id>.<random>
    }
  };
  try {
    const http = new FlowClient(server.base);
    const client = await http.register(confidential ? 'confidential' : 'public');
    keep(client.client_secret);
    if (confidential) expect(client.client_secret).toBeDefined();

    const first = await http.authorize(client);
    keep(first.code);
    const issued = await http.exchange(client, first.code, first.verifier);
    expect(issued.status).toBe(200);
    const access1 = issued.body?.access_token as string;
    const refresh1 = issued.body?.refresh_token as string;
    keep(access1, refresh1);
    expect((await http.call(access1)).status).toBe(200);

    const rotated = await http.refresh(client, refresh1);
    expect(rotated.status).toBe(200);
    const access2 = rotated.body?.access_token as string;
    keep(access2, rotated.body?.refresh_token as string);
    expect((await http.revoke(client, access2)).status).toBe(200);
    expect((await http.call(access2)).status).toBe(401);

    // An authorization left pending (its transaction id would finish it) and a code never redeemed.
    const pendingId = await state.saveTransaction({
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:8765/callback',
      code_challenge: 'c',
      scopes: [],
    });
    keep(pendingId, (await http.authorize(client)).code);
    // An OAuth proxy's upstream tokens.
    if (state.protection.upstreamTokens !== 'refused') {
      const upstream = `upstream-access-${'u'.repeat(32)}`;
      const id = await state.saveUpstreamTokens({ access_token: upstream, refresh_token: `${upstream}-r` });
      keep(upstream);
      expect((await state.getUpstreamTokens(id))?.access_token).toBe(upstream);
    }
  } finally {
    await server.close();
  }
  return secrets;
}

/** Every key and raw value of every collection, as text. */
async function dump(store: AsyncKeyValue): Promise<string[]> {
  const out: string[] = [];
  for (const collection of await store.collections()) {
    let cursor: string | undefined;
    do {
      const page = await store.keys(collection, { cursor });
      const values = await store.getMany(page.keys, { collection });
      for (const [i, key] of page.keys.entries()) out.push(`${collection}/${key}`, JSON.stringify(values[i]));
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return out;
}

function expectNoneOf(secrets: string[], texts: string[]): void {
  expect(secrets.length).toBeGreaterThan(8);
  expect(texts.length).toBeGreaterThan(8);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThanOrEqual(16);
    const hit = texts.find((text) => text.includes(secret));
    expect(hit, 'a bearer value is readable in the store').toBeUndefined();
  }
}

describe('no bearer value readable at rest', () => {
  it('encrypted MemoryStore: no token, code, secret or transaction id in any key or raw value, nor in the decrypted records', async () => {
    const inner = new MemoryStore();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const state = new OAuthStateStore(store);
    expect(state.protection).toEqual({
      bearerHashing: 'hmac-sha256',
      recordBinding: true,
      clientSecrets: 'sealed',
      upstreamTokens: 'sealed',
    });
    const secrets = await fullFlow(state);
    expectNoneOf(secrets, await dump(inner));
    expectNoneOf(secrets, await dump(store)); // even with the key: hashes and sealed values only
  });

  it('encrypted FileStore: no bearer value in any file name or file', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-sec-'));
    dirs.push(directory);
    const state = new OAuthStateStore(
      withEncryption(new FileStore({ directory }), { keys: [generateFernetKey()] }),
    );
    const secrets = await fullFlow(state);
    const files = readdirSync(directory, { recursive: true, withFileTypes: true });
    const texts = files.flatMap((f) =>
      f.isFile()
        ? [join(f.parentPath, f.name), readFileSync(join(f.parentPath, f.name), 'latin1')]
        : [f.name],
    );
    expectNoneOf(secrets, texts);
  });

  it('no encryption, explicit hashSecret and sealSecret: raw JSON values hold hashes and sealed values only', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store, {
      hashSecret: 'a hashing secret of 32 characters',
      sealSecret: 'a sealing secret of 32 characters',
    });
    expect(state.protection).toMatchObject({ bearerHashing: 'hmac-sha256', recordBinding: false });
    expectNoneOf(await fullFlow(state), await dump(store));
  });

  it('no key material at all: public clients work with SHA-256 keys; a confidential client is refused, nothing written', async () => {
    const store = new MemoryStore();
    const state = new OAuthStateStore(store);
    expectNoneOf(await fullFlow(state, false), await dump(store));
    const before = (await store.keys(MCP_CLIENTS_COLLECTION)).keys.length;
    await expect(
      state.clients.registerClient({
        client_id: 'c',
        client_secret: 'x'.repeat(32),
        redirect_uris: ['https://a/cb'],
      }),
    ).rejects.toBeInstanceOf(StoreSetupError);
    await expect(state.saveUpstreamTokens({ access_token: 'u' })).rejects.toBeInstanceOf(StoreSetupError);
    expect((await store.keys(MCP_CLIENTS_COLLECTION)).keys.length).toBe(before);
    expect((await store.keys('mcp-upstream-tokens')).keys).toEqual([]);
  });

  it('allowUnprotectedSecrets: the explicit opt-in stores the secret as issued', async () => {
    const store = new MemoryStore();
    const clients = new OAuthClientsStore(store, { allowUnprotectedSecrets: true });
    expect(clients.secretHandling).toBe('plaintext');
    await clients.registerClient({
      client_id: 'c',
      client_secret: 'plain-secret',
      redirect_uris: ['https://a/cb'],
    });
    expect((await store.get('c', { collection: MCP_CLIENTS_COLLECTION }))?.client_secret).toBe(
      'plain-secret',
    );
  });

  it('a sealed client secret is bound to its client: copied to another client_id it is refused', async () => {
    const inner = new MemoryStore();
    const clients = new OAuthClientsStore(inner, { sealSecret: 'a sealing secret of 32 characters' });
    await clients.registerClient({
      client_id: 'victim',
      client_secret: 'victim-secret',
      redirect_uris: ['https://a/cb'],
    });
    const raw = (await inner.get('victim', { collection: MCP_CLIENTS_COLLECTION })) as JsonObject;
    expect(raw.client_secret).toMatch(/^oauth-kv-sealed:v1:/);
    await inner.put('attacker', { ...raw, client_id: 'attacker' }, { collection: MCP_CLIENTS_COLLECTION });
    expect(await clients.getClient('attacker')).toBeUndefined();
    expect((await clients.getClient('victim'))?.client_secret).toBe('victim-secret');
  });
});

/** Copies a raw record (below the encryption wrapper) from one key to another. */
async function copyRaw(inner: AsyncKeyValue, collection: string, from: string, to: string): Promise<void> {
  const raw = await inner.get(from, { collection });
  if (raw === undefined) throw new Error('nothing to copy');
  await inner.put(to, raw, { collection, ttl: 3600 });
}

async function victimTokens(state: OAuthStateStore) {
  const code = await state.createAuthorizationCode({
    client_id: 'victim-client',
    redirect_uri: 'https://victim.example/cb',
    code_challenge: 'c',
    scopes: ['admin'],
    subject: 'victim',
  });
  const result = await state.exchangeAuthorizationCode(code, { client_id: 'victim-client' });
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('records bound to their place', () => {
  const attack = async (options: OAuthStateStoreOptions) => {
    const inner = new MemoryStore();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const refused: unknown[] = [];
    const state = new OAuthStateStore(store, { ...options, onRecordRefused: (error) => refused.push(error) });
    const victim = await victimTokens(state);
    // The strongest writer: one who can compute the storage key of a token they choose (SHA-256
    // with hashSecret: false, or a leaked hashing secret); the record itself stays encrypted.
    const hasher = BearerHasher.forStore(store, { secret: options.hashSecret });
    const chosen = `${victim.grant_id}.${'A'.repeat(43)}`;
    await copyRaw(inner, 'mcp-oauth-grants', hasher.hash(victim.tokens.access_token), hasher.hash(chosen));
    const chosenRefresh = `${victim.grant_id}.${'B'.repeat(43)}`;
    await copyRaw(
      inner,
      'mcp-refresh-tokens',
      hasher.hash(victim.tokens.refresh_token as string),
      hasher.hash(chosenRefresh),
    );
    return { state, chosen, chosenRefresh, refused };
  };

  it('a victim access-token record copied under a token the attacker chose is refused (encryption on, binding by default)', async () => {
    for (const hashSecret of [false, undefined] as const) {
      const { state, chosen, chosenRefresh, refused } = await attack({ hashSecret });
      expect(state.protection.recordBinding).toBe(true);
      expect(await state.verifyAccessToken(chosen)).toBeUndefined();
      expect(await state.rotateRefreshToken(chosenRefresh, { client_id: 'victim-client' })).toMatchObject({
        ok: false,
        error: 'invalid_grant',
      });
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(refused.every((e) => e instanceof RecordBindingError)).toBe(true);
    }
  });

  it('without binding the same copy would authenticate the attacker (what binding prevents)', async () => {
    const { state, chosen, chosenRefresh } = await attack({ hashSecret: false, bindRecords: false });
    expect((await state.verifyAccessToken(chosen))?.subject).toBe('victim');
    expect((await state.rotateRefreshToken(chosenRefresh, { client_id: 'victim-client' })).ok).toBe(true);
  });

  it('over HTTP, moved or tampered records get OAuth errors (401 with WWW-Authenticate, 400 invalid_grant / invalid_client), never 500', async () => {
    const inner = new MemoryStore();
    const store = withEncryption(inner, { keys: [generateFernetKey()] });
    const state = new OAuthStateStore(store, { hashSecret: false });
    const server = await startAuthServer(new PersistentOAuthServerProvider({ state, approve: () => ({}) }));
    try {
      const http = new FlowClient(server.base);
      const victim = await http.register();
      const attacker = await http.register();
      const { code, verifier } = await http.authorize(victim);
      const tokens = (await http.exchange(victim, code, verifier)).body as Record<string, string>;
      const hasher = new BearerHasher();
      const grantId = tokens.access_token!.slice(0, 36);

      const chosen = `${grantId}.${'A'.repeat(43)}`;
      await copyRaw(inner, 'mcp-oauth-grants', hasher.hash(tokens.access_token!), hasher.hash(chosen));
      const moved = await http.call(chosen);
      expect(moved.status).toBe(401);
      expect(moved.wwwAuthenticate).toMatch(/^Bearer .*error="invalid_token"/);

      await inner.put(
        hasher.hash(tokens.access_token!),
        { __encrypted_data__: 'AAAA', __encryption_version__: 1 },
        {
          collection: 'mcp-oauth-grants',
        },
      );
      const tampered = await http.call(tokens.access_token!);
      expect(tampered.status).toBe(401);
      expect(tampered.wwwAuthenticate).toMatch(/invalid_token/);

      const chosenRefresh = `${grantId}.${'B'.repeat(43)}`;
      await copyRaw(
        inner,
        'mcp-refresh-tokens',
        hasher.hash(tokens.refresh_token!),
        hasher.hash(chosenRefresh),
      );
      const refreshed = await http.refresh(victim, chosenRefresh);
      expect(refreshed.status).toBe(400);
      expect(refreshed.body?.error).toBe('invalid_grant');

      // The attacker's client record replaced by the victim's (encrypted) one.
      await copyRaw(inner, MCP_CLIENTS_COLLECTION, victim.client_id, attacker.client_id);
      const asAttacker = await http.refresh(attacker, tokens.refresh_token!);
      expect(asAttacker.status).toBe(400);
      expect(asAttacker.body?.error).toBe('invalid_client');
    } finally {
      await server.close();
    }
  });
});

/** Counts the bulk reads that reach the store. */
class CountingStore extends WrapperStore {
  reads = 0;
  override getMany(keys: readonly string[], options?: CollectionOptions) {
    this.reads++;
    return super.getMany(keys, options);
  }
}

describe('key rotation', () => {
  it('tokens and client secrets written under the old key stay valid after rotation, looked up in one read', async () => {
    const inner = new MemoryStore();
    const oldKey = generateFernetKey();
    const before = new OAuthStateStore(withEncryption(inner, { keys: [oldKey] }));
    await before.clients.registerClient({
      client_id: 'c',
      client_secret: 'old-secret',
      redirect_uris: ['https://a/cb'],
    });
    const issued = await victimTokens(before);

    const counted = new CountingStore(withEncryption(inner, { keys: [generateFernetKey(), oldKey] }));
    const after = new OAuthStateStore(counted);
    expect((await after.clients.getClient('c'))?.client_secret).toBe('old-secret');
    counted.reads = 0;
    expect((await after.verifyAccessToken(issued.tokens.access_token))?.subject).toBe('victim');
    expect(counted.reads).toBe(1);
    const rotated = await after.rotateRefreshToken(issued.tokens.refresh_token as string, {
      client_id: 'victim-client',
    });
    expect(rotated.ok).toBe(true);

    // Once the old key is gone, so is everything written under it (and nothing crashes).
    const refused: unknown[] = [];
    const without = new OAuthStateStore(withEncryption(inner, { keys: [generateFernetKey()] }), {
      onRecordRefused: (error) => refused.push(error),
    });
    expect(await without.verifyAccessToken(issued.tokens.access_token)).toBeUndefined();
    expect(await without.clients.getClient('c')).toBeUndefined();
    expect(refused.some((e) => e instanceof DecryptionError)).toBe(true);
  });
});

describe('client secrets across a key rotation', () => {
  it('reseal() moves sealed secrets to the newest key, so the old key can go', async () => {
    const inner = new MemoryStore();
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const before = new OAuthClientsStore(withEncryption(inner, { keys: [oldKey] }), { ttl: 3600 });
    await before.registerClient({
      client_id: 'c1',
      client_secret: 'secret-one',
      redirect_uris: ['https://a/cb'],
    });
    await before.registerClient({
      client_id: 'c2',
      client_secret: 'secret-two',
      redirect_uris: ['https://a/cb'],
    });
    await before.registerClient({
      client_id: 'p',
      redirect_uris: ['https://a/cb'],
      token_endpoint_auth_method: 'none',
    });

    const both = withEncryption(inner, { keys: [newKey, oldKey] });
    const during = new OAuthClientsStore(both, { ttl: 3600 });
    expect(await reencrypt(both, { collection: during.collection })).toBe(3);
    expect(await during.reseal()).toBe(2);
    expect(await during.reseal()).toBe(0); // idempotent
    expect((await inner.ttl('c1', { collection: during.collection })).ttl).toBeGreaterThan(3500);

    const after = new OAuthClientsStore(withEncryption(inner, { keys: [newKey] }));
    expect((await after.getClient('c1'))?.client_secret).toBe('secret-one');
    expect((await after.getClient('c2'))?.client_secret).toBe('secret-two');
    expect((await after.getClient('p'))?.client_secret).toBeUndefined();
  });
});

describe('the injectable clock', () => {
  it('decides expiry even when the store has not expired the entry yet', async () => {
    let now = Date.now();
    const state = new OAuthStateStore(new MemoryStore(), {
      clock: () => now,
      lifetimes: { accessToken: 60 },
    });
    const issued = await victimTokens(state);
    expect(await state.verifyAccessToken(issued.tokens.access_token)).toBeDefined();
    now += 61_000;
    expect(await state.verifyAccessToken(issued.tokens.access_token)).toBeUndefined();
    const code = await state.createAuthorizationCode({
      client_id: 'x',
      redirect_uri: 'https://x/cb',
      code_challenge: 'c',
      scopes: [],
    });
    now += 301_000;
    expect(await state.getAuthorizationCode(code)).toBeUndefined();
    expect((await state.exchangeAuthorizationCode(code, { client_id: 'x' })).ok).toBe(false);
  });
});
