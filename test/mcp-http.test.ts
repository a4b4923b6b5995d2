/**
 * The SDK's own OAuth server (mcpAuthRouter over express) and OAuth client (`auth()`), in process,
 * over real HTTP on loopback, with oauth-kv on both sides: registration, PKCE authorization, code
 * exchange, refresh rotation, replays and revocation as the SDK's handlers see them.
 */
import type { Server } from 'node:http';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuthStateStore,
  PersistentOAuthClientProvider,
  PersistentOAuthServerProvider,
} from '../src/integrations/mcp.js';
import { MemoryStore } from '../src/stores/memory.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';

let listener: Server;
let base: URL;
const serverStore = new MemoryStore();
const state = new OAuthStateStore(serverStore);
const provider = new PersistentOAuthServerProvider({ state, approve: () => ({ subject: 'alice' }) });

beforeAll(async () => {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  await new Promise<void>((resolve) => {
    listener = app.listen(0, '127.0.0.1', () => resolve()) as Server;
  });
  const address = listener.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  base = new URL(`http://127.0.0.1:${address.port}/`);
  app.use(mcpAuthRouter({ provider, issuerUrl: base }));
});
afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await serverStore.close();
});

function clientProvider(store: MemoryStore, onRedirect: (url: URL) => void) {
  return new PersistentOAuthClientProvider({
    store,
    serverUrl: base,
    redirectUrl: REDIRECT,
    clientMetadata: {
      client_name: 'http test',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    },
    onRedirect,
  });
}

async function postForm(
  path: string,
  form: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

describe('SDK OAuth server and client over HTTP, state in oauth-kv', () => {
  it('registers, authorizes, exchanges, refreshes once, refuses replays and revokes', async () => {
    const clientStore = new MemoryStore();
    let authorizationUrl: URL | undefined;
    const client = clientProvider(clientStore, (url) => {
      authorizationUrl = url;
    });

    // Discovery + Dynamic Client Registration + start of the authorization.
    expect(await auth(client, { serverUrl: base })).toBe('REDIRECT');
    const info = await client.clientInformation();
    expect(info?.client_id).toBeDefined();
    const clientId = info?.client_id as string;
    expect(await state.clients.getClient(clientId)).toBeDefined();

    // The user agent: follow the authorization URL, read the code from the redirect.
    const response = await fetch(authorizationUrl as URL, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const code = new URL(response.headers.get('location') as string).searchParams.get('code') as string;
    expect(code).toBeTruthy();

    // Token exchange (PKCE checked by the SDK against the challenge in the store).
    expect(await auth(client, { serverUrl: base, authorizationCode: code })).toBe('AUTHORIZED');
    const first = await client.tokens();
    expect(first?.refresh_token).toBeDefined();
    expect((await provider.verifyAccessToken(first?.access_token as string)).clientId).toBe(clientId);

    // The code is single use: a replay is the SDK's 400 invalid_grant.
    const replay = await postForm('/token', {
      grant_type: 'authorization_code',
      code,
      code_verifier: await client.codeVerifier(),
      client_id: clientId,
    });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });

    // A new client process (new provider, same store) refreshes through the stored refresh token.
    const later = clientProvider(clientStore, () => {
      throw new Error('must not need a new login');
    });
    expect(await auth(later, { serverUrl: base })).toBe('AUTHORIZED');
    const second = await later.tokens();
    expect(second?.access_token).not.toBe(first?.access_token);
    await expect(provider.verifyAccessToken(first?.access_token as string)).rejects.toThrow();

    // The rotated refresh token cannot be used again.
    const reuse = await postForm('/token', {
      grant_type: 'refresh_token',
      refresh_token: first?.refresh_token as string,
      client_id: clientId,
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });

    // RFC 7009 revocation of the refresh token ends the grant.
    const revoked = await postForm('/revoke', {
      token: second?.refresh_token as string,
      client_id: clientId,
    });
    expect(revoked.status).toBe(200);
    await expect(provider.verifyAccessToken(second?.access_token as string)).rejects.toThrow();
    await clientStore.close();
  });

  it('answers an unknown client with the SDK 400 invalid_client, not a 500', async () => {
    const result = await postForm('/token', {
      grant_type: 'refresh_token',
      refresh_token: 'x',
      client_id: 'nobody',
    });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: 'invalid_client' });
  });
});
