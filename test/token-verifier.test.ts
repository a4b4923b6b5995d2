/**
 * CachedTokenVerifier against a real oidc-provider as the separate authorization server
 * (introspection), behind @modelcontextprotocol/server 2.x's requireBearerAuth on two resource-server
 * replicas over real HTTP, the cache shared in Redis: one introspection serves both replicas and a
 * restart, a revoked token is refused within maxCacheAge, inactive answers and failures are never
 * cached, the cache never outlives the token, and no token is readable at rest.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { OAuthError, OAuthErrorCode, requireBearerAuth } from '@modelcontextprotocol/server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RemoteFetchError, StoreSetupError } from '../src/errors.js';
import { generateFernetKey } from '../src/index.js';
import { CachedTokenVerifier } from '../src/integrations/mcp-v2.js';
import { createOidcAdapter } from '../src/integrations/oidc-provider.js';
import { MemoryStore } from '../src/stores/memory.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';
import {
  clientCredentials,
  type OidcServer,
  type Registered,
  registerClient,
  revoke,
  startOidcServer,
} from './helpers/oidc-server.js';

const redis = await findBackend('redis');
const KEY = generateFernetKey();
const MAX_AGE = 2; // seconds: the revocation bound under test

/** A counting pass-through in front of the authorization server (real HTTP both ways). */
async function countingProxy(
  target: string,
): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = createServer(async (req, res) => {
    n++;
    const body = await readBody(req);
    const answer = await fetch(target + req.url, {
      method: req.method,
      headers: {
        authorization: req.headers.authorization ?? '',
        'content-type': req.headers['content-type'] ?? '',
      },
      body,
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(await answer.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => n,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString();
    });
    req.on('end', () => resolve(data));
  });
}

interface Replica {
  url: string;
  store: RedisStore;
  close(): Promise<void>;
}

/** A resource server replica: the SDK 2.x bearer gate with our verifier, on its own store instance. */
async function startReplica(prefix: string, introspection: string, rs: Registered): Promise<Replica> {
  const store = new RedisStore({ url: redis.url, keyPrefix: prefix });
  const verifier = new CachedTokenVerifier({
    store: withEncryption(store, { keys: KEY }),
    introspectionEndpoint: `${introspection}/token/introspection`,
    clientId: rs.clientId,
    clientSecret: rs.clientSecret,
    maxCacheAge: MAX_AGE,
    invalidToken: (message) => new OAuthError(OAuthErrorCode.InvalidToken, message),
  });
  const gate = requireBearerAuth({ verifier });
  const server: Server = createServer(async (req, res) => {
    const request = new Request(`http://127.0.0.1${req.url}`, {
      headers: { authorization: req.headers.authorization ?? '' },
    });
    const auth = await gate(request);
    if (auth instanceof Response) {
      res.writeHead(auth.status, Object.fromEntries(auth.headers));
      res.end(await auth.text());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ clientId: auth.clientId, scopes: auth.scopes, expiresAt: auth.expiresAt }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    store,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}

const bearer = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });

describe.skipIf(!redis.available)(`CachedTokenVerifier with oidc-provider ${redis.description}`, () => {
  let as: OidcServer;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let rs: Registered;
  let app: Registered;
  const prefix = `${uniqueName('tv')}:`;
  const raw = new Redis(redis.url);

  beforeAll(async () => {
    as = await startOidcServer(
      createOidcAdapter(
        withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: generateFernetKey() }),
      ),
    );
    proxy = await countingProxy(as.url);
    rs = await registerClient(as, { client_name: 'mcp-resource-server' });
    app = await registerClient(as, { client_name: 'agent' });
  });
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await proxy.close();
    await as.close();
    await redis.stop();
  });

  async function token(): Promise<string> {
    const { status, body } = await clientCredentials(as, app);
    expect(status).toBe(200);
    return body.access_token as string;
  }

  test('two replicas share one introspection, a restart keeps it, revocation is seen within maxCacheAge', async () => {
    let a = await startReplica(prefix, proxy.url, rs);
    const b = await startReplica(prefix, proxy.url, rs);
    try {
      const t = await token();
      const before = proxy.count();
      const first = await bearer(a.url, t);
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ clientId: app.clientId, scopes: ['api:read'] });
      expect(proxy.count()).toBe(before + 1);
      // Replica B answers from the shared cache: no second introspection.
      expect((await bearer(b.url, t)).status).toBe(200);
      expect(proxy.count()).toBe(before + 1);
      // Replica A restarts on a new store instance: still cached.
      await a.close();
      a = await startReplica(prefix, proxy.url, rs);
      expect((await bearer(a.url, t)).status).toBe(200);
      expect(proxy.count()).toBe(before + 1);
      // Nothing at rest names the token.
      const keys = await raw.keys(`${prefix}*`);
      expect(keys.length).toBe(1);
      const dump = JSON.stringify([keys, await raw.mget(keys)]);
      expect(dump).not.toContain(t);
      expect(dump).not.toContain(app.clientId); // encrypted

      // Revoke at the authorization server; both replicas refuse it within MAX_AGE seconds.
      expect((await revoke(as, app, t)).status).toBe(200);
      const revokedAt = Date.now();
      let refusedAfter = Number.POSITIVE_INFINITY;
      while (Date.now() - revokedAt < (MAX_AGE + 2) * 1000) {
        const [ra, rb] = await Promise.all([bearer(a.url, t), bearer(b.url, t)]);
        if (ra.status === 401 && rb.status === 401) {
          refusedAfter = Date.now() - revokedAt;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(refusedAfter).toBeLessThanOrEqual(MAX_AGE * 1000 + 500);
      // Refusals are not cached: every attempt asks the authorization server again.
      const n = proxy.count();
      expect((await bearer(a.url, t)).status).toBe(401);
      expect((await bearer(b.url, t)).status).toBe(401);
      expect(proxy.count()).toBe(n + 2);
      expect(await raw.keys(`${prefix}*`)).toHaveLength(0);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);

  test('a result is never cached past the token expiry, and an unknown token is refused uncached', async () => {
    const store = withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: KEY });
    const verifier = new CachedTokenVerifier({
      store,
      introspectionEndpoint: `${as.url}/token/introspection`,
      clientId: rs.clientId,
      clientSecret: rs.clientSecret,
      maxCacheAge: 86_400, // far beyond the token's 600 s
      invalidToken: (m) => new InvalidTokenError(m), // SDK 1.x's class works the same way
    });
    const t = await token();
    const info = await verifier.verifyAccessToken(t);
    const left = info.expiresAt! - Date.now() / 1000;
    const [key] = (await store.keys('mcp-token-verifications')).keys;
    const { ttl } = await store.ttl(key!, { collection: 'mcp-token-verifications' });
    expect(ttl).toBeLessThanOrEqual(left + 1);
    expect(ttl).toBeGreaterThan(500);
    await expect(verifier.verifyAccessToken('not-a-token')).rejects.toBeInstanceOf(InvalidTokenError);
    expect((await store.keys('mcp-token-verifications')).keys).toHaveLength(1);
    await verifier.forget(t);
    expect((await store.keys('mcp-token-verifications')).keys).toHaveLength(0);
  });

  test('an audience mismatch is refused and the authorization server down is an error, never valid', async () => {
    const store = withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: KEY });
    const make = (endpoint: string, extra: object = {}) =>
      new CachedTokenVerifier({
        store,
        introspectionEndpoint: endpoint,
        clientId: rs.clientId,
        clientSecret: rs.clientSecret,
        invalidToken: (m) => new OAuthError(OAuthErrorCode.InvalidToken, m),
        timeoutMs: 500,
        ...extra,
      });
    const t = await token();
    const wrongAudience = make(`${as.url}/token/introspection`, {
      resource: 'https://other.example.com/mcp',
    });
    await expect(wrongAudience.verifyAccessToken(t)).rejects.toBeInstanceOf(OAuthError);
    // A server that accepts the connection and never answers: a timeout, bounded.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    const err = await make(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/introspect`)
      .verifyAccessToken(t)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteFetchError);
    expect((err as RemoteFetchError).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(String((err as Error).message)).not.toContain(t);
    silent.closeAllConnections();
    silent.close();
    // Bad credentials at the introspection endpoint: an error, not a valid token.
    const badCreds = new CachedTokenVerifier({
      store,
      introspectionEndpoint: `${as.url}/token/introspection`,
      clientId: rs.clientId,
      clientSecret: 'wrong',
      invalidToken: (m) => new OAuthError(OAuthErrorCode.InvalidToken, m),
    });
    await expect(badCreds.verifyAccessToken(t)).rejects.toMatchObject({ reason: 'status' });
    expect((await store.keys('mcp-token-verifications')).keys).toHaveLength(0);
    expect(() => make('not a url')).toThrow(StoreSetupError);
    expect(() => make(`${as.url}/x`, { maxCacheAge: 0 })).toThrow(StoreSetupError);
  });
});
