/**
 * A real oidc-provider (in process, on a loopback port) on the oauth-kv adapter: dynamic client
 * registration, client_credentials, introspection, revocation and the device flow, across two
 * provider replicas sharing one store, and after a restart on a persistent backing.
 */
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { createOidcAdapter } from '../src/integrations/oidc-provider.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { replicaBackings } from './helpers/fastmcp-backings.js';
import { oidcReplicas } from './helpers/oidc-replicas.js';
import {
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
  submitUserCode,
} from './helpers/oidc-server.js';

const backings = await replicaBackings();
/** Plain stores get explicit hashing and sealing secrets (the adapter refuses client secrets without key material). */
const protection = {
  hashSecret: 'oidc-test-hash-secret-shared-by-replicas',
  sealSecret: 'oidc-test-seal-secret-shared-by-replicas',
};

for (const backing of backings) {
  describe.skipIf(!backing.available)(`oidc-provider replicas on ${backing.name}`, () => {
    const replicas = oidcReplicas(backing);
    const prefix = `oidc-test-${process.pid}-${Date.now()}:`;
    const replica = (wrap?: (store: AsyncKeyValue) => AsyncKeyValue) =>
      replicas.replica(wrap, { collectionPrefix: prefix, ...protection });

    it('a client registered on one replica gets client_credentials tokens on another; introspection and revocation cross replicas', async () => {
      const a = await replica();
      const b = await replica();
      const client = await registerClient(a.server);

      // The registration is in the store, under the Client model's collection, its secret sealed.
      const stored = await a.store.get(client.clientId, { collection: `${prefix}Client` });
      expect(stored).toMatchObject({ client_id: client.clientId });
      expect(JSON.stringify(stored)).not.toContain(client.clientSecret);

      const token = await clientCredentials(b.server, client);
      expect(token.status).toBe(200);
      expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'api:read' });
      const accessToken = token.body.access_token as string;

      const active = await introspect(a.server, client, accessToken);
      expect(active.body).toMatchObject({ active: true, client_id: client.clientId, scope: 'api:read' });

      expect((await revoke(a.server, client, accessToken)).status).toBe(200);
      expect((await introspect(b.server, client, accessToken)).body).toEqual({ active: false });

      // RFC 7592 read of the registration, authenticated by a token another replica issued.
      const read = await readRegistration(b.server, client);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ client_id: client.clientId, client_name: 'service' });
    });

    it('the authorization code flow hops between replicas; a code is redeemed exactly once', async () => {
      const a = await replica();
      const b = await replica();
      const client = await registerClient(a.server, CODE_CLIENT);
      const { code, verifier } = await authorizationCode(a.server, b.server, client);

      const redemptions = await Promise.all(
        Array.from({ length: 10 }, (_, i) => redeemCode(i % 2 ? a.server : b.server, client, code, verifier)),
      );
      const won = redemptions.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      expect(won[0]!.body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
      for (const r of redemptions) if (r.status !== 200) expect(r.body.error).toBe('invalid_grant');
    });

    it('a refresh token used concurrently on two replicas rotates exactly once', async () => {
      const a = await replica();
      const b = await replica();
      const client = await registerClient(b.server, CODE_CLIENT);
      const { code, verifier } = await authorizationCode(b.server, a.server, client);
      const tokens = await redeemCode(a.server, client, code, verifier);
      expect(tokens.body.refresh_token).toBeTypeOf('string');

      // A refresh on the other replica works (the grant, session and token are all shared).
      const first = await refresh(b.server, client, tokens.body.refresh_token as string);
      expect(first.status).toBe(200);
      const rotated = first.body.refresh_token as string;
      expect(rotated).not.toBe(tokens.body.refresh_token);

      const refreshes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? a.server : b.server, client, rotated)),
      );
      expect(refreshes.filter((r) => r.status === 200)).toHaveLength(1);
      for (const r of refreshes) if (r.status !== 200) expect(r.body.error).toBe('invalid_grant');
    });

    it('over oauth-kv’s EncryptionWrapper the store holds only Fernet tokens and replicas still agree', async () => {
      const key = generateFernetKey();
      const encrypted = (store: AsyncKeyValue) => withEncryption(store, { keys: [key] });
      const a = await replica(encrypted);
      const b = await replica(encrypted);
      const client = await registerClient(a.server);
      const token = await clientCredentials(b.server, client);
      const accessToken = token.body.access_token as string;
      expect((await introspect(a.server, client, accessToken)).body).toMatchObject({ active: true });
      const raw = await a.store.get(client.clientId, { collection: `${prefix}Client` });
      expect(Object.keys(raw ?? {}).sort()).toEqual(['__encrypted_data__', '__encryption_version__']);
      expect(JSON.stringify(raw)).not.toContain(client.clientSecret);
    });

    it('an unknown client and a made-up token are refused', async () => {
      const a = await replica();
      const fake = { clientId: 'nobody', clientSecret: 'nothing', registrationAccessToken: 'x' };
      expect((await clientCredentials(a.server, fake)).status).toBe(401);
      const client = await registerClient(a.server);
      expect((await introspect(a.server, client, 'not-a-token')).body).toEqual({ active: false });
    });

    it('the device flow stores its code with a user-code lookup the adapter resolves', async () => {
      const a = await replica();
      const b = await replica();
      const device = await registerClient(a.server, {
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        token_endpoint_auth_method: 'none',
        scope: undefined,
      });
      const started = await deviceAuthorization(a.server, device.clientId);
      expect(started.status).toBe(200);
      const pending = await pollDeviceCode(b.server, device.clientId, started.body.device_code as string);
      expect(pending.body).toMatchObject({ error: 'authorization_pending' });

      // The user types the code on another replica: it finds the device code by user code.
      const confirm = await submitUserCode(a.server, b.server, started.body.user_code as string);
      expect(confirm.status).toBe(200);
      expect(confirm.html).toContain('name="confirm"');
      const unknown = await submitUserCode(b.server, a.server, 'BCDF-GHJK');
      expect(unknown.html).not.toContain('name="confirm"');

      const DeviceCode = new (createOidcAdapter(b.store, { collectionPrefix: prefix, ...protection }))(
        'DeviceCode',
      );
      const userCode = (started.body.user_code as string).replace('-', '');
      expect(await DeviceCode.findByUserCode(userCode)).toMatchObject({
        clientId: device.clientId,
        kind: 'DeviceCode',
      });
    });

    it.skipIf(!backing.persistent)(
      'a restarted provider (new store object on the same backing) keeps clients and tokens',
      async () => {
        const first = await replica();
        const client = await registerClient(first.server);
        const token = await clientCredentials(first.server, client);
        const accessToken = token.body.access_token as string;
        await first.server.close();
        await first.store.close();

        const restarted = await replica();
        expect((await introspect(restarted.server, client, accessToken)).body).toMatchObject({
          active: true,
        });
        expect((await clientCredentials(restarted.server, client)).status).toBe(200);
      },
    );
  });
}
