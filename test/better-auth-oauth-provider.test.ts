/**
 * better-auth 1.7 with its OAuth provider plugin (`@better-auth/oauth-provider`) on oauth-kv's
 * `secondaryStorage`, on Redis and on PostgreSQL: an authorization-code + PKCE flow through two
 * replicas (authorize on one, redeem on the other), one authorization code redeemed concurrently on
 * both replicas succeeding exactly once, a replica restart in the middle of a flow, and nothing
 * readable at rest. The plugin keeps authorization codes as better-auth verification values, which
 * live in `secondaryStorage` (redeemed with `getAndDelete`, i.e. oauth-kv's atomic `take`); clients,
 * access and refresh tokens and JWKS are in the primary database, shared here by the replicas.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oauthProvider } from '@better-auth/oauth-provider';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { jwt } from 'better-auth/plugins/jwt';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/index.js';
import { betterAuthStorage } from '../src/integrations/better-auth.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type Backing, postgresBacking, redisBacking } from './helpers/better-auth-backings.js';

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
afterAll(async () => {
  await redis.stop();
  await postgres.stop();
});

const ORIGIN = 'http://localhost:3000';
const SECRET = 'better-auth-test-secret-0123456789abcdef';
const REDIRECT = 'https://app.example/callback'; // never followed: the code is read from the redirect
const KEY = generateFernetKey();

/**
 * The primary database the replicas share, as in production: better-auth's own Kysely/pg adapter
 * on the real PostgreSQL, in a schema of its own, migrated by better-auth.
 */
interface Db {
  pool: pg.Pool;
  query(sql: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

async function primaryDatabase(): Promise<Db> {
  const schema = uniqueName('oauthkv_ba_db');
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const pool = new pg.Pool({
    connectionString: postgres.url,
    options: `-c search_path="${schema}"`,
    max: 10,
  });
  return {
    pool,
    async query(sql) {
      return (await pool.query(sql)).rows;
    },
    async drop() {
      await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

interface Replica {
  url: string;
  auth: ReturnType<typeof makeAuth>;
  close(): Promise<void>;
}

function authOptions(store: AsyncKeyValue, db: Db) {
  const plain = withNamespace(store, { prefix: 'auth' });
  return {
    baseURL: ORIGIN,
    secret: SECRET,
    database: db.pool,
    secondaryStorage: betterAuthStorage(withEncryption(plain, { keys: KEY }), { counters: plain }),
    // The plugin refuses secondaryStorage unless sessions are also kept in the database.
    session: { storeSessionInDatabase: true },
    emailAndPassword: { enabled: true },
    plugins: [jwt(), oauthProvider({ loginPage: '/login', consentPage: '/consent' })],
    logger: { disabled: true },
  };
}

function makeAuth(store: AsyncKeyValue, db: Db) {
  return betterAuth(authOptions(store, db));
}

async function startReplica(backing: Backing, db: Db): Promise<Replica> {
  const store = backing.open();
  const auth = makeAuth(store, db);
  const server: Server = createServer(toNodeHandler(auth));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/auth`,
    auth,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

const base64url = (b: Buffer) => b.toString('base64url');

/** GET /oauth2/authorize with the session cookie and PKCE; the code from the redirect. */
async function authorize(replica: Replica, cookie: string, clientId: string, verifier: string) {
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const state = base64url(randomBytes(12));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'openid profile offline_access',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const res = await fetch(`${replica.url}/oauth2/authorize?${query}`, {
    headers: { cookie, origin: ORIGIN },
    redirect: 'manual',
  });
  let location = res.headers.get('location');
  if (location === null) {
    const body = (await res.json()) as { url?: string; redirect_uri?: string };
    location = body.url ?? body.redirect_uri ?? null;
  }
  expect(location, `authorize answered ${res.status} without a redirect`).not.toBeNull();
  const url = new URL(location as string);
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
  expect(url.searchParams.get('state')).toBe(state);
  const code = url.searchParams.get('code');
  expect(code).toBeTruthy();
  return code as string;
}

function redeem(replica: Replica, clientId: string, code: string, verifier: string) {
  return fetch(`${replica.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
      code_verifier: verifier,
    }),
  });
}

const backends = [
  ['Redis', redis, async () => redisBacking(redis.url, 'bao')],
  ['PostgreSQL', postgres, () => postgresBacking(postgres.url, 'oauthkv_bao')],
] as const;

for (const [name, backend, makeBacking] of backends) {
  describe.skipIf(!backend.available || !postgres.available)(
    `better-auth 1.7 + @better-auth/oauth-provider on ${name} ${backend.description}`,
    () => {
      test('authorization code + PKCE across two replicas, one code redeemed concurrently exactly once, a restart, nothing readable at rest', async () => {
        const backing = await makeBacking();
        const db = await primaryDatabase();
        const migrationStore = backing.open();
        await (await getMigrations(authOptions(migrationStore, db))).runMigrations();
        await migrationStore.close();
        let a = await startReplica(backing, db);
        const b = await startReplica(backing, db);
        const secrets: string[] = [];
        try {
          const email = `${uniqueName('user')}@example.com`;
          const signUp = await fetch(`${a.url}/sign-up/email`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: ORIGIN },
            body: JSON.stringify({ email, password: 'correct horse battery', name: 'Ada' }),
          });
          expect(signUp.status).toBe(200);
          const cookie = (signUp.headers.get('set-cookie') ?? '').split(';')[0] as string;
          secrets.push(decodeURIComponent(cookie.split('=')[1] as string).split('.')[0] as string);

          // A public client (PKCE, no secret) that skips consent, created on replica A.
          const client = (await a.auth.api.adminCreateOAuthClient({
            body: {
              redirect_uris: [REDIRECT],
              token_endpoint_auth_method: 'none',
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code'],
              client_name: 'test client',
              skip_consent: true,
            },
            headers: new Headers({ cookie, origin: ORIGIN }),
          })) as { client_id: string };
          const clientId = client.client_id;

          // Authorize on B, redeem 10 times at once across A and B: exactly one succeeds.
          const verifier = base64url(randomBytes(32));
          const beforeCode = await backing.dump();
          const code = await authorize(b, cookie, clientId, verifier);
          expect((await backing.dump()).length).toBeGreaterThan(beforeCode.length); // the code, stored
          secrets.push(code);
          // The code is a verification value in secondaryStorage: with a secondaryStorage better-auth
          // creates no verification table at all, and the plugin's tables hold clients and tokens.
          const tables = (
            await db.query(
              'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()',
            )
          ).map((r) => r.t);
          expect(tables).toEqual(
            expect.arrayContaining(['oauthClient', 'oauthAccessToken', 'oauthRefreshToken']),
          );
          expect(tables).not.toContain('verification');
          const responses = await Promise.all(
            Array.from({ length: 10 }, (_, i) => redeem(i % 2 === 0 ? a : b, clientId, code, verifier)),
          );
          const bodies = await Promise.all(responses.map((r) => r.text()));
          // Exactly one request gets past the code (oauth-kv's take); the nine others are refused as
          // "invalid code". The plugin treats those as a replayed code and revokes the tokens issued
          // for it (RFC 6749 4.1.2), which races the winner's token inserts: the winner answers 200
          // (tokens then revoked) or 500 (its access token insert lost its refresh token row).
          const refused = bodies.filter((body) => body.includes('"invalid code"'));
          expect(refused, `${responses.map((r) => r.status)}`).toHaveLength(9);
          expect(responses.filter((r) => r.status === 400)).toHaveLength(9);
          const winner = responses.find((r) => r.status !== 400) as Response;
          expect([200, 500]).toContain(winner.status);
          for (const body of bodies) {
            const token = /"(?:access|refresh)_token":"([^"]+)"/.exec(body);
            if (token) secrets.push(token[1] as string);
          }

          // A restart in the middle of a flow: the code issued by A is redeemed on A's successor.
          const verifier2 = base64url(randomBytes(32));
          const code2 = await authorize(a, cookie, clientId, verifier2);
          secrets.push(code2);
          await a.close();
          a = await startReplica(backing, db);
          const wrongVerifier = await redeem(b, clientId, code2, base64url(randomBytes(32)));
          expect([400, 401]).toContain(wrongVerifier.status); // PKCE checked across replicas
          // The plugin consumes the code before it checks the verifier: the right one now fails too.
          expect((await redeem(a, clientId, code2, verifier2)).status).not.toBe(200);
          const verifier3 = base64url(randomBytes(32));
          const code3 = await authorize(a, cookie, clientId, verifier3);
          secrets.push(code3);
          await a.close();
          a = await startReplica(backing, db);
          const after = await redeem(a, clientId, code3, verifier3);
          expect(after.status).toBe(200);
          const tokens3 = (await after.json()) as { access_token: string; refresh_token?: string };
          secrets.push(tokens3.access_token);
          if (tokens3.refresh_token) secrets.push(tokens3.refresh_token);
          // The access token works on both replicas: the flow completed.
          const userinfo = (replica: Replica) =>
            fetch(`${replica.url}/oauth2/userinfo`, {
              headers: { authorization: `Bearer ${tokens3.access_token}` },
            });
          for (const replica of [a, b]) expect((await userinfo(replica)).status).toBe(200);
          // The code is single use on every replica; its replay on B revokes what it issued on A.
          expect([400, 401]).toContain((await redeem(b, clientId, code3, verifier3)).status);
          for (const replica of [a, b]) expect((await userinfo(replica)).status).toBe(401);

          // Raw scan: what oauth-kv stored holds none of the codes, tokens or the email.
          const atRest = await backing.dump();
          expect(atRest.length).toBeGreaterThan(1000);
          for (const secret of [...secrets, email]) expect(atRest).not.toContain(secret);
        } finally {
          await a.close();
          await b.close();
          await backing.drop();
          await db.drop();
        }
      }, 60_000);
    },
  );
}
