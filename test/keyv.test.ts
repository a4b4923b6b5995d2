import KeyvRedis, { createClient } from '@keyv/redis';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import * as Vitest from 'vitest';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import type { AsyncKeyValue } from '../src/contract.js';
import {
  DeserializationError,
  NotSupportedError,
  SerializationError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
} from '../src/errors.js';
import { KeyvAdapter, KeyvStore, type KeyvStoreOptions, toKeyv } from '../src/stores/keyv/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { redisBinariesAvailable, spareRedisPort, startRedisServer } from './helpers/redis-server.js';

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
const redisBinaries = await redisBinariesAvailable();

// ---- Keyv → oauth-kv ---------------------------------------------------------------------------

describe('KeyvStore', () => {
  // One Keyv shared by every store the suite creates: a persistent, shared backing.
  const mapKeyv = new Keyv();
  describeConformance('KeyvStore over new Keyv() (Map)', {
    createStore: () => new KeyvStore(mapKeyv),
    persistent: true,
    sharedBacking: true,
  });

  const rawMap = new Map<unknown, unknown>();
  describeConformance('KeyvStore over a Map passed as a storage adapter', {
    createStore: () => new KeyvStore(rawMap),
    persistent: true,
    sharedBacking: true,
    modelRuns: 10,
  });

  const stores: AsyncKeyValue[] = [];
  const track = <S extends AsyncKeyValue>(s: S): S => {
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  test('no increment: a get-then-set over Keyv would lose counts, so it is refused and writes nothing', async () => {
    const keyv = new Keyv();
    const s = track(new KeyvStore(keyv));
    expect(s.capabilities.increment).toBeUndefined();
    await expect(s.increment('n', 1, { collection: 'c', ttl: 60 })).rejects.toBeInstanceOf(NotSupportedError);
    expect(await s.get('n', { collection: 'c' })).toBeUndefined();
    expect(await s.keys('c')).toEqual({ keys: [], cursor: undefined });
  });

  test('capabilities: never atomic; enumeration only with a Keyv iterator', () => {
    const withIterator = track(new KeyvStore(new Keyv()));
    expect(withIterator.capabilities).toEqual({
      keys: true,
      collections: true,
      destroyCollection: true,
      cull: true,
      atomic: false,
    });
    const plainAdapter = {
      opts: {},
      get: async () => undefined,
      set: async () => true,
      delete: async () => false,
      clear: async () => undefined,
      on() {
        return this;
      },
    };
    const without = track(new KeyvStore(new Keyv({ store: plainAdapter })));
    expect(without.capabilities.keys).toBe(false);
    expect(without.capabilities.atomic).toBe(false);
    return expect(without.keys('c')).rejects.toBeInstanceOf(NotSupportedError);
  });

  test('entries are envelopes under injective Keyv keys, and the TTL reaches Keyv too', async () => {
    const map = new Map<string, string>();
    const s = track(new KeyvStore(new Keyv({ store: map, namespace: 'ns' })));
    await s.put('b::c', { v: 1 }, { collection: 'a', ttl: 60 });
    await s.put('c', { v: 2 }, { collection: 'a::b' });
    await s.put('k', { v: 3 }, { collection: '100%:x' });
    expect([...map.keys()].sort()).toEqual(['ns:100%25%3Ax:k', 'ns:a%3A%3Ab:c', 'ns:a:b::c']);
    const stored = JSON.parse(map.get('ns:a:b::c') as string) as {
      value: Record<string, unknown>;
      expires: number;
    };
    expect(stored.value.version).toBe(1);
    expect(JSON.parse(stored.value.value as string)).toEqual({ v: 1 });
    expect(typeof stored.value.created_at).toBe('string');
    expect(typeof stored.value.expires_at).toBe('string');
    expect(stored.expires).toBeGreaterThan(Date.now() + 50_000);
    expect(JSON.parse(map.get('ns:a%3A%3Ab:c') as string).expires).toBeUndefined();
    expect(await s.collections()).toEqual(expect.arrayContaining(['a', 'a::b', '100%:x']));
  });

  test('our own expiry is exact even when Keyv would keep the entry (custom clock)', async () => {
    let now = Date.now();
    const s = track(new KeyvStore(new Keyv(), { clock: () => now }));
    await s.put('k', { a: 1 }, { collection: 'c', ttl: 600 });
    now += 601_000;
    expect(await s.get('k', { collection: 'c' })).toBeUndefined();
    expect((await s.keys('c')).keys).toEqual([]);
    expect(await s.cull()).toBe(1);
  });

  test("a key Keyv's iterator yields twice (@keyv/redis when the database shrinks mid-SCAN) is listed and culled once", async () => {
    let now = Date.now();
    const keyv = new Keyv();
    const iterate = keyv.iterator!;
    keyv.iterator = async function* twice(namespace?: string) {
      for await (const item of iterate.call(keyv, namespace)) {
        yield item;
        yield item;
      }
    } as typeof keyv.iterator;
    const s = track(new KeyvStore(keyv, { clock: () => now }));
    await s.putMany(
      [
        ['a', { n: 1 }],
        ['b', { n: 2 }],
      ],
      { collection: 'c' },
    );
    await s.put('gone', { n: 3 }, { collection: 'c', ttl: 600 });
    now += 601_000;
    expect(await s.keys('c')).toEqual({ keys: ['a', 'b'], cursor: undefined });
    expect(await s.keys('c', { limit: 1 })).toEqual({ keys: ['a'], cursor: 'a' });
    expect(await s.cull()).toBe(1);
  });

  test('a Keyv value that is not an oauth-kv envelope is a DeserializationError', async () => {
    const keyv = new Keyv();
    await keyv.set('c:raw', 'just a string');
    const s = track(new KeyvStore(keyv));
    await expect(s.get('raw', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await s.delete('raw', { collection: 'c' })).toBe(true);
  });

  test('an adapter failure is a permanent StoreOperationError unless it is clearly a lost connection', async () => {
    const failWith = (error: () => unknown) => ({
      opts: {},
      get: async () => {
        throw error();
      },
      getMany: async () => {
        throw error();
      },
      set: async () => {
        throw error();
      },
      delete: async () => false,
      clear: async () => undefined,
      on() {
        return this;
      },
    });
    // Unknown: never retryable (the retry wrapper would repeat a permanent failure).
    const unknown = track(new KeyvStore(failWith(() => new Error('constraint violated'))));
    for (const op of [
      () => unknown.get('k'),
      () => unknown.put('k', { a: 1 }),
      () => unknown.getMany(['k']),
    ]) {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreOperationError);
      expect((err as StoreOperationError).retryable).toBe(false);
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
    // A network code anywhere in the cause chain (or in an AggregateError, as net.connect gives
    // with several addresses) is a connection error; ETIMEDOUT is a timeout.
    const coded = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
    const cases: Array<[() => unknown, typeof StoreConnectionError]> = [
      [() => coded('ECONNREFUSED'), StoreConnectionError],
      [() => new Error('query failed', { cause: coded('ECONNRESET') }), StoreConnectionError],
      [() => new AggregateError([coded('EHOSTUNREACH')], 'all addresses failed'), StoreConnectionError],
      [
        () => new Error('wrapped', { cause: new Error('again', { cause: coded('EPIPE') }) }),
        StoreConnectionError,
      ],
      [() => coded('ENOTFOUND'), StoreConnectionError],
      [() => coded('ETIMEDOUT'), StoreTimeoutError],
    ];
    for (const [error, type] of cases) {
      const s = track(new KeyvStore(failWith(error)));
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(type);
      expect((err as StoreConnectionError).retryable).toBe(true);
    }
    // A code that is not a network failure stays permanent.
    const disk = track(new KeyvStore(failWith(() => coded('ENOSPC'))));
    await expect(disk.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreOperationError);
  });

  test('an adapter whose set reports false is a StoreOperationError, not a connection error', async () => {
    const refusing = {
      opts: {},
      get: async () => undefined,
      set: async () => false,
      delete: async () => false,
      clear: async () => undefined,
      on() {
        return this;
      },
    };
    const s = track(new KeyvStore(new Keyv({ store: refusing, throwOnErrors: true })));
    await expect(s.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreOperationError);
    await expect(s.putIfAbsent('k', { a: 1 })).rejects.toBeInstanceOf(StoreOperationError);
  });

  test('an undecodable Keyv value fails its own getMany position only', async () => {
    const keyv = new Keyv();
    const s = track(new KeyvStore(keyv));
    await s.putMany(
      [
        ['a', { n: 1 }],
        ['c', { n: 3 }],
      ],
      { collection: 'c' },
    );
    await keyv.set('c:b', 'not an envelope');
    await expect(s.get('b', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await s.getMany(['a', 'b', 'c'], { collection: 'c' })).toEqual([{ n: 1 }, undefined, { n: 3 }]);
    expect((await s.ttlMany(['b', 'a'], { collection: 'c' })).map((t) => t.value)).toEqual([
      undefined,
      { n: 1 },
    ]);
  });

  test('bad options are a StoreSetupError', () => {
    expect(() => new KeyvStore(new Keyv(), { namespace: '' })).toThrow(StoreSetupError);
    expect(() => new KeyvStore(new Map(), { namespace: 5 as unknown as string })).toThrow(StoreSetupError);
    expect(() => new KeyvStore(new Map(), 'ns' as unknown as KeyvStoreOptions)).toThrow(StoreSetupError);
    expect(() => new KeyvStore(null as unknown as Map<unknown, unknown>)).toThrow(StoreSetupError);
    expect(() => new KeyvStore(new Map(), { closeAdapter: 'yes' as unknown as boolean })).toThrow(
      StoreSetupError,
    );
  });

  test('take is get-then-delete: only the caller whose delete removed the entry gets the value', async () => {
    const s = track(new KeyvStore(new Keyv()));
    await s.put('code', { c: 1 }, { collection: 'codes' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.take('code', { collection: 'codes' })),
    );
    // Keyv's Map adapter reports whether delete removed the key, so exactly one wins here; other
    // adapters (e.g. @keyv/postgres) do not promise that, hence capabilities.atomic = false.
    expect(results.filter((r) => r !== undefined)).toEqual([{ c: 1 }]);
  });

  test('an adapter with an iterator Keyv does not know by dialect still enumerates', async () => {
    const memory = new MemoryStore();
    const adapter = toKeyv(memory, { collection: 'inner' });
    adapter.opts.dialect = 'custom';
    const s = track(new KeyvStore(adapter));
    expect(s.capabilities.keys).toBe(true);
    await s.putMany(
      [
        ['a', { n: 1 }],
        ['b', { n: 2 }],
      ],
      { collection: 'c' },
    );
    expect((await s.keys('c')).keys).toEqual(['a', 'b']);
    expect(await s.collections()).toEqual(['c']);
    await memory.close();
  });

  describe.skipIf(!redis.available)(`over @keyv/redis ${redis.description}`, () => {
    const namespace = uniqueName('oakv-keyv');
    const adapter = new KeyvRedis(redis.url);
    const keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true });
    afterAll(async () => {
      await keyv.clear();
      await keyv.disconnect();
    });
    describeConformance('KeyvStore over @keyv/redis', {
      createStore: () => new KeyvStore(keyv),
      persistent: true,
      sharedBacking: true,
      modelRuns: 10,
    });
  });
});

describe.skipIf(!redisBinaries)(
  'KeyvStore over @keyv/redis when Redis is down (private redis-server)',
  () => {
    test('a server that cannot be reached is a retryable StoreConnectionError', async () => {
      const port = await spareRedisPort();
      const adapter = new KeyvRedis(`redis://127.0.0.1:${port}`, { connectionTimeout: 300 });
      adapter.on('error', () => {});
      const s = new KeyvStore(new Keyv({ store: adapter, throwOnErrors: true }));
      // @keyv/redis gives up with a bare Error("Redis client is not connected ...").
      const err = await s.get('secret-code').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect((err as StoreConnectionError).retryable).toBe(true);
      expect((err as Error).message).not.toContain('secret-code');
      await s.close();
      await adapter.disconnect().catch(() => {});
    }, 30_000);

    test('a server killed under a connected client: StoreConnectionError, then it works again', async () => {
      const server = await startRedisServer();
      const client = createClient({ url: server.url, disableOfflineQueue: true });
      client.on('error', () => {});
      const adapter = new KeyvRedis(client, { throwOnErrors: true });
      const s = new KeyvStore(new Keyv({ store: adapter, namespace: 'down', throwOnErrors: true }));
      try {
        await s.put('k', { a: 1 });
        await server.kill();
        for (const op of [() => s.get('k'), () => s.put('k', { a: 2 }), () => s.getMany(['k'])]) {
          const err = await op().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(StoreConnectionError); // the redis client's ClientOfflineError
          expect((err as StoreConnectionError).code).toBe('STORE_CONNECTION');
        }
        await server.start(); // the AOF kept the acknowledged write
        let value: unknown;
        for (let i = 0; i < 100 && value === undefined; i++) {
          value = await s.get('k').catch(() => undefined);
          if (value === undefined) await new Promise((r) => setTimeout(r, 50));
        }
        expect(value).toEqual({ a: 1 });
      } finally {
        await s.close();
        await adapter.disconnect().catch(() => {});
        await server.destroy();
      }
    }, 30_000);
  },
);

// ---- oauth-kv → Keyv ---------------------------------------------------------------------------

describe('toKeyv over MemoryStore: the whole @keyv/test-suite', () => {
  const memory = new MemoryStore();
  const store = () => toKeyv(memory, { collection: 'keyv-suite' });
  keyvTestSuite(Vitest, Keyv, store);
  keyvIteratorTests(Vitest, Keyv, store);
});

describe('KeyvAdapter', () => {
  test('stores Keyv values as { v } in its collection, with the TTL as the entry TTL', async () => {
    const memory = new MemoryStore();
    const keyv = new Keyv({ store: toKeyv(memory, { collection: 'cache' }) });
    await keyv.set('greeting', 'hello', 60_000);
    await keyv.set('obj', { a: [1, 2] });
    const { value, ttl } = await memory.ttl('keyv:greeting', { collection: 'cache' });
    expect(value).toEqual({ v: expect.any(String) });
    expect(JSON.parse((value as { v: string }).v)).toMatchObject({ value: 'hello' });
    expect(ttl).toBeGreaterThan(55);
    expect(await keyv.get('obj')).toEqual({ a: [1, 2] });
    expect(await keyv.getMany(['greeting', 'missing', 'obj'])).toEqual(['hello', undefined, { a: [1, 2] }]);
    await memory.close();
  });

  test('without a serializer Keyv hands over objects; non-JSON values are refused', async () => {
    const adapter = new KeyvAdapter(new MemoryStore());
    await adapter.set('n', 42);
    expect(await adapter.get('n')).toBe(42);
    await expect(adapter.set('bad', { when: new Date() })).rejects.toBeInstanceOf(SerializationError);
    expect(await adapter.has('bad')).toBe(false);
  });

  test('clear() deletes only its namespace, and only in its collection', async () => {
    const memory = new MemoryStore();
    await memory.put('keyv1:x', { v: 'other collection' }, { collection: 'elsewhere' });
    const one = new Keyv({ store: toKeyv(memory, { collection: 'shared' }), namespace: 'keyv1' });
    const two = new Keyv({ store: toKeyv(memory, { collection: 'shared' }), namespace: 'keyv2' });
    await one.set('x', 1);
    await two.set('x', 2);
    await one.clear();
    expect(await one.get('x')).toBeUndefined();
    expect(await two.get('x')).toBe(2);
    expect(await memory.get('keyv1:x', { collection: 'elsewhere' })).toEqual({ v: 'other collection' });
    await memory.close();
  });

  test('clear() without a Keyv namespace empties the collection; without keys() it is refused', async () => {
    const memory = new MemoryStore();
    await memory.put('x', { v: 'kept' }, { collection: 'elsewhere' });
    const keyv = new Keyv({ store: toKeyv(memory, { collection: 'mine' }), namespace: undefined });
    await keyv.set('a', 1);
    await keyv.set('b:c', 2);
    expect(await memory.keys('mine')).toEqual({ keys: ['a', 'b:c'], cursor: undefined });
    await keyv.clear();
    expect(await memory.keys('mine')).toEqual({ keys: [], cursor: undefined });
    expect(await memory.get('x', { collection: 'elsewhere' })).toEqual({ v: 'kept' });
    const noKeys = new MemoryStore();
    Object.defineProperty(noKeys, 'capabilities', {
      value: { keys: false, collections: false, destroyCollection: false, cull: false, atomic: true },
    });
    const adapter = toKeyv(noKeys);
    adapter.namespace = 'ns';
    await expect(adapter.clear()).rejects.toBeInstanceOf(NotSupportedError);
    await memory.close();
    await noKeys.close();
  });

  test('a negative Keyv TTL (already expired) deletes instead of writing', async () => {
    const memory = new MemoryStore();
    const adapter = toKeyv(memory);
    await adapter.set('k', 'old');
    expect(await adapter.set('k', 'new', -1)).toBe(true);
    expect(await adapter.get('k')).toBeUndefined();
    await memory.close();
  });

  test('setMany groups entries by TTL and reports one true per entry', async () => {
    const memory = new MemoryStore();
    const keyv = new Keyv({ store: toKeyv(memory) });
    const results = await keyv.setMany([
      { key: 'a', value: 1, ttl: 60_000 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3, ttl: 60_000 },
    ]);
    expect(results).toEqual([true, true, true]);
    expect(await keyv.get(['a', 'b', 'c'])).toEqual([1, 2, 3]);
    const ttls = await memory.ttlMany(['keyv:a', 'keyv:b', 'keyv:c'], { collection: 'keyv' });
    expect(ttls.map((t) => t.ttl === undefined)).toEqual([false, true, false]);
    await memory.close();
  });

  test('disconnect() leaves the store open unless closeStoreOnDisconnect', async () => {
    const memory = new MemoryStore();
    await new Keyv({ store: toKeyv(memory) }).disconnect();
    await memory.put('still', { open: true });
    await new Keyv({ store: toKeyv(memory, { closeStoreOnDisconnect: true }) }).disconnect();
    await expect(memory.get('still')).rejects.toThrow(/closed/);
  });

  test('Keyv sees an iterator only when the store can enumerate keys', () => {
    const plain = new KeyvAdapter(new MemoryStore());
    expect(typeof new Keyv({ store: plain }).iterator).toBe('function');
    const noKeys: AsyncKeyValue = Object.create(new MemoryStore(), {
      capabilities: {
        value: { keys: false, collections: false, destroyCollection: false, cull: false, atomic: true },
      },
    });
    expect(new Keyv({ store: new KeyvAdapter(noKeys) }).iterator).toBeUndefined();
  });
});

describe.skipIf(!redis.available)(`toKeyv over RedisStore ${redis.description}`, () => {
  const prefix = `${uniqueName('oakv-tokeyv')}:`;
  const backing = new RedisStore({ url: redis.url, keyPrefix: prefix });
  afterAll(async () => {
    await backing.destroyCollection('keyv-suite');
    await backing.close();
  });
  const store = () => toKeyv(backing, { collection: 'keyv-suite' });
  keyvTestSuite(Vitest, Keyv, store);
  keyvIteratorTests(Vitest, Keyv, store);
});

describe.skipIf(!postgres.available)(`toKeyv over PostgresStore ${postgres.description}`, () => {
  const table = `keyv_${process.pid}_${Date.now().toString(36)}`;
  const backing = new PostgresStore({ url: postgres.url, table });
  afterAll(async () => {
    await backing.destroyCollection('keyv-suite');
    await backing.close();
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin.end();
  });
  const store = () => toKeyv(backing, { collection: 'keyv-suite' });
  keyvTestSuite(Vitest, Keyv, store);
  keyvIteratorTests(Vitest, Keyv, store);
});
