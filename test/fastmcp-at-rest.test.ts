/**
 * What FastMCP's real OAuthProxy leaves in the store through FastMCPTokenStorage, read below every
 * oauth-kv layer (files on disk, Redis keys and values, PostgreSQL rows, Firestore documents): after
 * full flows no bearer value (codes, transaction ids, FastMCP's JWTs and their ids, upstream tokens,
 * PKCE verifiers) and no client secret is there; moved, tampered and foreign records are refused
 * and answered as OAuth errors; hashing is HMAC under encryption and SHA-256 without.
 */
import { createHash, randomBytes } from 'node:crypto';
import { OAuthProxy } from 'fastmcp/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, type OAuthKVError, RecordBindingError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import { FastMCPTokenStorage, type FastMCPTokenStorageOptions } from '../src/integrations/fastmcp.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { type BackingEnv, replicaBackings } from './helpers/fastmcp-backings.js';
import {
  CLIENT_REDIRECT,
  obtainCode,
  proxyConfig,
  redeem,
  registerClient,
  startUpstream,
  type Upstream,
} from './helpers/fastmcp-upstream.js';

const backings = await replicaBackings();
const KEY = generateFernetKey();
const HASH_SECRET = 'fastmcp-at-rest-hash-secret-0123456789';
const SEAL_SECRET = 'fastmcp-at-rest-seal-secret-0123456789';
const encrypt = (store: AsyncKeyValue) => withEncryption(store, { keys: [KEY] });
const encryptedHasher = BearerHasher.forStore(encrypt(new MemoryStore({ sweepIntervalMs: 0 })));
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** The `jti` of one of FastMCP's JWTs. */
const jtiOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti;

interface Mode {
  name: string;
  wrap: (store: AsyncKeyValue) => AsyncKeyValue;
  storage: Omit<FastMCPTokenStorageOptions, 'collection'>;
  /** FastMCP's own `encryptionKey` (false: off). */
  fastmcpKey: string | false;
  sealsClientSecrets: boolean;
}

const MODES: Mode[] = [
  { name: 'oauth-kv encryption', wrap: encrypt, storage: {}, fastmcpKey: false, sealsClientSecrets: true },
  {
    name: 'plain store with hashSecret and sealSecret',
    wrap: (s) => s,
    storage: { hashSecret: HASH_SECRET, sealSecret: SEAL_SECRET },
    fastmcpKey: false,
    sealsClientSecrets: true,
  },
  {
    name: 'plain store, FastMCP’s own encryption, no oauth-kv key material',
    wrap: (s) => s,
    storage: {},
    fastmcpKey: 'fastmcp-own-encryption-key-shared',
    sealsClientSecrets: true,
  },
  {
    name: 'plain store without key material, allowUnprotectedSecrets',
    wrap: (s) => s,
    storage: { allowUnprotectedSecrets: true },
    fastmcpKey: false,
    sealsClientSecrets: false,
  },
];

for (const backing of backings) {
  describe.skipIf(!backing.available)(`FastMCP OAuthProxy at rest on ${backing.name}`, () => {
    let upstream: Upstream;
    let env: BackingEnv;
    const proxies: OAuthProxy[] = [];
    const stores: AsyncKeyValue[] = [];
    let n = 0;
    const freshCollection = () => `fastmcp-rest-${process.pid}-${Date.now()}-${n++}`;

    /** A proxy replica; `store` is the raw backing store below every wrapper. */
    async function replica(collection: string, mode: Pick<Mode, 'wrap' | 'storage' | 'fastmcpKey'>) {
      const store = await env.open();
      stores.push(store);
      const proxy = new OAuthProxy(
        proxyConfig(upstream, {
          encryptionKey: mode.fastmcpKey,
          tokenStorage: new FastMCPTokenStorage(mode.wrap(store), { collection, ...mode.storage }),
        }),
      );
      proxies.push(proxy);
      return { proxy, store };
    }

    beforeAll(async () => {
      upstream = await startUpstream();
      env = await backing.setup();
    });
    afterAll(async () => {
      for (const proxy of proxies) proxy.destroy();
      if (backing.persistent) for (const store of stores) await store.close();
      await env?.teardown();
      await upstream?.close();
    });

    async function found(values: Record<string, string[]>): Promise<string[]> {
      const dump = (await env.dump()).join('\n');
      return Object.entries(values)
        .filter(([, list]) => list.some((value) => value.length > 0 && dump.includes(value)))
        .map(([label]) => label);
    }

    for (const mode of MODES) {
      it(`after full flows no bearer value is in the backing (${mode.name})`, async () => {
        const collection = freshCollection();
        const a = await replica(collection, mode);
        const b = await replica(collection, mode);
        const canary = {
          key: `canary-${randomBytes(8).toString('hex')}`,
          value: randomBytes(8).toString('hex'),
        };
        await a.store.put(canary.key, { v: canary.value }, { collection });
        expect(await found({ key: [canary.key], value: [canary.value] })).toEqual(['key', 'value']);
        const issuedBefore = upstream.issued.length;

        const client = await registerClient(a.proxy);
        expect(client.clientSecret.length).toBeGreaterThan(20);
        // A pending transaction: its id is the upstream `state`, a bearer value until the callback.
        const pendingAuth = await b.proxy.authorize({
          client_id: client.clientId,
          redirect_uri: CLIENT_REDIRECT,
          response_type: 'code',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGrSstw-cM',
          code_challenge_method: 'S256',
        });
        const pendingTransaction =
          new URL(pendingAuth.headers.get('location') ?? '').searchParams.get('state') ?? '';
        expect(pendingTransaction.length).toBeGreaterThan(20);
        expect(await found({ pendingTransaction: [pendingTransaction] })).toEqual([]);

        const { code, verifier, transactionId } = await obtainCode(b.proxy, a.proxy, client.clientId);
        // A pending code holds the upstream tokens: neither it nor they are readable.
        expect(await found({ code: [code], upstream: upstream.issued.slice(issuedBefore) })).toEqual([]);
        const tokens = await redeem(b.proxy, client.clientId, code, verifier);
        expect(await a.proxy.loadUpstreamTokens(tokens.access_token)).toMatchObject({ tokenType: 'Bearer' });
        const refreshed = await a.proxy.exchangeRefreshToken({
          grant_type: 'refresh_token',
          client_id: client.clientId,
          refresh_token: tokens.refresh_token!,
        });
        expect(await b.proxy.loadUpstreamTokens(refreshed.access_token)).toMatchObject({
          tokenType: 'Bearer',
        });
        await expect(redeem(a.proxy, client.clientId, code, verifier)).rejects.toMatchObject({
          code: 'invalid_grant',
        });

        const jwts = [
          tokens.access_token,
          tokens.refresh_token!,
          refreshed.access_token,
          refreshed.refresh_token!,
        ];
        const bearer = {
          code: [code],
          transactionIds: [transactionId, pendingTransaction],
          fastmcpJwts: jwts,
          jwtIds: jwts.map(jtiOf),
          upstreamTokensAndVerifiers: upstream.issued.slice(issuedBefore),
          clientPkceVerifier: [verifier],
        };
        expect(bearer.upstreamTokensAndVerifiers.length).toBeGreaterThanOrEqual(5);
        expect(await found(bearer)).toEqual([]);
        expect(await found({ clientSecret: [client.clientSecret] })).toEqual(
          mode.sealsClientSecrets ? [] : ['clientSecret'],
        );
      });
    }

    it('moved, tampered and foreign records are refused under encryption and answered as OAuth errors', async () => {
      const collection = freshCollection();
      const refused: OAuthKVError[] = [];
      const mode = {
        wrap: encrypt,
        storage: { onRecordRefused: (err: OAuthKVError) => refused.push(err) },
        fastmcpKey: false as const,
      };
      const a = await replica(collection, mode);
      const b = await replica(collection, mode);
      const raw = a.store;
      const victim = await registerClient(a.proxy);
      const attacker = await registerClient(a.proxy);
      const v = await obtainCode(a.proxy, a.proxy, victim.clientId);
      const victimTokens = await redeem(a.proxy, victim.clientId, v.code, v.verifier);
      const t = await obtainCode(a.proxy, a.proxy, attacker.clientId);
      const attackerTokens = await redeem(a.proxy, attacker.clientId, t.code, t.verifier);
      const stored = (key: string) => `${key.slice(0, key.indexOf(':') + 1)}${encryptedHasher.hash(key)}`;

      // The victim's token mapping copied over the attacker's: refused, no upstream tokens.
      const victimMapping = (await raw.get(stored(`mapping:${jtiOf(victimTokens.access_token)}`), {
        collection,
      })) as JsonObject;
      expect(victimMapping).toHaveProperty('__encrypted_data__');
      await raw.put(stored(`mapping:${jtiOf(attackerTokens.access_token)}`), victimMapping, {
        collection,
        ttl: 600,
      });
      expect(await b.proxy.loadUpstreamTokens(attackerTokens.access_token)).toBeNull();
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);
      expect(await b.proxy.loadUpstreamTokens(victimTokens.access_token)).toMatchObject({
        tokenType: 'Bearer',
      });

      // The victim's client record copied over the attacker's client id: a fresh replica (no
      // in-memory cache) refuses it and answers invalid_client.
      await raw.put(
        `client:${attacker.clientId}`,
        (await raw.get(`client:${victim.clientId}`, { collection }))!,
        {
          collection,
        },
      );
      const fresh = await replica(collection, mode);
      await expect(
        fresh.proxy.authorize({
          client_id: attacker.clientId,
          redirect_uri: CLIENT_REDIRECT,
          response_type: 'code',
        }),
      ).rejects.toMatchObject({ code: 'invalid_client' });
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);

      // A tampered authorization code: refused (DecryptionError), invalid_grant.
      const c = await obtainCode(a.proxy, a.proxy, victim.clientId);
      const codeKey = stored(`code:${c.code}`);
      const codeRecord = (await raw.get(codeKey, { collection })) as JsonObject;
      const data = codeRecord.__encrypted_data__ as string;
      await raw.put(
        codeKey,
        {
          ...codeRecord,
          __encrypted_data__: `${data.slice(0, 40)}${data[40] === 'A' ? 'B' : 'A'}${data.slice(41)}`,
        },
        { collection, ttl: 300 },
      );
      await expect(redeem(b.proxy, victim.clientId, c.code, c.verifier)).rejects.toMatchObject({
        code: 'invalid_grant',
      });
      expect(refused.at(-1)).toBeInstanceOf(DecryptionError);

      // A foreign record (another deployment's key) under the victim's mapping: refused.
      const foreign = withEncryption(raw, { keys: [generateFernetKey()] });
      await foreign.put(
        stored(`mapping:${jtiOf(victimTokens.access_token)}`),
        { sealed: 'x' },
        { collection, ttl: 600 },
      );
      expect(await a.proxy.loadUpstreamTokens(victimTokens.access_token)).toBeNull();
      expect(refused.at(-1)).toBeInstanceOf(DecryptionError);
      expect(refused.every((err) => !err.message.includes(victimTokens.access_token))).toBe(true);
    });

    it('without encryption or binding a moved mapping still does not open (sealed to its place)', async () => {
      const collection = freshCollection();
      const refused: OAuthKVError[] = [];
      const { proxy, store } = await replica(collection, {
        wrap: (s) => s,
        storage: {
          hashSecret: HASH_SECRET,
          sealSecret: SEAL_SECRET,
          onRecordRefused: (err) => refused.push(err),
        },
        fastmcpKey: false,
      });
      const hasher = new BearerHasher([HASH_SECRET]);
      const stored = (key: string) => `${key.slice(0, key.indexOf(':') + 1)}${hasher.hash(key)}`;
      const client = await registerClient(proxy);
      const first = await obtainCode(proxy, proxy, client.clientId);
      const victim = await redeem(proxy, client.clientId, first.code, first.verifier);
      const second = await obtainCode(proxy, proxy, client.clientId);
      const attacker = await redeem(proxy, client.clientId, second.code, second.verifier);
      const record = await store.get(stored(`mapping:${jtiOf(victim.access_token)}`), { collection });
      expect(Object.keys(record ?? {})).toEqual(['sealed']);
      await store.put(stored(`mapping:${jtiOf(attacker.access_token)}`), record!, { collection, ttl: 600 });
      expect(await proxy.loadUpstreamTokens(attacker.access_token)).toBeNull();
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);
    });

    it('keys are hashed with HMAC under encryption (rotation-safe) and with SHA-256 without key material', async () => {
      const plainCollection = freshCollection();
      const plain = await replica(plainCollection, {
        wrap: (s) => s,
        storage: { allowUnprotectedSecrets: true },
        fastmcpKey: false,
      });
      const plainClient = await registerClient(plain.proxy);
      const plainCode = await obtainCode(plain.proxy, plain.proxy, plainClient.clientId);
      expect(
        await plain.store.get(`code:${sha256(`code:${plainCode.code}`)}`, { collection: plainCollection }),
      ).toBeDefined();
      expect(
        await plain.store.get(`client:${plainClient.clientId}`, { collection: plainCollection }),
      ).toBeDefined();

      const collection = freshCollection();
      const old = await replica(collection, { wrap: encrypt, storage: {}, fastmcpKey: false });
      const client = await registerClient(old.proxy);
      const pending = await obtainCode(old.proxy, old.proxy, client.clientId);
      const codeKey = `code:${encryptedHasher.hash(`code:${pending.code}`)}`;
      expect(await old.store.get(codeKey, { collection })).toBeDefined();
      expect(await old.store.get(`code:${sha256(`code:${pending.code}`)}`, { collection })).toBeUndefined();

      // Key rotation: a replica with a new key in front redeems the code written under the old one.
      const newKey = generateFernetKey();
      const rotated = await replica(collection, {
        wrap: (s) => withEncryption(s, { keys: [newKey, KEY] }),
        storage: {},
        fastmcpKey: false,
      });
      const tokens = await redeem(rotated.proxy, client.clientId, pending.code, pending.verifier);
      expect(await old.store.get(codeKey, { collection })).toBeUndefined();
      const newHasher = BearerHasher.forStore(
        withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: [newKey] }),
      );
      const mapping = `mapping:${jtiOf(tokens.access_token)}`;
      expect(await rotated.store.get(`mapping:${newHasher.hash(mapping)}`, { collection })).toBeDefined();
      expect(
        await rotated.store.get(`mapping:${encryptedHasher.hash(mapping)}`, { collection }),
      ).toBeUndefined();
      expect(await rotated.proxy.loadUpstreamTokens(tokens.access_token)).toMatchObject({
        tokenType: 'Bearer',
      });
    });
  });
}
