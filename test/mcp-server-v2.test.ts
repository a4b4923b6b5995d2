/**
 * `PersistentOAuthServerProvider` and the clients store behind the SDK's authorization-server
 * router of both lines: `@modelcontextprotocol/sdk` 1.x and `@modelcontextprotocol/server-legacy`
 * 2.x (the frozen 2.x copy of the same helpers), the same scenario for each, over real HTTP: Dynamic
 * Client Registration, PKCE authorization, code exchange, single-use code, refresh rotation, a
 * rotated refresh token refused, revocation, an unknown client, and a restart of the server on the
 * same store. The 2.x client (`@modelcontextprotocol/client` auth()) drives the flow.
 */
import type { Server } from 'node:http';
import { auth } from '@modelcontextprotocol/client';
import { mcpAuthRouter as v1Router } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import * as legacyAuth from '@modelcontextprotocol/server-legacy/auth';
import { describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { McpOAuthClientProvider } from '../src/integrations/mcp-v2.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';

interface Running {
  base: URL;
  provider: PersistentOAuthServerProvider;
  close(): Promise<void>;
}

const lines = [
  {
    name: '@modelcontextprotocol/sdk 1.x',
    start: async (store: AsyncKeyValue, port = 0): Promise<Running> => {
      const provider = new PersistentOAuthServerProvider({
        state: new OAuthStateStore(store),
        approve: () => ({ subject: 'alice' }),
      });
      return serve(port, (app, base) => app.use(v1Router({ provider, issuerUrl: base })), provider);
    },
  },
  {
    name: '@modelcontextprotocol/server-legacy 2.x',
    start: async (store: AsyncKeyValue, port = 0): Promise<Running> => {
      const provider = new PersistentOAuthServerProvider({
        state: new OAuthStateStore(store),
        approve: () => ({ subject: 'alice' }),
        errors: legacyAuth,
      });
      return serve(
        port,
        (app, base) => app.use(legacyAuth.mcpAuthRouter({ provider, issuerUrl: base })),
        provider,
      );
    },
  },
];

async function serve(
  port: number,
  mount: (app: ReturnType<typeof createMcpExpressApp>, base: URL) => void,
  provider: PersistentOAuthServerProvider,
): Promise<Running> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  // No keep-alive: the test restarts the server on the same port.
  app.use((_req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
    res.setHeader('connection', 'close');
    next();
  });
  let listener: Server | undefined;
  await new Promise<void>((resolve) => {
    listener = app.listen(port, '127.0.0.1', () => resolve()) as Server;
  });
  const server = listener as Server;
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const base = new URL(`http://127.0.0.1:${address.port}/`);
  mount(app, base);
  return {
    base,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function postForm(base: URL, path: string, form: Record<string, string>) {
  const response = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
}

describe.each(lines)('PersistentOAuthServerProvider behind the router of $name', ({ start }) => {
  it('registers, authorizes, exchanges once, rotates refresh tokens, revokes, refuses unknown clients, survives a restart', async () => {
    const serverStore = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
    let running = await start(serverStore);
    const base = running.base;
    let authorizationUrl: URL | undefined;
    const client = new McpOAuthClientProvider({
      store: new MemoryStore(),
      allowUnprotectedSecrets: true,
      serverUrl: base,
      redirectUrl: REDIRECT,
      clientMetadata: {
        client_name: 'router test',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
      },
      onRedirect: (url) => {
        authorizationUrl = url;
      },
    });
    const warn = console.warn;
    console.warn = () => {}; // the 2.x client warns that the server has no protected-resource metadata
    try {
      expect(await auth(client, { serverUrl: base })).toBe('REDIRECT');
      const clientId = (await client.clientInformation())?.client_id as string;
      expect(await running.provider.clientsStore.getClient(clientId)).toBeDefined();
      const response = await fetch(authorizationUrl as URL, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const callback = new URL(response.headers.get('location') as string).searchParams;
      const code = callback.get('code') as string;
      const iss = callback.get('iss') ?? undefined; // RFC 9207: server-legacy adds it, 1.x does not
      expect(await auth(client, { serverUrl: base, authorizationCode: code, iss })).toBe('AUTHORIZED');
      const first = await client.tokens();
      expect((await running.provider.verifyAccessToken(first?.access_token as string)).clientId).toBe(
        clientId,
      );

      // Single-use code: the replay is the router's 400 invalid_grant (not a 500).
      const replay = await postForm(base, '/token', {
        grant_type: 'authorization_code',
        code,
        code_verifier: 'x'.repeat(43),
        client_id: clientId,
      });
      expect(replay.status).toBe(400);
      expect(replay.body).toMatchObject({ error: 'invalid_grant' });

      // Restart the authorization server on the same store and port.
      await running.close();
      running = await start(serverStore, Number(base.port));
      expect(await auth(client, { serverUrl: base })).toBe('AUTHORIZED'); // refresh
      const second = await client.tokens();
      expect(second?.access_token).not.toBe(first?.access_token);
      await expect(running.provider.verifyAccessToken(first?.access_token as string)).rejects.toThrow();

      const reuse = await postForm(base, '/token', {
        grant_type: 'refresh_token',
        refresh_token: first?.refresh_token as string,
        client_id: clientId,
      });
      expect(reuse.status).toBe(400);
      expect(reuse.body).toMatchObject({ error: 'invalid_grant' });

      const revoked = await postForm(base, '/revoke', {
        token: second?.refresh_token as string,
        client_id: clientId,
      });
      expect(revoked.status).toBe(200);
      await expect(running.provider.verifyAccessToken(second?.access_token as string)).rejects.toThrow();

      const unknown = await postForm(base, '/token', {
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: 'nobody',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ error: 'invalid_client' });
    } finally {
      console.warn = warn;
      await running.close();
    }
  });
});
