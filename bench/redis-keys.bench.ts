/**
 * RedisStore `keys()` of one 100-key collection in a database of 1k, 10k and 100k keys, by `SCAN`
 * (the default) and from the key index (`keyIndex`): round trips of a full pass and the time of one
 * page. Runs on a private redis-server (own port, no persistence) it starts and stops, never on the
 * shared one: databases 0, 1 and 2 hold the three sizes, so pages at every size are measured
 * interleaved (paired) in one process. Time ratios are page(n) / page(1k) of the same mode, median
 * with min-max over the repetitions.
 */
import { Redis } from 'ioredis';
import { RedisStore } from '../src/stores/redis/index.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { pairedRatio, writeResult } from './lib.js';

const SIZES = [1_000, 10_000, 100_000];
const REPETITIONS = Number(process.env.BENCH_ROUNDS ?? 5);
const COLLECTION = 'mcp-oauth-proxy-clients';

function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

/** Counts the round trips a client makes (a command sent after every earlier one was answered). */
function countRoundTrips(client: Redis): { count: () => number; reset: () => void } {
  const original = client.sendCommand.bind(client);
  let trips = 0;
  let inFlight = 0;
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: never) => {
    if (inFlight === 0) trips++;
    inFlight++;
    const done = () => {
      inFlight--;
    };
    command.promise.then(done, done);
    return original(command, stream);
  }) as Redis['sendCommand'];
  return {
    count: () => trips,
    reset: () => {
      trips = 0;
    },
  };
}

export default async function run(): Promise<void> {
  const server = await startRedisServer(['--appendonly', 'no', '--save', '']);
  const clients: Redis[] = [];
  const stores: RedisStore[] = [];
  try {
    const setups = await Promise.all(
      SIZES.map(async (size, db) => {
        const client = new Redis(`${server.url}/${db}`);
        clients.push(client);
        // Other collections fill the database up to `size` keys.
        for (let start = 0; start < size - 100; start += 10_000) {
          const args: string[] = [];
          for (let i = start; i < Math.min(size - 100, start + 10_000); i++) {
            args.push(`other-${i % 50}::key-${i}`, '{"value":{}}');
          }
          await client.mset(args);
        }
        const scan = new RedisStore({ client });
        const indexed = new RedisStore({ client, keyIndex: [COLLECTION] });
        stores.push(scan, indexed);
        await indexed.putMany(
          Array.from({ length: 100 }, (_, i) => [`client-${String(i).padStart(3, '0')}`, { i }] as const),
          { collection: COLLECTION },
        );
        return { size, client, scan, indexed, trips: countRoundTrips(client) };
      }),
    );
    const fullPass = async (store: RedisStore, limit: number) => {
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = await store.keys(COLLECTION, { limit, cursor });
        n += page.keys.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      if (n !== 100) throw new Error(`listed ${n} keys`);
    };
    const out: Record<string, unknown> = {};
    console.log('\n## redis-keys (one 100-key collection; round trips of a full pass)');
    for (const s of setups) {
      const row: Record<string, number> = {};
      for (const [mode, store] of [
        ['scan', s.scan],
        ['index', s.indexed],
      ] as const) {
        for (const limit of [100, 10]) {
          s.trips.reset();
          await fullPass(store, limit);
          row[`${mode} limit ${limit}`] = s.trips.count();
        }
      }
      out[`round trips at ${s.size}`] = row;
      console.log(`  ${s.size} keys in the database:`, row);
    }
    console.log('\n## redis-keys (time of one page of 10, and of a full pass, n / 1k, paired)');
    const base = setups[0]!;
    for (const s of setups.slice(1)) {
      for (const mode of ['scan', 'index'] as const) {
        const pick = (x: typeof s) => (mode === 'scan' ? x.scan : x.indexed);
        for (const [label, op] of [
          ['page of 10', (st: RedisStore) => st.keys(COLLECTION, { limit: 10 })],
          ['full pass (pages of 10)', (st: RedisStore) => fullPass(st, 10)],
        ] as const) {
          const ratios: number[] = [];
          const ms: number[] = [];
          for (let r = 0; r < REPETITIONS; r++) {
            const res = await pairedRatio(
              { run: () => op(pick(s)) },
              { run: () => op(pick(base)) },
              mode === 'scan' && s.size === 100_000 ? 10 : 60,
            );
            ratios.push(res.ratio);
            ms.push(res.medianA);
          }
          const sp = spread(ratios);
          out[`${mode} ${label} ${s.size}/1k`] = { ...sp, msAtSize: spread(ms) };
          console.log(
            `  ${mode} ${label}: ${s.size} / 1k = ${sp.median.toFixed(2)}× (${sp.min.toFixed(2)}-${sp.max.toFixed(2)}), ${spread(ms).median.toFixed(2)} ms at ${s.size}`,
          );
        }
      }
    }
    writeResult(process.env.BENCH_RESULT_NAME ?? 'redis-keys', {
      suite: 'redis-keys',
      repetitions: REPETITIONS,
      results: out,
    });
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    for (const c of clients) c.disconnect();
    await server.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
