/**
 * RedisStore's error policy, each mapping provoked for real: on the shared server (a key of another
 * type, a client in subscriber mode) and on private `redis-server` processes (BUSY, OOM, a
 * read-only replica, wrong credentials, a flushed script cache, a server stopped mid-operation).
 * Every error is checked for its class, code and `retryable`, that the retry wrapper repeats only
 * retryable ones, and that no password or stored value shows anywhere in it.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  DeserializationError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
} from '../src/errors.js';
import { RedisStore, type RedisStoreOptions } from '../src/stores/redis/index.js';
import { RetryWrapper } from '../src/wrappers/retry.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { counted, errorPolicy } from './helpers/error-policy.js';
import {
  type RedisServer,
  redisBinariesAvailable,
  spareRedisPort,
  startRedisServer,
} from './helpers/redis-server.js';
import { errorText, failure } from './helpers/secret-scan.js';

const backend = await findBackend('redis');
const binaries = await redisBinariesAvailable();
if (!binaries && (process.env.CI === 'true' || process.env.CI === '1')) {
  throw new Error('CI=true but redis-server/redis-cli are not installed');
}
const PASSWORD = 'Pw-7f3a9c-unique';
const VALUE_SECRET = 'value-secret-51d2';

const { expectError } = errorPolicy([PASSWORD, VALUE_SECRET]);

describe('RedisStore configuration errors (no server needed)', () => {
  test.each([
    ['a port out of range', `redis://:${PASSWORD}@127.0.0.1:99999`],
    ['a port that is not a number', `redis://:${PASSWORD}@127.0.0.1:abc`],
    ['a malformed percent-escape in the password', `redis://u:${PASSWORD}%E0%A4%A@127.0.0.1:6379`],
    ['a malformed percent-escape in the user', `redis://%zz:${PASSWORD}@127.0.0.1:6379`],
    ['a broken IPv6 host', `redis://:${PASSWORD}@[::1:6379`],
    ['a path that is not a database number', `redis://:${PASSWORD}@127.0.0.1:6379/x`],
    ['another scheme', `http://:${PASSWORD}@127.0.0.1:6379`],
  ])('%s → StoreSetupError at construction, without the URL or its password', (_, url) => {
    const err = (() => {
      try {
        new RedisStore(url);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expectError(err, StoreSetupError, 'STORE_SETUP', false);
    expect((err as Error).cause).toBeUndefined();
  });

  test('bad cluster node URLs and bad numbers are StoreSetupError too', () => {
    const bad: RedisStoreOptions[] = [
      { clusterNodes: [`redis://:${PASSWORD}%E0%A4%A@127.0.0.1:7000`] },
      { clusterNodes: [`127.0.0.1:99999`] },
      { clusterNodes: [{ host: '127.0.0.1', port: 0 }] },
      { url: 'redis://127.0.0.1:6379', scanCount: 1.5 },
      { url: 'redis://127.0.0.1:6379', commandTimeoutMs: -1 },
      { url: 'redis://127.0.0.1:6379', connectTimeoutMs: 2 ** 31 },
      { url: 'redis://127.0.0.1:6379', keyPrefix: 5 as unknown as string },
      { client: {} as unknown as Redis },
      { redisOptions: { port: 99999, password: PASSWORD } },
      {
        url: 'redis://127.0.0.1:6379',
        clusterOptions: 'x' as unknown as RedisStoreOptions['clusterOptions'],
      },
    ];
    for (const options of bad) {
      expect(() => new RedisStore(options), JSON.stringify(options)).toThrow(StoreSetupError);
    }
    expect(() => new RedisStore(7 as unknown as string)).toThrow(StoreSetupError);
  });

  test('a client of yours with a port Node refuses → StoreSetupError at once, not a retryable timeout', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 99999, password: PASSWORD, lazyConnect: true });
    client.on('error', () => {});
    const store = new RedisStore({ client, connectTimeoutMs: 5_000 });
    try {
      const started = Date.now();
      expectError(await failure(() => store.get('k')), StoreSetupError, 'STORE_SETUP', false);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  test('nothing listening: StoreConnectionError (retryable) naming host:port, no password anywhere', async () => {
    const port = await spareRedisPort();
    const store = new RedisStore({
      url: `redis://user:${PASSWORD}@127.0.0.1:${port}/0`,
      connectTimeoutMs: 300,
    });
    try {
      const err = await failure(() => store.put('k', { token: VALUE_SECRET }));
      expectError(err, StoreConnectionError, 'STORE_CONNECTION', true);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      const { wrapped, retries } = counted(store);
      expectError(await failure(() => wrapped.get('k')), StoreConnectionError, 'STORE_CONNECTION', true);
      expect(retries).toEqual([1, 2, 3]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!backend.available)('RedisStore errors on the shared server', () => {
  const prefix = `${uniqueName('oauthkv-err')}:`;
  let raw: Redis;
  const stores: RedisStore[] = [];
  const make = (options: RedisStoreOptions = {}) => {
    const store = new RedisStore({ url: backend.url, keyPrefix: prefix, ...options });
    stores.push(store);
    return store;
  };
  beforeAll(() => {
    raw = new Redis(backend.url);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.unlink(keys);
    raw.disconnect();
    await backend.stop();
  });

  test('a key of another Redis type where an entry belongs (WRONGTYPE)', async () => {
    const store = make();
    await raw.hset(`${prefix}wt::h`, 'f', VALUE_SECRET);
    const opts = { collection: 'wt' };
    // A read: an unreadable entry, permanent; getMany reads it as missing (MGET answers nil).
    expectError(
      await failure(() => store.get('h', opts)),
      DeserializationError,
      'DESERIALIZATION_ERROR',
      false,
    );
    expect(await store.getMany(['h'], opts)).toEqual([undefined]);
    // take and putIfAbsent: StoreOperationError, never retried.
    const { wrapped, retries } = counted(store);
    expectError(await failure(() => wrapped.take('h', opts)), StoreOperationError, 'STORE_OPERATION', false);
    expectError(
      await failure(() => wrapped.putIfAbsent('h', { a: 1 }, opts)),
      StoreOperationError,
      'STORE_OPERATION',
      false,
    );
    expect(retries).toEqual([]);
    expect(await raw.type(`${prefix}wt::h`)).toBe('hash'); // nothing was changed
    // delete clears it (deleting is how an unreadable entry is removed) and counts it.
    expect(await store.delete('h', opts)).toBe(true);
    expect(await raw.exists(`${prefix}wt::h`)).toBe(0);
    await raw.sadd(`${prefix}wt::s`, 'x');
    expect(await store.deleteMany(['s', 'none'], opts)).toBe(1);
  });

  test('an ioredis error the policy does not know (a client in subscriber mode) is StoreOperationError, not retried', async () => {
    const client = new Redis(backend.url);
    try {
      await client.subscribe(uniqueName('channel'));
      const store = new RedisStore({ client, keyPrefix: prefix });
      stores.push(store);
      const { wrapped, retries } = counted(store);
      const err = await failure(() => wrapped.put('k', { token: VALUE_SECRET }));
      expectError(err, StoreOperationError, 'STORE_OPERATION', false);
      expect(retries).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});

describe.skipIf(!binaries)('RedisStore errors on private servers', () => {
  const servers: RedisServer[] = [];
  const stores: RedisStore[] = [];
  const clients: Redis[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const c of clients.splice(0)) c.disconnect();
    await Promise.all(servers.splice(0).map((s) => s.destroy()));
  });
  const start = async (args: string[] = []) => {
    const server = await startRedisServer(args);
    servers.push(server);
    return server;
  };
  const make = (options: RedisStoreOptions) => {
    const store = new RedisStore(options);
    stores.push(store);
    return store;
  };
  const client = (url: string) => {
    const c = new Redis(url);
    c.on('error', () => {});
    clients.push(c);
    return c;
  };

  test('wrong or missing password (WRONGPASS, NOAUTH) → StoreSetupError at once, not a retryable timeout', async () => {
    const server = await start(['--requirepass', PASSWORD]);
    for (const url of [server.url, `redis://:wrong-${PASSWORD.slice(3)}@127.0.0.1:${server.port}`]) {
      const store = make({ url, connectTimeoutMs: 5_000 });
      const started = Date.now();
      const err = await failure(() => store.get('k'));
      expectError(err, StoreSetupError, 'STORE_SETUP', false);
      expect(errorText(err)).not.toContain(PASSWORD.slice(3));
      expect(Date.now() - started).toBeLessThan(4_000); // not the connect timeout
    }
    const good = make({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}` });
    await good.put('k', { a: 1 });
    expect(await good.get('k')).toEqual({ a: 1 });
  }, 30_000);

  test('a script blocking the server (BUSY) → StoreConnectionError; the retry wrapper rides it out', async () => {
    const server = await start(['--busy-reply-threshold', '50']);
    const store = make({ url: server.url });
    await store.put('k', { a: 1 });
    const blocker = client(server.url);
    const killer = client(server.url);
    await Promise.all([blocker.ping(), killer.ping()]); // connected before the server is blocked
    const blocked = blocker.eval('while true do end', 0).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 150));
    expectError(await failure(() => store.get('k')), StoreConnectionError, 'STORE_CONNECTION', true);
    const retries: number[] = [];
    const wrapped = new RetryWrapper(store, {
      retries: 10,
      baseDelayMs: 20,
      onRetry: (info) => {
        retries.push(info.attempt);
        if (info.attempt === 1) void killer.script('KILL').catch(() => {});
      },
    });
    expect(await wrapped.get('k')).toEqual({ a: 1 });
    expect(retries.length).toBeGreaterThan(0);
    await blocked;
  }, 30_000);

  test('out of memory (OOM) → StoreOperationError, not retried', async () => {
    const server = await start(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']);
    const store = make({ url: server.url });
    const { wrapped, retries } = counted(store);
    const big = { token: VALUE_SECRET, pad: 'x'.repeat(200_000) };
    let err: unknown;
    for (let i = 0; i < 100 && err === undefined; i++) err = await failure(() => wrapped.put(`k${i}`, big));
    expectError(err, StoreOperationError, 'STORE_OPERATION', false);
    expect((err as Error).message).toContain('OOM');
    expect(retries).toEqual([]);
  }, 30_000);

  test('a read-only replica (READONLY, as during a failover) → StoreConnectionError on writes; reads work', async () => {
    // Diskless replication: no RDB file (and no forked writer) left in the servers' directories.
    const primary = await start(['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0']);
    const replica = await start([
      '--replicaof',
      '127.0.0.1',
      String(primary.port),
      '--repl-diskless-load',
      'on-empty-db',
    ]);
    await make({ url: primary.url }).put('k', { a: 1 });
    const store = make({ url: replica.url });
    const { wrapped, retries } = counted(store);
    expectError(
      await failure(() => wrapped.put('k', { token: VALUE_SECRET })),
      StoreConnectionError,
      'STORE_CONNECTION',
      true,
    );
    expect(retries).toEqual([1, 2, 3]);
    for (let i = 0; i < 100 && (await store.get('k')) === undefined; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await store.get('k')).toEqual({ a: 1 });
  }, 30_000);

  test('a flushed script cache (NOSCRIPT) is reloaded, never surfaced', async () => {
    const server = await start();
    const store = make({ url: server.url });
    const entries = [['a', { a: 1 }] as const, ['b', { b: 2 }] as const];
    await store.putMany(entries, { ttl: 60 });
    await client(server.url).script('FLUSH');
    await store.putMany(entries, { ttl: 60 });
    await client(server.url).script('FLUSH');
    expect(await store.deleteMany(['a', 'b'])).toBe(2);
  }, 30_000);

  test('a server stopped mid-operation → StoreConnectionError (retryable), with no password in it', async () => {
    const server = await start(['--requirepass', PASSWORD]);
    const store = make({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}`, connectTimeoutMs: 500 });
    await store.put('k', { a: 1 });
    server.signal('SIGSTOP');
    const inFlight = failure(() => store.put('k', { token: VALUE_SECRET }));
    await new Promise((r) => setTimeout(r, 50));
    await server.kill();
    expectError(await inFlight, StoreConnectionError, 'STORE_CONNECTION', true);
    // While it is down, the bounded wait for a connection: retryable too.
    const down = await failure(() => store.get('k'));
    expectError(down, StoreConnectionError, 'STORE_CONNECTION', true);
    expect(down).not.toBeInstanceOf(StoreTimeoutError);
    await server.start();
    expect(await store.get('k')).toEqual({ a: 1 });
  }, 30_000);
});
