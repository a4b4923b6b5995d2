/**
 * PostgresStore `keys()` paging at 1k, 10k and 100k rows in a collection, all in one table
 * (bench/paging.ts): one page at a random depth and a full pass per key, the larger collection over
 * the 1k one (target <= 1.5), under PostgreSQL's default plan choice and with
 * `plan_cache_mode = force_generic_plan` (what a prepared statement ends up with after five runs
 * when the planner prefers it). On the server at OAUTH_KV_TEST_POSTGRES_URL; creates and drops its
 * own schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { benchPaging, pagingKey, pagingSizes } from './paging.js';

const URL = process.env.OAUTH_KV_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export default async function run(): Promise<void> {
  const schema = `oauthkv_bench_paging_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: URL, max: 1 });
  admin.on('error', () => {});
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const store = new PostgresStore({ poolConfig: { connectionString: URL, max: 2 }, schema });
  const generic = new PostgresStore({
    poolConfig: { connectionString: URL, max: 2, options: '-c plan_cache_mode=force_generic_plan' },
    schema,
  });
  const value = { client_id: 'c1', scope: 'openid profile' };
  try {
    for (const n of pagingSizes()) {
      for (let i = 0; i < n; i += 1000) {
        await store.putMany(
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => [pagingKey(i + j), value] as const),
          { collection: `c${n}`, ttl: 30 * 24 * 3600 },
        );
      }
    }
    await admin.query(`ANALYZE "${schema}"."kv_store"`);
    await benchPaging('postgres-paging', store, (n) => `c${n}`, { pageIterations: 200, passIterations: 5 });
    await benchPaging('postgres-paging-generic', generic, (n) => `c${n}`, {
      pageIterations: 200,
      passIterations: 5,
      note: 'plan_cache_mode = force_generic_plan',
    });
  } finally {
    await store.close();
    await generic.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
