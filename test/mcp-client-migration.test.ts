/**
 * SDK 1.x client (`@modelcontextprotocol/sdk` auth()) with `PersistentOAuthClientProvider` when
 * the MCP server moves to another authorization server: the stored discovery state must not send
 * the client back to the old one, in the same process and after a restart (the MCP conformance
 * suite's authorization-server migration scenario). Also: discovery state saved by oauth-kv 0.1
 * (no lifetime) is not trusted.
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { OAUTH_CLIENT_COLLECTIONS, PersistentOAuthClientProvider } from '../src/integrations/mcp.js';
import { MemoryStore } from '../src/stores/memory.js';
import { followAuthorization, twoAuthorizationServers } from './helpers/mcp-two-as.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const servers = twoAuthorizationServers();

function provider(store: AsyncKeyValue, redirects: URL[]) {
  return new PersistentOAuthClientProvider({
    store,
    serverUrl: servers.rs.mcpUrl,
    redirectUrl: REDIRECT,
    clientMetadata: { client_name: 'v1 test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
    onRedirect: (url) => {
      redirects.push(url);
    },
  });
}

async function login(p: PersistentOAuthClientProvider, redirects: URL[]): Promise<void> {
  expect(await auth(p, { serverUrl: servers.rs.mcpUrl })).toBe('REDIRECT');
  const params = await followAuthorization(redirects.at(-1) as URL);
  expect(
    await auth(p, { serverUrl: servers.rs.mcpUrl, authorizationCode: params.get('code') as string }),
  ).toBe('AUTHORIZED');
}

describe('PersistentOAuthClientProvider (SDK 1.x) follows the server to a new authorization server', () => {
  it('in the same process', async () => {
    servers.rs.use(servers.as1);
    const redirects: URL[] = [];
    const p = provider(new MemoryStore(), redirects);
    await login(p, redirects);
    expect((await p.tokens())?.issuer).toBe(servers.as1.base.href);

    servers.rs.use(servers.as2);
    const as1Before = servers.as1.seen.length;
    // The server now answers 401 (AS1's token): the transport runs auth() again.
    expect(await auth(p, { serverUrl: servers.rs.mcpUrl })).toBe('REDIRECT');
    expect(redirects.at(-1)?.origin).toBe(servers.as2.base.origin);
    expect(servers.as1.seen.slice(as1Before)).toEqual([]); // no refresh at the old server
    const params = await followAuthorization(redirects.at(-1) as URL);
    expect(
      await auth(p, { serverUrl: servers.rs.mcpUrl, authorizationCode: params.get('code') as string }),
    ).toBe('AUTHORIZED');
    const tokens = await p.tokens();
    expect(tokens?.issuer).toBe(servers.as2.base.href);
    expect((await servers.as2.provider.verifyAccessToken(tokens?.access_token as string)).clientId).toBe(
      (await p.clientInformation())?.client_id,
    );
  });

  it('after a restart', async () => {
    servers.rs.use(servers.as1);
    const store = new MemoryStore();
    const redirects: URL[] = [];
    await login(provider(store, redirects), redirects);

    servers.rs.use(servers.as2);
    const as1Before = servers.as1.seen.length;
    const restarted = provider(store, redirects);
    expect(await auth(restarted, { serverUrl: servers.rs.mcpUrl })).toBe('REDIRECT');
    expect(redirects.at(-1)?.origin).toBe(servers.as2.base.origin);
    expect(servers.as1.seen.slice(as1Before)).toEqual([]);
  });

  it('ignores (and drops) discovery state stored by oauth-kv 0.1 without a lifetime', async () => {
    servers.rs.use(servers.as2);
    const store = new MemoryStore();
    const redirects: URL[] = [];
    const p = provider(store, redirects);
    await store.put(
      p.storage.key,
      { authorizationServerUrl: servers.as1.base.href },
      { collection: OAUTH_CLIENT_COLLECTIONS.discovery },
    );
    expect(await p.discoveryState()).toBeUndefined();
    expect(
      await store.get(p.storage.key, { collection: OAUTH_CLIENT_COLLECTIONS.discovery }),
    ).toBeUndefined();
    expect(await auth(p, { serverUrl: servers.rs.mcpUrl })).toBe('REDIRECT');
    expect(redirects.at(-1)?.origin).toBe(servers.as2.base.origin);
  });

  it('keeps the discovery state of an authorization in progress for the code verifier lifetime only', async () => {
    let now = Date.now();
    const store = new MemoryStore({ clock: () => now });
    const p = new PersistentOAuthClientProvider({
      store,
      serverUrl: servers.rs.mcpUrl,
      redirectUrl: REDIRECT,
      clientMetadata: { redirect_uris: [REDIRECT] },
      onRedirect: () => {},
      codeVerifierTtl: 60,
    });
    await p.saveDiscoveryState({ authorizationServerUrl: servers.as1.base.href });
    expect((await p.discoveryState())?.authorizationServerUrl).toBe(servers.as1.base.href);
    now += 61_000;
    expect(await p.discoveryState()).toBeUndefined();
  });
});
