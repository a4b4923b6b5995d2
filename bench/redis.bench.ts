/**
 * RedisStore against the floor (raw ioredis sending the same commands and parsing the same
 * documents) and against `@keyv/redis` through Keyv 5, on the server at OAUTH_KV_TEST_REDIS_URL
 * (default: the local one). Every key lives under a per-run prefix, deleted afterwards (SCAN + UNLINK
 * on that prefix only).
 *
 * Targets: single operations within 1.25× of raw, at or ahead of Keyv; getMany(100) under 3× a
 * single get. Paired and interleaved (`comparePaired`, BENCH_REPS repetitions), written to
 * bench/results/redis.json.
 */
import { randomBytes } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { RedisStore } from '../src/stores/redis/index.js';
import { unlinkMatching } from '../test/helpers/redis-keys.js';
import {
  BENCH_COLLECTION,
  BENCH_KEYS,
  benchToken,
  comparePaired,
  pykvDocument,
  pykvStamps,
  pykvValue,
} from './lib.js';

const REDIS_URL = process.env.OAUTH_KV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export default async function run(): Promise<void> {
  const tag = `oauthkv_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const prefix = `${tag}:`;
  const raw = new Redis(REDIS_URL);
  const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const keyvStore = new KeyvRedis(REDIS_URL, { namespace: `${tag}-keyv` });
  const keyv = new Keyv({ store: keyvStore, namespace: `${tag}-keyv`, useKeyPrefix: false });
  keyv.on('error', () => {});
  try {
    const c = BENCH_COLLECTION;
    const value = benchToken();
    const keys = [...BENCH_KEYS];
    const entries = keys.map((k) => [k, value] as const);
    const rawKey = (k: string) => `${prefix}raw-${c}::${k}`;
    const rawKeys = keys.map(rawKey);
    /** The py-key-value document the store writes, built the plain way. */
    const doc = (key: string) => pykvDocument(c, key, value, pykvStamps(Date.now(), 3_600_000));
    await store.putMany(entries, { collection: c, ttl: 3600 });
    // The script the store runs for putMany with a TTL (the same command for the floor).
    const putManySha = (await raw.script(
      'LOAD',
      "local px = ARGV[#KEYS + 1]\nfor i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i], 'PX', px) end\nreturn #KEYS",
    )) as string;
    const rawPutMany = () => raw.evalsha(putManySha, rawKeys.length, ...rawKeys, ...keys.map(doc), 3_600_000);
    const seed = raw.multi();
    for (const k of keys) seed.set(rawKey(k), doc(k), 'PX', 3_600_000);
    await seed.exec();
    await keyv.setMany(keys.map((key) => ({ key, value, ttl: 3_600_000 })));

    let n = 0;
    const ours = {
      get: { name: 'oauth-kv get', run: () => store.get('token-1', { collection: c }) },
      put: { name: 'oauth-kv put', run: () => store.put('put-1', value, { collection: c, ttl: 3600 }) },
      take: {
        name: 'oauth-kv take',
        run: async () => {
          if ((await store.take(`take-${n}`, { collection: c })) === undefined) throw new Error('missing');
        },
        before: async () => {
          n++;
          await store.put(`take-${n}`, value, { collection: c, ttl: 3600 });
        },
      },
      getMany: { name: 'oauth-kv getMany(100)', run: () => store.getMany(keys, { collection: c }) },
      putMany: {
        name: 'oauth-kv putMany(100)',
        run: () => store.putMany(entries, { collection: c, ttl: 3600 }),
      },
    };
    const rawGet = { name: 'raw ioredis get', run: async () => pykvValue(await raw.get(rawKey('token-1'))) };
    const rawGetMany = {
      name: 'raw ioredis getMany(100)',
      run: async () => (await raw.mget(rawKeys)).map((text) => pykvValue(text)),
    };
    await comparePaired('redis', [
      { label: 'get / raw ioredis', target: '<= 1.25', a: ours.get, b: rawGet, iterations: 1500 },
      {
        label: 'put / raw ioredis',
        target: '<= 1.25',
        a: ours.put,
        b: { name: 'raw ioredis put', run: () => raw.set(rawKey('put-1'), doc('put-1'), 'PX', 3_600_000) },
        iterations: 1500,
      },
      {
        label: 'take / raw ioredis',
        target: '<= 1.25',
        a: ours.take,
        b: {
          name: 'raw ioredis take',
          run: async () => pykvValue(await raw.getdel(rawKey(`take-${n}`))),
          before: async () => {
            n++;
            await raw.set(rawKey(`take-${n}`), doc(`take-${n}`), 'PX', 3_600_000);
          },
        },
        iterations: 1000,
      },
      {
        label: 'getMany(100) / raw ioredis',
        target: '<= 1.25',
        a: ours.getMany,
        b: rawGetMany,
        iterations: 300,
      },
      {
        label: 'putMany(100) / raw ioredis',
        target: '<= 1.25',
        a: ours.putMany,
        b: { name: 'raw ioredis putMany(100)', run: rawPutMany },
        iterations: 300,
      },
      {
        label: 'get / keyv',
        target: '<= 1',
        a: ours.get,
        b: { name: 'keyv get', run: () => keyv.get('token-1') },
        iterations: 1500,
      },
      {
        label: 'put / keyv',
        target: '<= 1',
        a: ours.put,
        b: { name: 'keyv set', run: () => keyv.set('put-1', value, 3_600_000) },
        iterations: 1500,
      },
      {
        label: 'take / keyv get+delete',
        target: '<= 1',
        a: ours.take,
        b: {
          name: 'keyv get+delete',
          run: async () => {
            await keyv.get(`take-${n}`);
            await keyv.delete(`take-${n}`);
          },
          before: async () => {
            n++;
            await keyv.set(`take-${n}`, value, 3_600_000);
          },
        },
        iterations: 1000,
      },
      {
        label: 'getMany(100) / keyv',
        target: '<= 1',
        a: ours.getMany,
        b: { name: 'keyv getMany(100)', run: () => keyv.getMany(keys) },
        iterations: 300,
      },
      {
        label: 'putMany(100) / keyv',
        target: '<= 1',
        a: ours.putMany,
        b: {
          name: 'keyv setMany(100)',
          run: () => keyv.setMany(keys.map((key) => ({ key, value, ttl: 3_600_000 }))),
        },
        iterations: 300,
      },
      { label: 'getMany(100) / one get', target: '< 3', a: ours.getMany, b: ours.get, iterations: 500 },
      { label: 'raw getMany(100) / raw get', a: rawGetMany, b: rawGet, iterations: 500 },
      {
        label: 'getMany(100) / 100 sequential gets',
        a: ours.getMany,
        b: {
          name: 'oauth-kv 100 sequential gets',
          run: async () => {
            for (const key of keys) await store.get(key, { collection: c });
          },
        },
        iterations: 30,
      },
    ]);
  } finally {
    await store.close();
    await keyv.disconnect().catch(() => {});
    await unlinkMatching(raw, `${tag}*`);
    raw.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
