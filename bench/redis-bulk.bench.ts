/**
 * RedisStore getMany(100) and putMany(100, ttl) against raw ioredis sending the same commands
 * (MGET and parsing the same documents; the same put-many script by EVALSHA with the documents built
 * the plain way), on the server at OAUTH_KV_TEST_REDIS_URL, with bench/lib.ts `comparePaired`
 * (paired, interleaved, `BENCH_REPS` repetitions, median with min-max). `OAUTH_KV_BASELINE=/path/to/an/older/checkout` adds that checkout's store.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/stores/redis/index.js';
import {
  BENCH_COLLECTION,
  BENCH_KEYS,
  benchToken,
  type Comparison,
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
  const baselineDir = process.env.OAUTH_KV_BASELINE;
  const before =
    baselineDir === undefined
      ? undefined
      : new (
          (await import(`${baselineDir}/src/stores/redis/index.ts`)) as { RedisStore: typeof RedisStore }
        ).RedisStore({ url: REDIS_URL, keyPrefix: `${prefix}before:` });
  try {
    const c = BENCH_COLLECTION;
    const value = benchToken();
    const keys = [...BENCH_KEYS];
    const entries = keys.map((k) => [k, value] as const);
    const rawKeys = keys.map((k) => `${prefix}raw-${c}::${k}`);
    /** The py-key-value document the store writes, built the plain way. */
    const doc = (key: string) => pykvDocument(c, key, value, pykvStamps(Date.now(), 3_600_000));
    const sha = (await raw.script(
      'LOAD',
      "local px = ARGV[#KEYS + 1]\nfor i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i], 'PX', px) end\nreturn #KEYS",
    )) as string;
    const rawPutMany = () => raw.evalsha(sha, rawKeys.length, ...rawKeys, ...keys.map(doc), 3_600_000);
    const rawGetMany = async () => (await raw.mget(rawKeys)).map((text) => pykvValue(text));
    await rawPutMany();
    await store.putMany(entries, { collection: c, ttl: 3600 });
    await before?.putMany(entries, { collection: c, ttl: 3600 });
    const get = { name: 'oauth-kv getMany(100)', run: () => store.getMany(keys, { collection: c }) };
    const put = {
      name: 'oauth-kv putMany(100, ttl)',
      run: () => store.putMany(entries, { collection: c, ttl: 3600 }),
    };
    const comparisons: Comparison[] = [
      {
        label: 'getMany(100) / raw MGET',
        target: '<= 1.1',
        a: get,
        b: { name: 'raw MGET + parse', run: rawGetMany },
        iterations: 400,
      },
      {
        label: 'putMany(100, ttl) / raw EVALSHA',
        target: '<= 1.1',
        a: put,
        b: { name: 'raw EVALSHA', run: rawPutMany },
        iterations: 300,
      },
    ];
    if (before !== undefined) {
      comparisons.push(
        {
          label: 'getMany(100) / before',
          a: get,
          b: { name: 'before getMany(100)', run: () => before.getMany(keys, { collection: c }) },
          iterations: 400,
        },
        {
          label: 'putMany(100, ttl) / before',
          a: put,
          b: {
            name: 'before putMany(100, ttl)',
            run: () => before.putMany(entries, { collection: c, ttl: 3600 }),
          },
          iterations: 300,
        },
      );
    }
    await comparePaired(process.env.BENCH_RESULT_NAME ?? 'redis-bulk', comparisons);
  } finally {
    await store.close();
    await before?.close();
    let cursor = '0';
    do {
      const [next, found] = await raw.scan(cursor, 'MATCH', `${tag}*`, 'COUNT', 1000);
      if (found.length > 0) await raw.unlink(found);
      cursor = next;
    } while (cursor !== '0');
    raw.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
