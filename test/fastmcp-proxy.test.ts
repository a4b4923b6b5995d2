/**
 * FastMCP's real OAuthProxy on FastMCPTokenStorage: replicas sharing one store see each other's
 * registrations, transactions, codes and token mappings; a restarted replica keeps them; single
 * use holds across replicas.
 */
import { OAuthProxy, OAuthProxyError } from 'fastmcp/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { FASTMCP_DEFAULT_COLLECTION, FastMCPTokenStorage } from '../src/integrations/fastmcp.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { type ReplicaBacking, replicaBackings } from './helpers/fastmcp-backings.js';
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
/** Plain stores get explicit hashing and sealing secrets (client secrets are refused without key material). */
const protection = {
  hashSecret: 'fastmcp-test-hash-secret-shared-by-replicas',
  sealSecret: 'fastmcp-test-seal-secret-shared-by-replicas',
};

for (const backing of backings) {
  describe.skipIf(!backing.available)(`OAuthProxy replicas on ${backing.name}`, () => {
    let upstream: Upstream;
    let env: Awaited<ReturnType<ReplicaBacking['setup']>>;
    const proxies: OAuthProxy[] = [];
    const stores: AsyncKeyValue[] = [];
    let collection = '';

    async function replica(
      overrides: Parameters<typeof proxyConfig>[1] = {},
      wrap: (store: AsyncKeyValue) => AsyncKeyValue = (store) => store,
    ): Promise<OAuthProxy> {
      const store = await env.open();
      stores.push(store);
      const proxy = new OAuthProxy(
        proxyConfig(upstream, {
          tokenStorage: new FastMCPTokenStorage(wrap(store), { collection, ...protection }),
          ...overrides,
        }),
      );
      proxies.push(proxy);
      return proxy;
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

    let n = 0;
    async function freshCollection(): Promise<void> {
      collection = `fastmcp-test-${process.pid}-${Date.now()}-${n++}`;
    }

    it('a client registered through one replica is accepted by another, and the full flow crosses replicas', async () => {
      await freshCollection();
      const a = await replica();
      const b = await replica();
      const { clientId } = await registerClient(a);

      // B never saw the registration; it must hydrate it from the shared store.
      const { code, verifier } = await obtainCode(b, a, clientId);
      const tokens = await redeem(b, clientId, code, verifier);
      expect(tokens.token_type).toBe('Bearer');
      expect(tokens.refresh_token).toBeTypeOf('string');
      expect(await a.loadUpstreamTokens(tokens.access_token)).toMatchObject({
        accessToken: expect.stringMatching(/^upstream-access-1-/),
      });

      // The code is single use on every replica.
      await expect(redeem(a, clientId, code, verifier)).rejects.toMatchObject({ code: 'invalid_grant' });

      // A refresh on A rotates the mapping; the old refresh token is dead on B.
      const refreshed = await a.exchangeRefreshToken({
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: tokens.refresh_token!,
      });
      expect(await b.loadUpstreamTokens(refreshed.access_token)).toMatchObject({
        accessToken: expect.stringMatching(/^upstream-access-2-/),
      });
      await expect(
        b.exchangeRefreshToken({
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: tokens.refresh_token!,
        }),
      ).rejects.toBeInstanceOf(OAuthProxyError);
    });

    it('an unknown client is refused (the shared store is really consulted)', async () => {
      await freshCollection();
      const a = await replica();
      await expect(
        a.authorize({ client_id: 'never-registered', redirect_uri: CLIENT_REDIRECT, response_type: 'code' }),
      ).rejects.toMatchObject({ code: 'invalid_client' });
    });

    it('exactly one of 20 concurrent redemptions of one code succeeds across two replicas', async () => {
      await freshCollection();
      const a = await replica();
      const b = await replica();
      const { clientId } = await registerClient(a);
      const { code, verifier } = await obtainCode(a, b, clientId);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => redeem(i % 2 ? a : b, clientId, code, verifier)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'invalid_grant' });
      }
    });

    it('with FastMCP’s own encryption on (same key on every replica) the store holds only ciphertext', async () => {
      await freshCollection();
      const a = await replica({ encryptionKey: 'shared-fastmcp-encryption-key' });
      const b = await replica({ encryptionKey: 'shared-fastmcp-encryption-key' });
      const { clientId } = await registerClient(a);
      const { code, verifier } = await obtainCode(b, a, clientId);
      const tokens = await redeem(b, clientId, code, verifier);
      expect(await a.loadUpstreamTokens(tokens.access_token)).toMatchObject({ tokenType: 'Bearer' });
      const raw = JSON.stringify(await stores.at(-1)!.get(`client:${clientId}`, { collection }));
      expect(raw).not.toContain(CLIENT_REDIRECT);
      expect(raw).toMatch(/[0-9a-f]+:[0-9a-f]+:[0-9a-f]+/);
    });

    it('with encryptionKey: false over oauth-kv’s EncryptionWrapper the store holds only Fernet tokens', async () => {
      await freshCollection();
      const key = generateFernetKey();
      const encrypted = (store: AsyncKeyValue) => withEncryption(store, { keys: [key], bindToKey: true });
      const a = await replica({ encryptionKey: false }, encrypted);
      const b = await replica({ encryptionKey: false }, encrypted);
      const { clientId } = await registerClient(a);
      const { code, verifier } = await obtainCode(b, a, clientId);
      const tokens = await redeem(b, clientId, code, verifier);
      expect(await a.loadUpstreamTokens(tokens.access_token)).toMatchObject({ tokenType: 'Bearer' });
      await expect(redeem(a, clientId, code, verifier)).rejects.toMatchObject({ code: 'invalid_grant' });
      const raw = await stores.at(-1)!.get(`client:${clientId}`, { collection });
      expect(Object.keys(raw ?? {}).sort()).toEqual(['__encrypted_data__', '__encryption_version__']);
      expect(JSON.stringify(raw)).not.toContain(CLIENT_REDIRECT);
    });

    it('with encryptionKey: false a client record stays readable but for its sealed secret', async () => {
      await freshCollection();
      const a = await replica();
      const { clientId } = await registerClient(a);
      const raw = await stores.at(-1)!.get(`client:${clientId}`, { collection });
      expect(raw).toMatchObject({ clientId, redirectUris: [CLIENT_REDIRECT] });
      expect(raw).not.toHaveProperty('clientSecret');
      expect(raw?.clientSecretSealed).toBeTypeOf('string');
      expect(collection).not.toBe(FASTMCP_DEFAULT_COLLECTION);
    });

    it.skipIf(!backing.persistent)(
      'a restarted replica (new proxy, new store object on the same backing) keeps clients and tokens',
      async () => {
        await freshCollection();
        const a = await replica();
        const { clientId } = await registerClient(a);
        const { code, verifier } = await obtainCode(a, a, clientId);
        const tokens = await redeem(a, clientId, code, verifier);
        a.destroy();
        await stores.at(-1)!.close();

        const restarted = await replica();
        expect(await restarted.loadUpstreamTokens(tokens.access_token)).toMatchObject({
          accessToken: expect.stringMatching(/^upstream-access-/),
        });
        // The registration survived: a new authorization runs entirely on the restarted replica.
        const second = await obtainCode(restarted, restarted, clientId);
        await expect(redeem(restarted, clientId, second.code, second.verifier)).resolves.toMatchObject({
          token_type: 'Bearer',
        });
        await expect(
          restarted.exchangeRefreshToken({
            grant_type: 'refresh_token',
            client_id: clientId,
            refresh_token: tokens.refresh_token!,
          }),
        ).resolves.toMatchObject({ token_type: 'Bearer' });
      },
    );
  });
}
