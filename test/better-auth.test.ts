/**
 * oauth-kv/better-auth with the real better-auth 1.7 behind real HTTP, on Redis and on PostgreSQL:
 * two replicas (two better-auth instances, each on its own store instance over one backing) share
 * sessions, one-time tokens and rate limits; a replica restarts and keeps serving the sessions; a
 * one-time token redeemed concurrently on both replicas succeeds exactly once; a rate limit counted
 * concurrently on both replicas lets exactly `max` requests through; nothing at rest shows a token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecondaryStorage } from '@better-auth/core/db';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { oneTimeToken } from 'better-auth/plugins/one-time-token';
import { afterAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { NotSupportedError, StoreSetupError, ValidationError } from '../src/errors.js';
import { generateFernetKey } from '../src/index.js';
import { betterAuthStorage } from '../src/integrations/better-auth.js';
import { MemoryStore } from '../src/stores/memory.js';
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
const KEY = generateFernetKey();

/** A better-auth replica on its own store instance, served over HTTP. */
interface Replica {
  url: string;
  store: AsyncKeyValue;
  close(): Promise<void>;
}

// The primary database (users, accounts) is shared by the replicas; sessions, verification values
// and rate limits live only in the secondary storage under test.
type Db = Record<string, Record<string, unknown>[]>;

async function startReplica(backing: Backing, db: Db): Promise<Replica> {
  const raw = backing.open();
  const plain = withNamespace(raw, { prefix: 'auth' });
  const secondaryStorage = betterAuthStorage(withEncryption(plain, { keys: KEY }), { counters: plain });
  // The structural type is better-auth's own.
  const typed: SecondaryStorage = secondaryStorage;
  const auth = betterAuth({
    baseURL: ORIGIN,
    secret: SECRET,
    database: memoryAdapter(db),
    secondaryStorage: typed,
    emailAndPassword: { enabled: true },
    plugins: [oneTimeToken()],
    rateLimit: {
      enabled: true,
      storage: 'secondary-storage',
      customRules: { '/sign-in/email': { window: 60, max: 3 } },
    },
    logger: { disabled: true },
  });
  const server: Server = createServer(toNodeHandler(auth));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/auth`,
    store: raw,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await raw.close();
    },
  };
}

function call(replica: Replica, path: string, init: { body?: unknown; cookie?: string; ip?: string } = {}) {
  const headers: Record<string, string> = { origin: ORIGIN, 'x-forwarded-for': init.ip ?? '198.51.100.1' };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(replica.url + path, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function session(replica: Replica, cookie: string): Promise<{ user: { email: string } } | null> {
  const res = await call(replica, '/get-session', { cookie });
  expect(res.status).toBe(200);
  return (await res.json()) as { user: { email: string } } | null;
}

const backends = [
  ['Redis', redis, async () => redisBacking(redis.url, 'ba')],
  ['PostgreSQL', postgres, () => postgresBacking(postgres.url, 'oauthkv_ba')],
] as const;

for (const [name, backend, makeBacking] of backends) {
  describe.skipIf(!backend.available)(`better-auth 1.7 on ${name} ${backend.description}`, () => {
    test('two replicas share sessions, single-use tokens and rate limits; a restart keeps sessions', async () => {
      const backing = await makeBacking();
      const db: Db = { user: [], session: [], account: [], verification: [], rateLimit: [] };
      let a = await startReplica(backing, db);
      const b = await startReplica(backing, db);
      try {
        // Sign up on A; the session is read on B.
        const email = `${uniqueName('user')}@example.com`;
        const signUp = await call(a, '/sign-up/email', {
          body: { email, password: 'correct horse battery', name: 'Ada' },
        });
        expect(signUp.status).toBe(200);
        const setCookie = signUp.headers.get('set-cookie') ?? '';
        const cookie = setCookie.split(';')[0]!;
        expect(cookie).toMatch(/^better-auth\.session_token=/);
        const token = decodeURIComponent(cookie.split('=')[1]!).split('.')[0]!;
        expect(token.length).toBeGreaterThanOrEqual(16);
        expect((await session(b, cookie))?.user.email).toBe(email);
        // The session lives in the secondary storage only, and never in the clear.
        expect(db.session).toHaveLength(0);
        const atRest = await backing.dump();
        expect(atRest.length).toBeGreaterThan(100);
        expect(atRest).not.toContain(token);
        expect(atRest).not.toContain(email);

        // A one-time token issued on A, redeemed 20 times at once across A and B: exactly once.
        const issued = await call(a, '/one-time-token/generate', { cookie });
        expect(issued.status).toBe(200);
        const { token: ott } = (await issued.json()) as { token: string };
        const redemptions = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call(i % 2 === 0 ? a : b, '/one-time-token/verify', { body: { token: ott } }),
          ),
        );
        const statuses = redemptions.map((r) => r.status);
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s !== 200).every((s) => s >= 400 && s < 500)).toBe(true);
        expect((await backing.dump()).includes(ott)).toBe(false);

        // Rate limit max 3 per window on /sign-in/email, counted across both replicas at once.
        const ip = '203.0.113.9';
        const attempts = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            call(i % 2 === 0 ? a : b, '/sign-in/email', { body: { email, password: 'wrong password!' }, ip }),
          ),
        );
        const limited = attempts.filter((r) => r.status === 429).length;
        expect(limited).toBe(7);

        // Restart A on a new store instance: the session is still valid there.
        await a.close();
        a = await startReplica(backing, db);
        expect((await session(a, cookie))?.user.email).toBe(email);

        // Sign out on B: the session is gone on A too.
        const out = await call(b, '/sign-out', { body: {}, cookie });
        expect(out.status).toBe(200);
        expect(await session(a, cookie)).toBeNull();
      } finally {
        await a.close();
        await b.close();
        await backing.drop();
      }
    }, 60_000);
  });
}

describe('betterAuthStorage on its own', () => {
  const memory = () => new MemoryStore({ sweepIntervalMs: 0 });

  test('refuses a store that does not encrypt unless allowUnprotectedSecrets, and bad options', () => {
    expect(() => betterAuthStorage(memory())).toThrow(StoreSetupError);
    expect(() => betterAuthStorage(memory(), { allowUnprotectedSecrets: 'yes' as never })).toThrow(
      StoreSetupError,
    );
    expect(() => betterAuthStorage(withEncryption(memory(), { keys: KEY }), { collection: '' })).toThrow(
      StoreSetupError,
    );
    expect(betterAuthStorage(memory(), { allowUnprotectedSecrets: true })).toBeDefined();
  });

  test('stores values under hashed keys, expires them, takes them once, deletes them', async () => {
    const inner = memory();
    const storage = betterAuthStorage(withEncryption(inner, { keys: KEY }), { counters: inner });
    await storage.set('session-token-abc', 'v1', 60);
    await storage.set('forever', 'v2', 0); // better-auth's "no expiry"
    expect(await storage.get('session-token-abc')).toBe('v1');
    const keys = (await inner.keys('better-auth')).keys;
    expect(keys).toHaveLength(2);
    expect(keys.join()).not.toContain('session-token-abc');
    const lifetimes = await inner.ttlMany(keys, { collection: 'better-auth' });
    expect(lifetimes.map((t) => t.ttl === undefined).sort()).toEqual([false, true]);
    const { getAndDelete } = storage; // better-auth calls some methods detached
    expect(await getAndDelete('session-token-abc')).toBe('v1');
    expect(await getAndDelete('session-token-abc')).toBeNull();
    await storage.delete('forever');
    expect(await storage.get('forever')).toBeNull();
    await expect(storage.set('k', 42 as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(storage.get('')).rejects.toBeInstanceOf(ValidationError);
  });

  test('increment counts atomically on the counters store; an encrypting store refuses it, typed', async () => {
    const inner = memory();
    const encrypted = withEncryption(inner, { keys: KEY });
    const { increment } = betterAuthStorage(encrypted, { counters: inner });
    expect(await Promise.all([increment('rl', 60), increment('rl', 60), increment('rl', 60)])).toEqual(
      expect.arrayContaining([1, 2, 3]),
    );
    const [counter] = (await inner.keys('better-auth-counters')).keys;
    expect((await inner.ttl(counter!, { collection: 'better-auth-counters' })).ttl).toBeGreaterThan(50);
    const noCounters = betterAuthStorage(encrypted);
    await expect(noCounters.increment('rl', 60)).rejects.toBeInstanceOf(NotSupportedError);
  });

  test('finds values written under a rotated hashing secret, and a new write replaces them', async () => {
    const inner = memory();
    const store = withEncryption(inner, { keys: KEY });
    const old = betterAuthStorage(store, { hashSecret: 'old-secret-0123456789' });
    await old.set('token-1', 'before', 60);
    const rotated = betterAuthStorage(store, {
      hashSecret: ['new-secret-0123456789', 'old-secret-0123456789'],
    });
    expect(await rotated.get('token-1')).toBe('before');
    await rotated.set('token-1', 'after', 60);
    expect((await inner.keys('better-auth')).keys).toHaveLength(1);
    expect(await betterAuthStorage(store, { hashSecret: 'new-secret-0123456789' }).get('token-1')).toBe(
      'after',
    );
  });
});
