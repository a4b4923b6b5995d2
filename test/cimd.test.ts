/**
 * Client ID Metadata Documents on the authorization-server side, over real HTTP(S):
 * - the resolver's cache (Cache-Control honoured up to a maximum, shared by two replicas on one
 *   Redis, failures remembered briefly and never as valid);
 * - hostile documents (oversized, wrong client_id, a client secret, a bad redirect URI, a redirect to
 *   a private address, a slow server) refused with RemoteFetchError within a bounded time;
 * - private, loopback and link-local addresses refused unless allowed (also through DNS);
 * - a full authorization by the real MCP SDK 2.x client in metadata-URL mode (https document on a
 *   self-signed certificate the resolver is told to trust) against the SDK 1.x router with our
 *   clients store, which advertises client_id_metadata_document_supported.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth } from '@modelcontextprotocol/client';
import { createOAuthMetadata, mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { afterAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { RemoteFetchError } from '../src/errors.js';
import { generateFernetKey } from '../src/index.js';
import {
  advertiseClientIdMetadataDocuments,
  ClientMetadataDocuments,
  OAuthClientsStore,
  OAuthStateStore,
  PersistentOAuthServerProvider,
} from '../src/integrations/mcp.js';
import { McpOAuthClientProvider } from '../src/integrations/mcp-v2.js';
import { MemoryStore } from '../src/stores/memory.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';

const redis = await findBackend('redis');
const REDIRECT = 'http://127.0.0.1:8765/callback';
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await redis.stop();
});

/** A document server on loopback; `hits` counts requests. */
async function docServer(handler: RequestListener, listen = createHttpServer) {
  const state = { hits: 0 };
  const server = listen((req, res) => {
    state.hits++;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { state, base: `http://127.0.0.1:${port}`, port };
}

function documentFor(url: string, extra: object = {}) {
  return JSON.stringify({ client_id: url, client_name: 'Agent', redirect_uris: [REDIRECT], ...extra });
}

/** Serves documents whose content depends on the path; each names its own URL unless told otherwise. */
async function serveDocuments(cacheControl?: string) {
  let base = '';
  const srv = await docServer((req, res) => {
    const url = `${base}${req.url}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (cacheControl) headers['cache-control'] = cacheControl;
    switch (req.url) {
      case '/big.json':
        res.writeHead(200, headers).end(documentFor(url, { padding: 'x'.repeat(10_000) }));
        return;
      case '/wrong-id.json':
        res.writeHead(200, headers).end(documentFor('https://evil.example.com/client.json'));
        return;
      case '/secret.json':
        res
          .writeHead(200, headers)
          .end(
            documentFor(url, { client_secret: 's3cr3t', token_endpoint_auth_method: 'client_secret_basic' }),
          );
        return;
      case '/bad-redirect.json':
        res.writeHead(200, headers).end(documentFor(url, { redirect_uris: ['javascript:alert(1)'] }));
        return;
      case '/moved.json':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      case '/slow.json':
        res.writeHead(200, headers);
        res.write('{"client_id":'); // and never finishes
        return;
      default:
        res.writeHead(200, headers).end(documentFor(url));
    }
  });
  base = srv.base;
  return srv;
}

const loopback = { allowPrivateAddresses: true, allowHttp: true } as const;

describe('ClientMetadataDocuments: validation, hostile documents, address policy', () => {
  test('a valid document is resolved and cached as long as Cache-Control allows, capped', async () => {
    const srv = await serveDocuments('public, max-age=86400');
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    const docs = new ClientMetadataDocuments(store, { ...loopback, maxCacheAge: 600 });
    const id = `${srv.base}/client.json`;
    const client = await docs.resolve(id);
    expect(client).toMatchObject({
      client_id: id,
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    expect(await docs.resolve(id)).toEqual(client);
    expect(srv.state.hits).toBe(1);
    const { ttl } = await store.ttl(id, { collection: 'mcp-client-metadata' });
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  test('no-store is fetched every time', async () => {
    const srv = await serveDocuments('no-store');
    const docs = new ClientMetadataDocuments(new MemoryStore({ sweepIntervalMs: 0 }), loopback);
    const id = `${srv.base}/client.json`;
    await docs.resolve(id);
    await docs.resolve(id);
    expect(srv.state.hits).toBe(2);
  });

  test.each([
    ['/big.json', 'too-large'],
    ['/wrong-id.json', 'invalid'],
    ['/secret.json', 'invalid'],
    ['/bad-redirect.json', 'invalid'],
    ['/moved.json', 'redirect'],
    ['/slow.json', 'timeout'],
  ])(
    '%s is refused (%s) in bounded time, remembered briefly, never cached as valid',
    async (path, reason) => {
      const srv = await serveDocuments();
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      const refused: unknown[] = [];
      const docs = new ClientMetadataDocuments(store, {
        ...loopback,
        timeoutMs: 400,
        failureCacheAge: 1,
        onRefused: (e) => refused.push(e),
      });
      const id = `${srv.base}${path}`;
      const started = Date.now();
      const err = await docs.resolve(id).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(err).toBeInstanceOf(RemoteFetchError);
      expect((err as RemoteFetchError).reason).toBe(reason);
      expect((err as Error).message).not.toContain('s3cr3t');
      const cached = await store.get(id, { collection: 'mcp-client-metadata' });
      expect(cached).toEqual({ valid: false, reason });
      // Remembered: no second fetch while the failure is cached; the clients store answers "unknown".
      const clients = new OAuthClientsStore(store, {
        metadataDocuments: docs,
        allowUnprotectedSecrets: true,
      });
      expect(await clients.getClient(id)).toBeUndefined();
      expect(srv.state.hits).toBe(1);
      expect(refused).toHaveLength(1);
      // After failureCacheAge it is fetched again (and refused again).
      await new Promise((r) => setTimeout(r, 1100));
      await expect(docs.resolve(id)).rejects.toBeInstanceOf(RemoteFetchError);
      expect(srv.state.hits).toBe(2);
    },
  );

  test('private, loopback and link-local addresses are refused unless allowed, before connecting', async () => {
    const srv = await serveDocuments();
    const strict = new ClientMetadataDocuments(new MemoryStore({ sweepIntervalMs: 0 }), { allowHttp: true });
    for (const id of [
      `${srv.base}/client.json`, // 127.0.0.1
      `http://localhost:${srv.port}/client.json`, // a name that resolves to loopback
      'http://169.254.169.254/latest/client.json',
      'http://10.1.2.3/client.json',
      'http://[::1]/client.json',
    ]) {
      const err = await strict.resolve(id).catch((e: unknown) => e);
      expect((err as RemoteFetchError).reason, id).toBe('address');
    }
    expect(srv.state.hits).toBe(0);
    const https = new ClientMetadataDocuments(new MemoryStore({ sweepIntervalMs: 0 }));
    for (const id of [
      `${srv.base}/client.json`,
      'https://app.example.com/',
      'https://u:p@app.example.com/c.json',
      'nope',
    ]) {
      await expect(https.resolve(id)).rejects.toMatchObject({ reason: 'invalid' });
    }
  });
});

describe.skipIf(!redis.available)(`ClientMetadataDocuments shared by replicas ${redis.description}`, () => {
  test('two replicas on one Redis fetch a document once', async () => {
    const srv = await serveDocuments('max-age=60');
    const prefix = `${uniqueName('cimd')}:`;
    const [a, b] = [
      new RedisStore({ url: redis.url, keyPrefix: prefix }),
      new RedisStore({ url: redis.url, keyPrefix: prefix }),
    ];
    try {
      const id = `${srv.base}/client.json`;
      await new ClientMetadataDocuments(a, loopback).resolve(id);
      expect((await new ClientMetadataDocuments(b, loopback).resolve(id)).client_id).toBe(id);
      expect(srv.state.hits).toBe(1);
      await a.destroyCollection('mcp-client-metadata');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('the MCP SDK 2.x client in metadata-URL mode against the SDK router', () => {
  test('authorizes with an https client_id the server resolves, advertised in its metadata', async () => {
    // A self-signed certificate for 127.0.0.1, trusted by the resolver through `ca` only.
    const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-cimd-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'));
      const key = readFileSync(join(dir, 'key.pem'));
      let docUrl = '';
      const doc = await docServer(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
          res.end(
            documentFor(docUrl, {
              token_endpoint_auth_method: 'none',
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code'],
            }),
          );
        },
        ((handler: RequestListener) =>
          createHttpsServer({ cert, key }, handler)) as unknown as typeof createHttpServer,
      );
      docUrl = `https://127.0.0.1:${doc.port}/oauth/client.json`;

      const serverStore: AsyncKeyValue = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
      const provider = new PersistentOAuthServerProvider({
        state: new OAuthStateStore(serverStore, {
          clientMetadataDocuments: new ClientMetadataDocuments(serverStore, {
            allowPrivateAddresses: true,
            ca: cert,
          }),
        }),
        approve: () => ({ subject: 'alice' }),
      });
      const app = createMcpExpressApp({ host: '127.0.0.1' });
      const listener = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s)) as Server;
      });
      servers.push(listener);
      const base = new URL(`http://127.0.0.1:${(listener.address() as AddressInfo).port}/`);
      const metadata = advertiseClientIdMetadataDocuments(createOAuthMetadata({ provider, issuerUrl: base }));
      app.get('/.well-known/oauth-authorization-server', (_req: unknown, res: { json(v: unknown): void }) => {
        res.json(metadata);
      });
      app.use(mcpAuthRouter({ provider, issuerUrl: base }));
      const advertised = await (await fetch(new URL('/.well-known/oauth-authorization-server', base))).json();
      expect(advertised).toMatchObject({ client_id_metadata_document_supported: true });

      let authorizationUrl: URL | undefined;
      const client = new McpOAuthClientProvider({
        store: new MemoryStore(),
        allowUnprotectedSecrets: true,
        serverUrl: base,
        redirectUrl: REDIRECT,
        clientMetadataUrl: docUrl,
        clientMetadata: {
          client_name: 'Agent',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'none',
        },
        onRedirect: (url) => {
          authorizationUrl = url;
        },
      });
      const warn = console.warn;
      console.warn = () => {};
      try {
        expect(await auth(client, { serverUrl: base })).toBe('REDIRECT');
        expect(authorizationUrl?.searchParams.get('client_id')).toBe(docUrl);
        expect(await provider.clientsStore.getClient('someone-unregistered')).toBeUndefined();
        const response = await fetch(authorizationUrl as URL, { redirect: 'manual' });
        expect(response.status).toBe(302);
        const code = new URL(response.headers.get('location') as string).searchParams.get('code') as string;
        expect(await auth(client, { serverUrl: base, authorizationCode: code })).toBe('AUTHORIZED');
        const tokens = await client.tokens();
        expect((await provider.verifyAccessToken(tokens?.access_token as string)).clientId).toBe(docUrl);
        expect(doc.state.hits).toBe(1); // authorize and token exchange used the cached document
        // A redirect URI the document does not list is refused by the router.
        const wrong = new URL(authorizationUrl as URL);
        wrong.searchParams.set('redirect_uri', 'http://127.0.0.1:9999/elsewhere');
        expect((await fetch(wrong, { redirect: 'manual' })).status).toBe(400);
      } finally {
        console.warn = warn;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
