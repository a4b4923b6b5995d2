/**
 * RedisStore `get` with 1, 10, 100 and 1000 operations in flight, against raw ioredis (parsing the
 * same document), raw ioredis with `enableAutoPipelining`, Keyv with `@keyv/redis` (node-redis) and
 * unstorage's redis driver, on the server at OAUTH_KV_TEST_REDIS_URL.
 *
 * Each round gives every contender ten short turns, interleaved in an order rotated from turn to
 * turn, each turn the same number of gets from N concurrent loops; the ratio ours/contender is taken
 * within a round (the two shared the machine's load) and reported as the median with min-max over
 * the rounds. Every key lives under a per-run prefix, deleted afterwards.
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
import { BENCH_COLLECTION, benchToken, writeResult } from './lib.js';

const REDIS_URL = process.env.OAUTH_KV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEVELS = [1, 10, 100, 1000];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Turns of every contender per round. */
const SLICES = 10;

/** Median and range of a list. */
function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

/** Time per get (µs) of `total` gets issued from `inFlight` concurrent loops. */
async function timePerGet(get: () => Promise<unknown>, inFlight: number, total: number): Promise<number> {
  let left = total;
  const loop = async (): Promise<void> => {
    while (left-- > 0) await get();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  return ((performance.now() - started) * 1000) / total;
}

async function unlinkMatching(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(keys);
    cursor = next;
  } while (cursor !== '0');
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
    const now = Date.now();
    await raw.set(
      rawKey,
      JSON.stringify({
        collection: c,
        created_at: new Date(now).toISOString().replace('Z', '+00:00'),
        expires_at: new Date(now + 3_600_000).toISOString().replace('Z', '+00:00'),
        key: 'token-1',
        value,
        version: 1,
      }),
      'PX',
      3_600_000,
    );
    await keyv.set('token-1', value, 3_600_000);
    await unstorage.setItem('token-1', value);
    const parse = (text: string | null) => {
      if (text === null) throw new Error('missing');
      const d = JSON.parse(text) as { value: unknown; expires_at?: string };
      if (d.expires_at !== undefined && Date.parse(d.expires_at) <= Date.now()) return undefined;
      return d.value;
    };
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
      'raw ioredis': async () => parse(await raw.get(rawKey)),
      'raw ioredis autopipelining': async () => parse(await rawAuto.get(rawKey)),
      'keyv (@keyv/redis)': async () => {
        if ((await keyv.get('token-1')) === undefined) throw new Error('missing');
      },
      'unstorage (redis driver)': async () => {
        if ((await unstorage.getItem('token-1')) === null) throw new Error('missing');
      },
    };
    const names = Object.keys(contenders);
    const results: Record<string, unknown> = {};
    console.log('\n## redis-concurrency (ours / each: median (min-max) over rounds; µs per get)');
    for (const inFlight of LEVELS) {
      const total = inFlight === 1 ? 2_000 : inFlight === 10 ? 6_000 : inFlight === 100 ? 20_000 : 40_000;
      // Warm-up: every contender once.
      for (const name of names) await timePerGet(contenders[name]!, inFlight, Math.min(total, 2_000));
      const perRound: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
      for (let round = 0; round < ROUNDS; round++) {
        // A round is SLICES short turns of every contender, in an order rotated from turn to turn:
        // load that changes within a round falls on all of them alike.
        const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
        for (let slice = 0; slice < SLICES; slice++) {
          const order = names.map((_, i) => names[(i + slice + round) % names.length]!);
          if (slice % 2 === 1) order.reverse();
          for (const name of order)
            sums[name]! += await timePerGet(contenders[name]!, inFlight, total / SLICES);
        }
        for (const name of names) perRound[name]!.push(sums[name]! / SLICES);
      }
      const ours = perRound['oauth-kv']!;
      const level: Record<string, unknown> = { usPerGet: {} };
      for (const name of names) {
        (level.usPerGet as Record<string, unknown>)[name] = spread(perRound[name]!);
        if (name === 'oauth-kv') continue;
        const ratios = ours.map((t, i) => t / perRound[name]![i]!);
        level[`oauth-kv / ${name}`] = spread(ratios);
        const s = spread(ratios);
        console.log(
          `  ${String(inFlight).padStart(4)} in flight  oauth-kv / ${name}: ${s.median.toFixed(2)}× (${s.min.toFixed(2)}-${s.max.toFixed(2)})`,
        );
      }
      const o = spread(ours);
      console.log(`  ${String(inFlight).padStart(4)} in flight  oauth-kv: ${o.median.toFixed(1)} µs per get`);
      results[String(inFlight)] = level;
    }
    writeResult(process.env.BENCH_RESULT_NAME ?? 'redis-concurrency', {
      suite: 'redis-concurrency',
      rounds: ROUNDS,
      levels: results,
    });
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
