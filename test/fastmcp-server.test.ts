/**
 * Full FastMCP servers (HTTP, with FastMCP's OAuthProvider) on FastMCPTokenStorage: a client
 * registered over HTTP on one server is known to a second server on the same store, and to a
 * server started again after a stop.
 */
import { createServer } from 'node:net';
import { FastMCP, OAuthProvider } from 'fastmcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { FastMCPTokenStorage } from '../src/integrations/fastmcp.js';
import { type ReplicaBacking, replicaBackings } from './helpers/fastmcp-backings.js';
import { startUpstream, type Upstream } from './helpers/fastmcp-upstream.js';

const REDIRECT = 'http://localhost:3000/callback';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const backings = await replicaBackings();

for (const backing of backings) {
  describe.skipIf(!backing.available)(`FastMCP servers on ${backing.name}`, () => {
    let upstream: Upstream;
    let env: Awaited<ReturnType<ReplicaBacking['setup']>>;
    const running: { server: FastMCP; store: AsyncKeyValue; stopped: boolean }[] = [];
    const collection = `fastmcp-http-${process.pid}-${Date.now()}`;

    async function start(): Promise<{ url: string; stop(): Promise<void> }> {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const store = await env.open();
      const server = new FastMCP({
        name: 'test',
        version: '1.0.0',
        auth: new OAuthProvider({
          baseUrl,
          authorizationEndpoint: `${upstream.url}/authorize`,
          tokenEndpoint: `${upstream.url}/token`,
          clientId: 'upstream-client',
          clientSecret: 'upstream-secret',
          allowedRedirectUriPatterns: ['http://localhost:*'],
          jwtSigningKey: 'shared-jwt-signing-key',
          encryptionKey: false,
          tokenStorage: new FastMCPTokenStorage(store, {
            collection,
            hashSecret: 'fastmcp-http-test-hash-secret-0123',
            sealSecret: 'fastmcp-http-test-seal-secret-0123',
          }),
        }),
      });
      await server.start({ transportType: 'httpStream', httpStream: { port, host: '127.0.0.1' } });
      const entry = { server, store, stopped: false };
      running.push(entry);
      return {
        url: baseUrl,
        stop: async () => {
          entry.stopped = true;
          await server.stop();
          if (backing.persistent) await store.close();
        },
      };
    }

    const authorize = (url: string, clientId: string) =>
      fetch(
        `${url}/oauth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: REDIRECT,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGrSstw-cM',
          code_challenge_method: 'S256',
        })}`,
        { redirect: 'manual' },
      );

    beforeAll(async () => {
      upstream = await startUpstream();
      env = await backing.setup();
    });
    afterAll(async () => {
      for (const entry of running) {
        if (entry.stopped) continue;
        await entry.server.stop();
        if (backing.persistent) await entry.store.close();
      }
      await env?.teardown();
      await upstream?.close();
    });

    it('a client registered over HTTP on one server is known to another server on the same store', async () => {
      const a = await start();
      const b = await start();
      const registered = await fetch(`${a.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'http client' }),
      });
      expect(registered.status).toBe(201);
      const { client_id: clientId } = (await registered.json()) as { client_id: string };

      const known = await authorize(b.url, clientId);
      expect(known.status).toBe(200); // FastMCP's consent page for a known client
      expect(await known.text()).toContain('name="transaction_id"');
      const unknown = await authorize(b.url, 'never-registered');
      expect(unknown.status).toBe(400);
      await unknown.text();
    });

    it('a client record copied over another client id is answered 400 over HTTP, not 500', async () => {
      const a = await start();
      const register = async () => {
        const res = await fetch(`${a.url}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'copy target' }),
        });
        return ((await res.json()) as { client_id: string }).client_id;
      };
      const victim = await register();
      const attacker = await register();
      // A database writer copies the victim's registration over the attacker's; a server that has
      // neither in its in-process cache reads the copy, whose sealed secret does not open there.
      const raw = await env.open();
      await raw.put(`client:${attacker}`, (await raw.get(`client:${victim}`, { collection }))!, {
        collection,
      });
      if (backing.persistent) await raw.close();
      const b = await start();
      const copied = await authorize(b.url, attacker);
      expect(copied.status).toBe(400);
      expect(await copied.text()).toContain('invalid_client');
      const genuine = await authorize(b.url, victim);
      expect(genuine.status).toBe(200);
      await genuine.text();
    });

    it.skipIf(!backing.persistent)('a server started again after a stop still knows the client', async () => {
      const first = await start();
      const registered = await fetch(`${first.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'survivor' }),
      });
      const { client_id: clientId } = (await registered.json()) as { client_id: string };
      await first.stop();

      const again = await start();
      const res = await authorize(again.url, clientId);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('name="transaction_id"');
    });
  });
}
