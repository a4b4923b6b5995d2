/**
 * Round trips of each OAuth step, counted by a spy on the database driver (ioredis `sendCommand`,
 * pg `Pool.query`) while the MCP SDK's own router serves the step over HTTP, with oauth-kv under
 * encryption (the recommended setup). A "sequential round trip" starts whenever a command is sent
 * while none is in flight; commands sent together (one `Promise.all`) share one.
 *
 * Floors: access-token verification 1 round trip; code exchange, refresh and revocation at most 3
 * (the SDK's own client lookup included); registration 1. Revocation is seen at once by another
 * replica. The measured table is printed (`[round trips]` lines) and kept in docs/benchmarks.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '../src/crypto/keys.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type AuthServer, FlowClient, type Registered, startAuthServer } from './helpers/mcp-flow.js';

/** Counts commands and sequential round trips. */
class RoundTripSpy {
  commands: string[] = [];
  trips = 0;
  #inFlight = 0;

  track<T>(name: string, promise: Promise<T>): Promise<T> {
    if (this.#inFlight === 0) this.trips++;
    this.#inFlight++;
    this.commands.push(name);
    const done = () => {
      this.#inFlight--;
    };
    promise.then(done, done);
    return promise;
  }

  reset(): void {
    this.commands = [];
    this.trips = 0;
  }
}

interface Step {
  step: string;
  commands: number;
  trips: number;
  names: string;
}

const KEY = generateFernetKey();

/** Runs every OAuth step over HTTP on `open()`'s store and returns the counts of each. */
async function measure(
  open: () => Promise<import('../src/contract.js').AsyncKeyValue>,
  spy: RoundTripSpy,
  revokeOnRefreshReuse: boolean,
): Promise<Step[]> {
  const state = new OAuthStateStore(withEncryption(await open(), { keys: [KEY] }), { revokeOnRefreshReuse });
  const server = await startAuthServer(
    new PersistentOAuthServerProvider({ state, approve: () => ({ subject: 'a' }) }),
  );
  const http = new FlowClient(server.base);
  const steps: Step[] = [];
  const count = async <T>(step: string, run: () => Promise<T>): Promise<T> => {
    spy.reset();
    const result = await run();
    steps.push({ step, commands: spy.commands.length, trips: spy.trips, names: spy.commands.join(' ') });
    return result;
  };
  try {
    // Warm up: connections, prepared statements, scripts loaded.
    await flow(http, await http.register(), async (_s, run) => run());
    steps.length = 0;
    const client = await count('client registration (confidential)', () => http.register());
    await flow(http, client, count);
  } finally {
    await server.close();
  }
  return steps;
}

type Counter = <T>(step: string, run: () => Promise<T>) => Promise<T>;

async function flow(http: FlowClient, client: Registered, count: Counter): Promise<void> {
  const { code, verifier } = await count('authorization (auto-approved)', () => http.authorize(client));
  const issued = await count('code exchange', () => http.exchange(client, code, verifier));
  expect(issued.status).toBe(200);
  const tokens = issued.body as Record<string, string>;
  const verified = await count('access-token verification', () => http.call(tokens.access_token!));
  expect(verified.status).toBe(200);
  const refreshed = await count('refresh', () => http.refresh(client, tokens.refresh_token!));
  expect(refreshed.status).toBe(200);
  const next = refreshed.body as Record<string, string>;
  expect((await count('revoke (access token)', () => http.revoke(client, next.access_token!))).status).toBe(
    200,
  );
  expect(
    (await count('revoke (refresh token: whole grant)', () => http.revoke(client, next.refresh_token!)))
      .status,
  ).toBe(200);
  expect((await http.call(next.access_token!)).status).toBe(401);
}

function expectFloor(steps: Step[], backend: string): void {
  const of = (step: string) => {
    const found = steps.find((s) => s.step === step);
    if (!found) throw new Error(`no ${step}`);
    return found;
  };
  for (const s of steps) {
    console.log(
      `[round trips] ${backend} | ${s.step} | ${s.commands} commands | ${s.trips} sequential | ${s.names}`,
    );
  }
  expect(of('access-token verification')).toMatchObject({ commands: 1, trips: 1 });
  expect(of('client registration (confidential)')).toMatchObject({ commands: 1, trips: 1 });
  for (const step of [
    'code exchange',
    'refresh',
    'revoke (access token)',
    'revoke (refresh token: whole grant)',
  ]) {
    expect(of(step).trips, step).toBeLessThanOrEqual(3);
  }
}

/** Two replicas on two store instances: a revocation on one is refused on the other's next request. */
async function expectImmediateRevocation(open: () => Promise<import('../src/contract.js').AsyncKeyValue>) {
  const servers: AuthServer[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const state = new OAuthStateStore(withEncryption(await open(), { keys: [KEY] }));
      servers.push(await startAuthServer(new PersistentOAuthServerProvider({ state, approve: () => ({}) })));
    }
    const [a, b] = servers.map((s) => new FlowClient(s.base)) as [FlowClient, FlowClient];
    const client = await a.register();
    const { code, verifier } = await a.authorize(client);
    const tokens = (await b.exchange(client, code, verifier)).body as Record<string, string>;
    expect((await b.call(tokens.access_token!)).status).toBe(200);
    expect((await a.revoke(client, tokens.refresh_token!)).status).toBe(200);
    expect((await b.call(tokens.access_token!)).status).toBe(401);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
afterAll(async () => {
  await Promise.all([redis.stop(), postgres.stop()]);
});

describe.skipIf(!redis.available)(`round trips on Redis ${redis.description}`, () => {
  const keyPrefix = `${uniqueName('rt')}:`;
  const closers: (() => Promise<unknown>)[] = [];
  const spy = new RoundTripSpy();
  const open = async () => {
    const { Redis } = await import('ioredis');
    const { RedisStore } = await import('../src/stores/redis/index.js');
    const client = new Redis(redis.url, { lazyConnect: false });
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string; promise: Promise<unknown> }, stream?: never) => {
      spy.track(command.name.toUpperCase(), command.promise);
      return send(command as never, stream);
    }) as typeof client.sendCommand;
    const store = new RedisStore({ client, keyPrefix });
    closers.push(async () => {
      await store.close();
      client.disconnect();
    });
    return store;
  };
  afterAll(async () => {
    const { RedisStore } = await import('../src/stores/redis/index.js');
    const cleaner = new RedisStore({ url: redis.url, keyPrefix });
    for (const collection of await cleaner.collections()) await cleaner.destroyCollection(collection);
    await cleaner.close();
    for (const close of closers) await close();
  });

  it('every OAuth step at the floor', async () => {
    expectFloor(await measure(open, spy, false), 'Redis');
  });
  it('the same with revokeOnRefreshReuse', async () => {
    expectFloor(await measure(open, spy, true), 'Redis, revokeOnRefreshReuse');
  });
  it('a revoked grant is refused on the next request on another replica', async () => {
    await expectImmediateRevocation(open);
  });
});

describe.skipIf(!postgres.available)(`round trips on PostgreSQL ${postgres.description}`, () => {
  const schema = uniqueName('rt');
  const closers: (() => Promise<unknown>)[] = [];
  const spy = new RoundTripSpy();
  const open = async () => {
    const pg = (await import('pg')).default;
    const { PostgresStore } = await import('../src/stores/postgres/index.js');
    const pool = new pg.Pool({ connectionString: postgres.url });
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    pool.query = ((...args: unknown[]) => {
      const first = args[0] as string | { name?: string; text: string };
      const text = typeof first === 'string' ? first : first.text;
      return spy.track(text.trim().split(/\s+/)[0]!.toUpperCase(), query(...args));
    }) as typeof pool.query;
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const store = new PostgresStore({ pool, schema });
    closers.push(async () => {
      await store.close();
      await pool.end();
    });
    return store;
  };
  afterAll(async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    for (const close of closers) await close();
  });

  it('every OAuth step at the floor', async () => {
    expectFloor(await measure(open, spy, false), 'PostgreSQL');
  });
  it('the same with revokeOnRefreshReuse', async () => {
    expectFloor(await measure(open, spy, true), 'PostgreSQL, revokeOnRefreshReuse');
  });
  it('a revoked grant is refused on the next request on another replica', async () => {
    await expectImmediateRevocation(open);
  });
});
