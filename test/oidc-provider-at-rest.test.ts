/**
 * What a real oidc-provider leaves in the store, read below every oauth-kv layer (files on disk,
 * Redis keys and values, PostgreSQL rows, Firestore documents): after full flows no bearer value
 * and no client secret is there; moved, copied, tampered and foreign records are refused with an
 * OAuth answer (never a server error); a reused code revokes the grant on every replica; hashing is
 * HMAC under encryption and SHA-256 without.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { DecryptionError, type OAuthKVError, RecordBindingError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import type { OidcAdapterOptions } from '../src/integrations/oidc-provider.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { replicaBackings } from './helpers/fastmcp-backings.js';
import { oidcReplicas } from './helpers/oidc-replicas.js';
import {
  approveDevice,
  authorizationCode,
  CODE_CLIENT,
  clientCredentials,
  deviceAuthorization,
  introspect,
  pollDeviceCode,
  readRegistration,
  redeemCode,
  refresh,
  registerClient,
  revoke,
} from './helpers/oidc-server.js';

const backings = await replicaBackings();
const KEY = generateFernetKey();
const HASH_SECRET = 'at-rest-test-hash-secret-0123456789';
const SEAL_SECRET = 'at-rest-test-seal-secret-0123456789';
const encrypt = (store: AsyncKeyValue) => withEncryption(store, { keys: [KEY] });
/** The hash the adapter uses under encryption with KEY (derived from the key, not given). */
const encryptedHasher = BearerHasher.forStore(encrypt(new MemoryStore({ sweepIntervalMs: 0 })));
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

interface Mode {
  name: string;
  wrap: (store: AsyncKeyValue) => AsyncKeyValue;
  options: OidcAdapterOptions;
  /** Whether client secrets are sealed (the last mode opts into plaintext ones). */
  sealsClientSecrets: boolean;
}

const MODES: Mode[] = [
  {
    name: 'encrypted (derived secrets, bound records)',
    wrap: encrypt,
    options: {},
    sealsClientSecrets: true,
  },
  {
    name: 'plain store with hashSecret and sealSecret',
    wrap: (store) => store,
    options: { hashSecret: HASH_SECRET, sealSecret: SEAL_SECRET },
    sealsClientSecrets: true,
  },
  {
    name: 'plain store without key material, allowUnprotectedSecrets',
    wrap: (store) => store,
    options: { allowUnprotectedSecrets: true },
    sealsClientSecrets: false,
  },
];

for (const backing of backings) {
  describe.skipIf(!backing.available)(`oidc-provider at rest on ${backing.name}`, () => {
    const replicas = oidcReplicas(backing);
    let n = 0;
    const freshPrefix = () => `oidc-rest-${process.pid}-${Date.now()}-${n++}:`;

    /** A provider replica; `store` is the raw backing store below every wrapper. */
    const replica = (prefix: string, wrap: Mode['wrap'], options: OidcAdapterOptions = {}) =>
      replicas.replica(wrap, { collectionPrefix: prefix, ...options });

    /** Which of `values` (by label) appear anywhere in the backing, keys or values. */
    async function found(values: Record<string, string[]>): Promise<string[]> {
      const dump = (await replicas.env.dump()).join('\n');
      return Object.entries(values)
        .filter(([, list]) => list.some((value) => value.length > 0 && dump.includes(value)))
        .map(([label]) => label);
    }

    for (const mode of MODES) {
      it(`after full flows no bearer value is in the backing (${mode.name})`, async () => {
        const prefix = freshPrefix();
        const a = await replica(prefix, mode.wrap, mode.options);
        const b = await replica(prefix, mode.wrap, mode.options);

        // The dump really covers keys and values of this backing: a canary written raw is found.
        const canary = {
          key: `canary-key-${randomBytes(8).toString('hex')}`,
          value: randomBytes(8).toString('hex'),
        };
        await a.store.put(canary.key, { v: canary.value }, { collection: `${prefix}canary` });
        expect(await found({ key: [canary.key], value: [canary.value] })).toEqual(['key', 'value']);

        // Dynamic registration, client_credentials, introspection, RFC 7592 read.
        const service = await registerClient(a.server);
        const cc = await clientCredentials(b.server, service);
        expect(cc.status).toBe(200);
        const ccToken = cc.body.access_token as string;
        expect((await introspect(a.server, service, ccToken)).body).toMatchObject({ active: true });
        expect((await readRegistration(b.server, service)).status).toBe(200);

        // Authorization code with refresh rotation, introspection and revocation, across replicas.
        const web = await registerClient(b.server, CODE_CLIENT);
        const { code, verifier, browser } = await authorizationCode(a.server, b.server, web);
        const tokens = await redeemCode(b.server, web, code, verifier);
        expect(tokens.status).toBe(200);
        const refreshed = await refresh(a.server, web, tokens.body.refresh_token as string);
        expect(refreshed.status).toBe(200);
        const accessToken = refreshed.body.access_token as string;
        expect((await introspect(b.server, web, accessToken)).body).toMatchObject({ active: true });
        expect((await revoke(b.server, web, accessToken)).status).toBe(200);
        expect((await introspect(a.server, web, accessToken)).body).toEqual({ active: false });

        // Device flow, approved in a browser hopping between replicas.
        const device = await registerClient(a.server, {
          grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
          token_endpoint_auth_method: 'none',
          scope: undefined,
        });
        const started = await deviceAuthorization(a.server, device.clientId);
        const deviceCode = started.body.device_code as string;
        const userCode = started.body.user_code as string;
        expect((await pollDeviceCode(b.server, device.clientId, deviceCode)).body).toMatchObject({
          error: 'authorization_pending',
        });
        // While pending, the user code is a bearer value too.
        const pending = await found({
          userCode: [userCode, userCode.replace('-', '')],
          deviceCode: [deviceCode],
        });
        expect(pending).toEqual([]);
        const approved = await approveDevice(b.server, a.server, userCode);
        expect(approved.status).toBe(200);
        const deviceTokens = await pollDeviceCode(a.server, device.clientId, deviceCode);
        expect(deviceTokens.status).toBe(200);

        const bearer = {
          clientCredentialsToken: [ccToken],
          registrationAccessTokens: [service.registrationAccessToken, web.registrationAccessToken],
          authorizationCode: [code],
          accessTokens: [
            tokens.body.access_token as string,
            accessToken,
            deviceTokens.body.access_token as string,
          ],
          refreshTokens: [tokens.body.refresh_token as string, refreshed.body.refresh_token as string],
          deviceCode: [deviceCode],
          userCode: [userCode, userCode.replace('-', '')],
          sessionAndInteractionCookies: [...browser.cookieValues, ...approved.browser.cookieValues],
          interactionUids: [...browser.interactions, ...approved.browser.interactions],
        };
        expect(Object.values(bearer).flat().length).toBeGreaterThan(15);
        expect(await found(bearer)).toEqual([]);
        const secrets = { clientSecrets: [service.clientSecret, web.clientSecret] };
        expect(service.clientSecret.length).toBeGreaterThan(20);
        // The opt-in mode stores client secrets as they are: the scan sees them (and would see any).
        expect(await found(secrets)).toEqual(mode.sealsClientSecrets ? [] : ['clientSecrets']);
      });
    }

    it('moved, copied, tampered and foreign records are refused under encryption, answered as OAuth errors', async () => {
      const prefix = freshPrefix();
      const refused: OAuthKVError[] = [];
      const options = { onRecordRefused: (err: OAuthKVError) => refused.push(err) };
      const a = await replica(prefix, encrypt, options);
      const b = await replica(prefix, encrypt, options);
      const raw = a.store;
      const victim = await registerClient(a.server, { scope: 'api:read api:write' });
      const attacker = await registerClient(a.server, { scope: 'api:read' });
      const observer = await registerClient(b.server);
      const victimToken = (await clientCredentials(b.server, victim, 'api:write')).body
        .access_token as string;
      const attackerToken = (await clientCredentials(b.server, attacker, 'api:read')).body
        .access_token as string;

      // A database writer copies the victim's token record over the attacker's own token.
      const tokens = `${prefix}ClientCredentials`;
      const victimRecord = (await raw.get(encryptedHasher.hash(victimToken), {
        collection: tokens,
      })) as JsonObject;
      expect(victimRecord).toHaveProperty('__encrypted_data__');
      await raw.put(encryptedHasher.hash(attackerToken), victimRecord, { collection: tokens, ttl: 600 });
      const moved = await introspect(a.server, attacker, attackerToken);
      expect(moved).toEqual({ status: 200, body: { active: false } });
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);
      // The victim's own token is untouched.
      expect((await introspect(b.server, victim, victimToken)).body).toMatchObject({
        active: true,
        scope: 'api:write',
      });

      // The victim's client record copied over the attacker's client id: refused, 401 invalid_client.
      const clients = `${prefix}Client`;
      const victimClient = (await raw.get(victim.clientId, { collection: clients })) as JsonObject;
      await raw.put(attacker.clientId, victimClient, { collection: clients });
      const copied = await clientCredentials(b.server, attacker, 'api:write');
      expect(copied.status).toBe(401);
      expect(copied.body.error).toBe('invalid_client');
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);

      // A tampered ciphertext: refused (DecryptionError), 401 invalid_client.
      const data = victimClient.__encrypted_data__ as string;
      const flipped = `${data.slice(0, 40)}${data[40] === 'A' ? 'B' : 'A'}${data.slice(41)}`;
      await raw.put(
        victim.clientId,
        { ...victimClient, __encrypted_data__: flipped },
        { collection: clients },
      );
      const tampered = await clientCredentials(a.server, victim, 'api:read');
      expect(tampered.status).toBe(401);
      expect(tampered.body.error).toBe('invalid_client');
      expect(refused.at(-1)).toBeInstanceOf(DecryptionError);

      // A foreign record (another deployment's key) planted under a token key: refused.
      const foreign = withEncryption(raw, { keys: [generateFernetKey()] });
      const forged = encryptedHasher.hash(victimToken);
      await foreign.put(forged, { sealed: 'x' }, { collection: tokens, ttl: 600 });
      expect((await introspect(a.server, observer, victimToken)).body).toEqual({ active: false });
      expect(refused.at(-1)).toBeInstanceOf(DecryptionError);
      expect(
        refused.every((err) => !err.message.includes(victimToken) && !err.message.includes(forged)),
      ).toBe(true);
    });

    it('without encryption or binding a moved token or client record still does not open (sealed to its place)', async () => {
      const prefix = freshPrefix();
      const refused: OAuthKVError[] = [];
      const options = {
        hashSecret: HASH_SECRET,
        sealSecret: SEAL_SECRET,
        onRecordRefused: (err: OAuthKVError) => refused.push(err),
      };
      const { server, store } = await replica(prefix, (s) => s, options);
      const hasher = new BearerHasher([HASH_SECRET]);
      const victim = await registerClient(server, { scope: 'api:read api:write' });
      const attacker = await registerClient(server, { scope: 'api:read' });
      const victimToken = (await clientCredentials(server, victim, 'api:write')).body.access_token as string;
      const attackerToken = (await clientCredentials(server, attacker, 'api:read')).body
        .access_token as string;
      const tokens = `${prefix}ClientCredentials`;
      const record = (await store.get(hasher.hash(victimToken), { collection: tokens })) as JsonObject;
      expect(record).not.toHaveProperty('_oauth_kv_at'); // binding is off on a plain store
      await store.put(hasher.hash(attackerToken), record, { collection: tokens, ttl: 600 });
      expect((await introspect(server, attacker, attackerToken)).body).toEqual({ active: false });
      expect(refused.at(-1)).toBeInstanceOf(RecordBindingError);

      const clients = `${prefix}Client`;
      await store.put(
        attacker.clientId,
        { ...(await store.get(victim.clientId, { collection: clients })), client_id: attacker.clientId },
        { collection: clients },
      );
      const copied = await clientCredentials(server, attacker, 'api:write');
      expect(copied.status).toBe(401);
      expect(refused.at(-1)).toBeInstanceOf(DecryptionError);
    });

    it('a reused authorization code revokes every token of the grant, on every replica', async () => {
      const prefix = freshPrefix();
      const a = await replica(prefix, encrypt);
      const b = await replica(prefix, encrypt);
      const client = await registerClient(a.server, CODE_CLIENT);
      const { code, verifier } = await authorizationCode(a.server, b.server, client);
      const tokens = await redeemCode(a.server, client, code, verifier);
      expect(tokens.status).toBe(200);
      const rotated = await refresh(b.server, client, tokens.body.refresh_token as string);
      expect(rotated.status).toBe(200);
      const access = [tokens.body.access_token as string, rotated.body.access_token as string];
      for (const token of access) {
        expect((await introspect(a.server, client, token)).body).toMatchObject({ active: true });
      }

      // The code comes back on the other replica: refused, and oidc-provider revokes the grant.
      const reuse = await redeemCode(b.server, client, code, verifier);
      expect(reuse.status).toBe(400);
      expect(reuse.body.error).toBe('invalid_grant');
      for (const server of [a.server, b.server]) {
        for (const token of access)
          expect((await introspect(server, client, token)).body).toEqual({ active: false });
        const again = await refresh(server, client, rotated.body.refresh_token as string);
        expect(again.body.error).toBe('invalid_grant');
      }
      for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) {
        expect((await a.store.keys(`${prefix}${model}`)).keys).toEqual([]);
      }
      expect((await a.store.collections()).filter((c) => c.startsWith(`${prefix}grant:`))).toEqual([]);
    });

    it('bearer values are hashed with HMAC under encryption (rotation-safe) and with SHA-256 without key material', async () => {
      const prefix = freshPrefix();
      const collection = `${prefix}ClientCredentials`;
      const keyIn = async (store: AsyncKeyValue, key: string) =>
        (await store.get(key, { collection })) !== undefined;

      const plain = await replica(prefix, (s) => s, { allowUnprotectedSecrets: true });
      const plainClient = await registerClient(plain.server);
      const plainToken = (await clientCredentials(plain.server, plainClient)).body.access_token as string;
      expect(await keyIn(plain.store, sha256(plainToken))).toBe(true);

      const given = await replica(prefix, (s) => s, { hashSecret: HASH_SECRET });
      const givenToken = (await clientCredentials(given.server, plainClient)).body.access_token as string;
      expect(await keyIn(given.store, new BearerHasher([HASH_SECRET]).hash(givenToken))).toBe(true);
      expect(await keyIn(given.store, sha256(givenToken))).toBe(false);

      const encPrefix = freshPrefix();
      const encCollection = `${encPrefix}ClientCredentials`;
      const old = await replica(encPrefix, encrypt);
      const client = await registerClient(old.server);
      const oldToken = (await clientCredentials(old.server, client)).body.access_token as string;
      expect(encryptedHasher.keyed).toBe(true);
      expect(
        await old.store.get(encryptedHasher.hash(oldToken), { collection: encCollection }),
      ).toBeDefined();
      expect(await old.store.get(sha256(oldToken), { collection: encCollection })).toBeUndefined();

      // Key rotation: a replica with a new key in front still finds what the old key hashed and
      // sealed; what it writes now is hashed under the new key.
      const newKey = generateFernetKey();
      const rotated = await replica(encPrefix, (s) => withEncryption(s, { keys: [newKey, KEY] }));
      expect((await introspect(rotated.server, client, oldToken)).body).toMatchObject({ active: true });
      const newToken = (await clientCredentials(rotated.server, client)).body.access_token as string;
      const newHasher = BearerHasher.forStore(
        withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: [newKey] }),
      );
      expect(await rotated.store.get(newHasher.hash(newToken), { collection: encCollection })).toBeDefined();
      expect(
        await rotated.store.get(encryptedHasher.hash(newToken), { collection: encCollection }),
      ).toBeUndefined();
      expect((await revoke(rotated.server, client, oldToken)).status).toBe(200);
      expect((await introspect(old.server, client, oldToken)).body).toEqual({ active: false });
    });
  });
}
