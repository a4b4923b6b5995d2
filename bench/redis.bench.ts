/**
 * RedisStore against the floor (raw ioredis sending the same commands and parsing the same
 * documents) and against `@keyv/redis` through Keyv 5, on the server at OAUTH_KV_TEST_REDIS_URL
 * (default: the local one). Every key lives under a per-run prefix, deleted afterwards (SCAN + UNLINK
 * on that prefix only).
 *
 * Targets: single operations within 1.25× of raw, at or ahead of Keyv; getMany(100) under 3× a
 * single get.
 */
import { randomBytes } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { RedisStore } from '../src/stores/redis/index.js';
import {
  BENCH_COLLECTION,
  BENCH_KEYS,
  benchToken,
  newBench,
  pairedRatio,
  report,
  writeResult,
} from './lib.js';

const REDIS_URL = process.env.OAUTH_KV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function unlinkMatching(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(keys);
    cursor = next;
  } while (cursor !== '0');
}

/** The ratio of a paired measurement; `setup` runs untimed before each side. */
async function paired(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  iterations: number,
  setup?: () => Promise<void>,
): Promise<number> {
  return (await pairedRatio({ run: a, before: setup }, { run: b, before: setup }, iterations)).ratio;
}

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
    const doc = (key: string) => {
      const now = Date.now();
      return JSON.stringify({
        collection: c,
        created_at: new Date(now).toISOString().replace('Z', '+00:00'),
        expires_at: new Date(now + 3_600_000).toISOString().replace('Z', '+00:00'),
        key,
        value,
        version: 1,
      });
    };
    const parse = (text: string | null) => {
      if (text === null) throw new Error('missing');
      const d = JSON.parse(text) as { value: unknown; expires_at?: string };
      if (d.expires_at !== undefined && Date.parse(d.expires_at) <= Date.now()) return undefined;
      return d.value;
    };
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
    const bench = newBench({ time: 1500 });
    bench
      .add('oauth-kv get', async () => {
        await store.get('token-1', { collection: c });
      })
      .add('raw ioredis get', async () => {
        parse(await raw.get(rawKey('token-1')));
      })
      .add('keyv get', async () => {
        await keyv.get('token-1');
      })
      .add('oauth-kv put', async () => {
        await store.put('put-1', value, { collection: c, ttl: 3600 });
      })
      .add('raw ioredis put', async () => {
        await raw.set(rawKey('put-1'), doc('put-1'), 'PX', 3_600_000);
      })
      .add('keyv set', async () => {
        await keyv.set('put-1', value, 3_600_000);
      })
      .add(
        'oauth-kv take',
        async () => {
          if ((await store.take(`take-${n}`, { collection: c })) === undefined) throw new Error('missing');
        },
        {
          beforeEach: async () => {
            n++;
            await store.put(`take-${n}`, value, { collection: c, ttl: 3600 });
          },
        },
      )
      .add(
        'raw ioredis take',
        async () => {
          parse(await raw.getdel(rawKey(`take-${n}`)));
        },
        {
          beforeEach: async () => {
            n++;
            await raw.set(rawKey(`take-${n}`), doc(`take-${n}`), 'PX', 3_600_000);
          },
        },
      )
      .add(
        'keyv get+delete',
        async () => {
          await keyv.get(`take-${n}`);
          await keyv.delete(`take-${n}`);
        },
        {
          beforeEach: async () => {
            n++;
            await keyv.set(`take-${n}`, value, 3_600_000);
          },
        },
      )
      .add('oauth-kv getMany(100)', async () => {
        await store.getMany(keys, { collection: c });
      })
      .add('raw ioredis getMany(100)', async () => {
        (await raw.mget(rawKeys)).map(parse);
      })
      .add('keyv getMany(100)', async () => {
        await keyv.getMany(keys);
      })
      .add('oauth-kv putMany(100)', async () => {
        await store.putMany(entries, { collection: c, ttl: 3600 });
      })
      .add('raw ioredis putMany(100)', async () => {
        await rawPutMany();
      })
      .add('keyv setMany(100)', async () => {
        await keyv.setMany(keys.map((key) => ({ key, value, ttl: 3_600_000 })));
      })
      .add('oauth-kv 100 sequential gets', async () => {
        for (const key of keys) await store.get(key, { collection: c });
      });

    await report('redis', bench, {
      'get / raw': ['oauth-kv get', 'raw ioredis get'],
      'put / raw': ['oauth-kv put', 'raw ioredis put'],
      'take / raw': ['oauth-kv take', 'raw ioredis take'],
      'getMany(100) / raw': ['oauth-kv getMany(100)', 'raw ioredis getMany(100)'],
      'putMany(100) / raw': ['oauth-kv putMany(100)', 'raw ioredis putMany(100)'],
      'get / keyv': ['oauth-kv get', 'keyv get'],
      'put / keyv': ['oauth-kv put', 'keyv set'],
      'take / keyv get+delete': ['oauth-kv take', 'keyv get+delete'],
      'getMany(100) / keyv': ['oauth-kv getMany(100)', 'keyv getMany(100)'],
      'putMany(100) / keyv': ['oauth-kv putMany(100)', 'keyv setMany(100)'],
      'getMany(100) / single get': ['oauth-kv getMany(100)', 'oauth-kv get'],
      'getMany(100) / 100 sequential gets': ['oauth-kv getMany(100)', 'oauth-kv 100 sequential gets'],
    });

    // The same ratios, measured alternately (medians): the figures to quote on a shared machine.
    const pairedRatios: Record<string, number> = {};
    const getOurs = () => store.get('token-1', { collection: c });
    const getRaw = async () => parse(await raw.get(rawKey('token-1')));
    let m = 0;
    pairedRatios['get / raw'] = await paired(getOurs, getRaw, 3000);
    pairedRatios['get / keyv'] = await paired(getOurs, () => keyv.get('token-1'), 3000);
    pairedRatios['put / raw'] = await paired(
      () => store.put('put-1', value, { collection: c, ttl: 3600 }),
      () => raw.set(rawKey('put-1'), doc('put-1'), 'PX', 3_600_000),
      3000,
    );
    pairedRatios['put / keyv'] = await paired(
      () => store.put('put-1', value, { collection: c, ttl: 3600 }),
      () => keyv.set('put-1', value, 3_600_000),
      3000,
    );
    pairedRatios['take / raw'] = await paired(
      () => store.take(`ptake-${m}`, { collection: c }),
      async () => parse(await raw.getdel(rawKey(`ptake-${m}`))),
      3000,
      async () => {
        m++;
        await store.put(`ptake-${m}`, value, { collection: c, ttl: 3600 });
        await raw.set(rawKey(`ptake-${m}`), doc(`ptake-${m}`), 'PX', 3_600_000);
      },
    );
    pairedRatios['getMany(100) / raw'] = await paired(
      () => store.getMany(keys, { collection: c }),
      async () => (await raw.mget(rawKeys)).map(parse),
      400,
    );
    pairedRatios['getMany(100) / keyv'] = await paired(
      () => store.getMany(keys, { collection: c }),
      () => keyv.getMany(keys),
      400,
    );
    pairedRatios['putMany(100) / raw'] = await paired(
      () => store.putMany(entries, { collection: c, ttl: 3600 }),
      rawPutMany,
      300,
    );
    pairedRatios['putMany(100) / keyv'] = await paired(
      () => store.putMany(entries, { collection: c, ttl: 3600 }),
      () => keyv.setMany(keys.map((key) => ({ key, value, ttl: 3_600_000 }))),
      300,
    );
    pairedRatios['getMany(100) / single get'] = await paired(
      () => store.getMany(keys, { collection: c }),
      getOurs,
      1000,
    );
    pairedRatios['raw getMany(100) / raw single get'] = await paired(
      async () => (await raw.mget(rawKeys)).map(parse),
      getRaw,
      1000,
    );
    console.log('\n## redis (paired, medians)');
    for (const [label, ratio] of Object.entries(pairedRatios))
      console.log(`  ${label}: ${ratio.toFixed(2)}×`);
    writeResult('redis-paired', { suite: 'redis-paired', ratios: pairedRatios });
  } finally {
    await store.close();
    await keyv.disconnect().catch(() => {});
    await unlinkMatching(raw, `${tag}*`);
    raw.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
