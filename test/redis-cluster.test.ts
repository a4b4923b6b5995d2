/**
 * RedisStore on its own three-master Redis Cluster (started from `redis-server` on spare ports,
 * joined with `redis-cli --cluster create`, torn down afterwards): the conformance suite, hash-slot
 * grouping of bulk operations, and scans that visit every master.
 */
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { StoreConnectionError } from '../src/errors.js';
import { hashSlot, RedisStore } from '../src/stores/redis/index.js';
import { uniqueName } from './harness/backends.js';
import {
  type RedisClusterProcess,
  redisBinariesAvailable,
  redisCli,
  startRedisCluster,
} from './helpers/redis-server.js';

const available = await redisBinariesAvailable();
if (!available && (process.env.CI === 'true' || process.env.CI === '1')) {
  throw new Error('CI=true but redis-server/redis-cli are not installed');
}
// The cluster is started at import so describeConformance can be registered with its nodes.
// It requires a password, given only in the first node URL: the store applies it to every node.
const password = 'cluster-pw';
const cluster: RedisClusterProcess | undefined = available
  ? await startRedisCluster({ password })
  : undefined;
const nodes = (cluster?.nodes ?? []).map((n, i) =>
  i === 0 ? `redis://:${password}@${n.host}:${n.port}` : `${n.host}:${n.port}`,
);
const adminOptions = { redisOptions: { password } };
const prefix = `${uniqueName('oauthkv')}:`;

describe.skipIf(cluster === undefined)('RedisStore on a 3-master Redis Cluster (private)', () => {
  const stores: RedisStore[] = [];
  const make = () => {
    const store = new RedisStore({ clusterNodes: nodes, keyPrefix: prefix });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  describeConformance('RedisStore (Cluster)', {
    createStore: () => new RedisStore({ clusterNodes: nodes, keyPrefix: prefix }),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
  });

  test('hashSlot() agrees with CLUSTER KEYSLOT, hashtags and multi-byte keys included', async () => {
    const keys = [
      'foo',
      '',
      `${prefix}mcp-oauth-proxy-clients::https://app.example/client.json`,
      '{user1}.following',
      'a{}b{c}',
      'x{y',
      '{}{z}',
      'Grüße 世界 🌏',
      'emoji{🔑}tag',
      '%a%3A%3Ab::c',
    ];
    for (const key of keys) {
      expect(hashSlot(key), key).toBe(
        Number(
          await redisCli(cluster!.ports[0]!, '--no-auth-warning', '-a', password, 'CLUSTER', 'KEYSLOT', key),
        ),
      );
    }
  });

  describe('bulk operations across slots and scans across masters', () => {
    let admin: Cluster;
    beforeAll(async () => {
      admin = new Cluster(cluster!.nodes, adminOptions);
      await admin.ping();
    });
    afterAll(() => {
      admin.disconnect();
    });

    test('100 keys spread over every master: getMany, putMany (with and without TTL), deleteMany, keys, collections, destroyCollection', async () => {
      const store = make();
      const collection = 'spread';
      const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
      const slots = new Set(keys.map((k) => hashSlot(`${prefix}${collection}::${k}`)));
      expect(slots.size).toBeGreaterThan(50);
      await store.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection },
      );
      await store.putMany(
        keys.slice(0, 50).map((k, i) => [k, { i, ttl: true }] as const),
        { collection, ttl: 600 },
      );
      // Each master holds some of them.
      const perMaster = await Promise.all(
        admin.nodes('master').map(async (node) => {
          let n = 0;
          let cursor = '0';
          do {
            const [next, batch] = await node.scan(
              cursor,
              'MATCH',
              `${prefix}${collection}::*`,
              'COUNT',
              1000,
            );
            n += batch.length;
            cursor = next;
          } while (cursor !== '0');
          return n;
        }),
      );
      expect(perMaster.length).toBe(3);
      for (const n of perMaster) expect(n).toBeGreaterThan(0);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(100);

      const values = await store.getMany([...keys, 'missing'], { collection });
      expect(values.slice(0, 50)).toEqual(keys.slice(0, 50).map((_, i) => ({ i, ttl: true })));
      expect(values.slice(50, 100)).toEqual(keys.slice(50).map((_, i) => ({ i: i + 50 })));
      expect(values[100]).toBeUndefined();
      const ttls = await store.ttlMany(keys.slice(0, 2), { collection });
      expect(ttls[0]?.ttl).toBeGreaterThan(590);

      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.keys(collection, { limit: 9, cursor });
        listed.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== undefined && ++pages < 1000);
      expect(listed.sort()).toEqual([...keys].sort());
      expect(await store.collections()).toContain(collection);

      expect(await store.deleteMany([...keys.slice(0, 30), 'missing'], { collection })).toBe(30);
      expect(await store.take('key-99', { collection })).toEqual({ i: 99 });
      expect(await store.destroyCollection(collection)).toBe(true);
      expect(await store.getMany(keys, { collection })).toEqual(keys.map(() => undefined));
      expect(await store.collections()).not.toContain(collection);
    });

    test('keyIndex on a Cluster: keys spread over every master are listed in order from the index; removed and expired keys are left out', async () => {
      const store = new RedisStore({ clusterNodes: nodes, keyPrefix: prefix, keyIndex: true });
      stores.push(store);
      const collection = 'indexed';
      const keys = Array.from({ length: 60 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
      await store.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection },
      );
      await store.put('short', { s: 1 }, { collection, ttl: 0.3 });
      expect(await store.deleteMany(keys.slice(0, 10), { collection })).toBe(10);
      expect(await store.take('key-10', { collection })).toEqual({ i: 10 });
      await new Promise((r) => setTimeout(r, 450));
      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.keys(collection, { limit: 7, cursor });
        listed.push(...page.keys);
        cursor = page.cursor;
      } while (cursor !== undefined && ++pages < 100);
      expect(listed).toEqual(keys.slice(11));
      expect(await store.destroyCollection(collection)).toBe(true);
      expect((await store.keys(collection)).keys).toEqual([]);
    });

    test('a Cluster client passed in is used as is and left open by close()', async () => {
      const client = new Cluster(cluster!.nodes, adminOptions);
      try {
        const store = new RedisStore({ client, keyPrefix: prefix });
        await store.putMany(
          [
            ['a', { a: 1 }],
            ['b', { b: 2 }],
          ],
          { collection: 'own', ttl: 60 },
        );
        expect(await store.getMany(['a', 'b'], { collection: 'own' })).toEqual([{ a: 1 }, { b: 2 }]);
        await store.close();
        expect(await client.get(`${prefix}own::a`)).toContain('"value":{"a":1}');
      } finally {
        client.disconnect();
      }
    });
  });

  // Last: it kills a master, so the cluster is not usable afterwards.
  test('a master killed mid-run: operations on its slots fail with StoreConnectionError instead of hanging', async () => {
    const store = new RedisStore({ clusterNodes: nodes, keyPrefix: prefix, commandTimeoutMs: 4_000 });
    stores.push(store);
    const collection = 'node-down';
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await store.putMany(
      keys.map((k) => [k, { k }] as const),
      { collection },
    );
    const victim = cluster!.servers[2]!;
    await victim.kill();
    const results = await Promise.allSettled(keys.map((k) => store.get(k, { collection })));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0); // the killed master held some of the 60 keys
    for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreConnectionError);
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') expect(r.value).toEqual({ k: keys[i] });
    }
    await expect(store.getMany(keys, { collection })).rejects.toBeInstanceOf(StoreConnectionError);
  }, 60_000);
});
