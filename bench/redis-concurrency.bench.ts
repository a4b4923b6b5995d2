/**
 * RedisStore `get` with 1, 10, 100 and 1000 operations in flight, against raw ioredis (parsing the
 * same document), raw ioredis with `enableAutoPipelining`, Keyv with `@keyv/redis` (node-redis) and
 * unstorage's redis driver, on the server at OAUTH_KV_TEST_REDIS_URL.
 *
 * Each ratio comes from bench/lib.ts `comparePaired`: a sample is a turn of gets at the given
 * concurrency, ours and the contender alternate turn by turn, repeated `BENCH_REPS` times (default
 * 3), reported as the median with min-max. Every key lives under a per-run prefix, deleted
 * afterwards.
 *
 * `OAUTH_KV_BASELINE=/path/to/an/older/checkout` adds that checkout's RedisStore as one more
 * contender ("oauth-kv before"): a paired before/after measurement.
 */
import { randomBytes } from 'node:crypto';
import KeyvRedis from '@keyv/redis';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { createStorage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import { RedisStore } from '../src/stores/redis/index.js';
import { unlinkMatching } from '../test/helpers/redis-keys.js';
import {
  BENCH_COLLECTION,
  benchToken,
  type Comparison,
  comparePaired,
  pykvDocument,
  pykvStamps,
  pykvValue,
} from './lib.js';

const REDIS_URL = process.env.OAUTH_KV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEVELS = [1, 10, 100, 1000];

/** Gets per timed sample (the µs in the table are per sample), by operations in flight. */
const TURN: Record<number, number> = { 1: 40, 10: 200, 100: 1_000, 1000: 4_000 };
/** Pairs of samples per repetition, by operations in flight. */
const ITERATIONS: Record<number, number> = { 1: 30, 10: 20, 100: 12, 1000: 8 };

/** `total` gets issued from `inFlight` concurrent loops. */
async function gets(get: () => Promise<unknown>, inFlight: number, total: number): Promise<void> {
  let left = total;
  const loop = async (): Promise<void> => {
    while (left-- > 0) await get();
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
}

export default async function run(): Promise<void> {
  const tag = `oauthkv_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const prefix = `${tag}:`;
  const c = BENCH_COLLECTION;
  const value = benchToken();
  const raw = new Redis(REDIS_URL);
  const rawAuto = new Redis(REDIS_URL, { enableAutoPipelining: true });
  const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const keyvStore = new KeyvRedis(REDIS_URL, { namespace: `${tag}-keyv` });
  const keyv = new Keyv({ store: keyvStore, namespace: `${tag}-keyv`, useKeyPrefix: false });
  keyv.on('error', () => {});
  const baselineDir = process.env.OAUTH_KV_BASELINE;
  const before =
    baselineDir === undefined
      ? undefined
      : new (
          (await import(`${baselineDir}/src/stores/redis/index.ts`)) as { RedisStore: typeof RedisStore }
        ).RedisStore({ url: REDIS_URL, keyPrefix: prefix });
  const unstorage = createStorage({ driver: redisDriver({ url: REDIS_URL, base: `${tag}-unstorage` }) });
  try {
    await store.put('token-1', value, { collection: c, ttl: 3600 });
    const rawKey = `${prefix}raw-${c}::token-1`;
    const document = pykvDocument(c, 'token-1', value, pykvStamps(Date.now(), 3_600_000));
    await raw.set(rawKey, document, 'PX', 3_600_000);
    await keyv.set('token-1', value, 3_600_000);
    await unstorage.setItem('token-1', value);
    const contenders: Record<string, () => Promise<unknown>> = {
      'oauth-kv': async () => {
        if ((await store.get('token-1', { collection: c })) === undefined) throw new Error('missing');
      },
      ...(before === undefined
        ? {}
        : {
            'oauth-kv before': async () => {
              if ((await before.get('token-1', { collection: c })) === undefined) throw new Error('missing');
            },
          }),
      'raw ioredis': async () => pykvValue(await raw.get(rawKey)),
      'raw ioredis autopipelining': async () => pykvValue(await rawAuto.get(rawKey)),
      'keyv (@keyv/redis)': async () => {
        if ((await keyv.get('token-1')) === undefined) throw new Error('missing');
      },
      'unstorage (redis driver)': async () => {
        if ((await unstorage.getItem('token-1')) === null) throw new Error('missing');
      },
    };
    // One sample is a turn of TURN[n] gets from n concurrent loops; ours and a contender alternate
    // turn by turn (comparePaired: paired, interleaved, repeated BENCH_REPS times).
    const comparisons: Comparison[] = [];
    for (const inFlight of LEVELS) {
      const turn = TURN[inFlight]!;
      const side = (name: string) => ({
        name: `${name} ×${inFlight}`,
        run: () => gets(contenders[name]!, inFlight, turn),
      });
      for (const name of Object.keys(contenders)) {
        if (name === 'oauth-kv') continue;
        comparisons.push({
          label: `${String(inFlight).padStart(4)} in flight: oauth-kv / ${name}`,
          target: name.startsWith('keyv') && inFlight >= 10 && inFlight <= 100 ? '<= 1' : undefined,
          a: side('oauth-kv'),
          b: side(name),
          iterations: ITERATIONS[inFlight]!,
        });
      }
    }
    await comparePaired(process.env.BENCH_RESULT_NAME ?? 'redis-concurrency', comparisons);
  } finally {
    await store.close();
    await before?.close();
    await keyv.disconnect().catch(() => {});
    await unstorage.dispose().catch(() => {});
    await unlinkMatching(raw, `${tag}*`);
    raw.disconnect();
    rawAuto.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
