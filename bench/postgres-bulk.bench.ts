/**
 * PostgresStore getMany(100) and putMany(100) against the raw `pg` driver sending the same
 * statements (the store's own SQL text, as named prepared statements) with the same documents, and
 * parsing the returned values as JSON, which is what any caller of those statements must do.
 * Paired and interleaved (`comparePaired`), target <= 1.1. On the server at
 * OAUTH_KV_TEST_POSTGRES_URL; creates and drops its own schema.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { statements } from '../src/stores/postgres/sql.js';
import { BENCH_COLLECTION, BENCH_KEYS, benchToken, comparePaired } from './lib.js';

const URL = process.env.OAUTH_KV_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export default async function run(): Promise<void> {
  const schema = `oauthkv_bench_bulk_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: URL, max: 1 });
  admin.on('error', () => {});
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const raw = new pg.Pool({ connectionString: URL, max: 2 });
  raw.on('error', () => {});
  const store = new PostgresStore({ poolConfig: { connectionString: URL, max: 2 }, schema });
  try {
    const c = BENCH_COLLECTION;
    const keys = [...BENCH_KEYS];
    const values = keys.map(() => benchToken());
    const entries = keys.map((k, i) => [k, values[i] as Record<string, string | number>] as const);
    await store.putMany(entries, { collection: c, ttl: 3600 });
    const sql = statements(`"${schema}"."kv_store"`);
    const now = () => new Date().toISOString();
    await comparePaired('postgres-bulk', [
      {
        label: 'getMany(100) / raw pg',
        target: '<= 1.1',
        a: { name: 'oauth-kv getMany(100)', run: () => store.getMany(keys, { collection: c }) },
        b: {
          name: 'raw pg getMany(100), same statement, values parsed',
          run: async () => {
            const { rows } = await raw.query({
              name: 'raw_get_many',
              text: sql.getMany,
              values: [c, keys, now()],
            });
            const byKey = new Map<string, unknown>();
            for (const row of rows as { key: string; value: string }[])
              byKey.set(row.key, JSON.parse(row.value));
            return keys.map((k) => byKey.get(k));
          },
        },
        iterations: 300,
      },
      {
        label: 'putMany(100) / raw pg',
        target: '<= 1.1',
        a: { name: 'oauth-kv putMany(100)', run: () => store.putMany(entries, { collection: c, ttl: 3600 }) },
        b: {
          name: 'raw pg putMany(100), same statement, values serialized',
          run: () => {
            const created = Date.now();
            return raw.query({
              name: 'raw_put_many',
              text: sql.putMany,
              values: [
                c,
                keys,
                values.map((v) => JSON.stringify(v)),
                3600,
                new Date(created).toISOString(),
                new Date(created + 3600_000).toISOString(),
              ],
            });
          },
        },
        iterations: 300,
      },
    ]);
  } finally {
    await store.close();
    await raw.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
