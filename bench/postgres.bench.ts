/**
 * PostgresStore against the floor (the raw `pg` driver running the same SQL as the same named
 * prepared statements, plus an unprepared raw get for reference) and against
 * `@keyv/postgres` through Keyv 5, on the server at OAUTH_KV_TEST_POSTGRES_URL (default: the local
 * one). Creates and drops its own schema.
 *
 * Targets: single operations within 1.25× of raw, at or ahead of Keyv; getMany(100) under 3× a
 * single get.
 */
import { randomBytes } from 'node:crypto';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import {
  BENCH_COLLECTION,
  BENCH_KEYS,
  benchToken,
  newBench,
  pairedRatio,
  report,
  writeResult,
} from './lib.js';

const URL = process.env.OAUTH_KV_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export default async function run(): Promise<void> {
  const schema = `oauthkv_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: URL, max: 2 });
  admin.on('error', () => {});
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const raw = new pg.Pool({ connectionString: URL, max: 10 });
  raw.on('error', () => {});
  const store = new PostgresStore({ poolConfig: { connectionString: URL, max: 10 }, schema });
  const keyvStore = new KeyvPostgres({ uri: URL, schema, table: 'keyv', max: 10 });
  const keyv = new Keyv({ store: keyvStore, namespace: 'bench' });
  keyv.on('error', () => {});
  try {
    const c = BENCH_COLLECTION;
    const value = benchToken();
    const json = JSON.stringify(value);
    const keys = [...BENCH_KEYS];
    const entries = keys.map((k) => [k, value] as const);
    await store.putMany(entries, { collection: c, ttl: 3600 });
    await keyv.setMany(keys.map((key) => ({ key, value })));
    const T = `"${schema}"."kv_store"`;
    const now = () => new Date().toISOString();
    const exp = () => new Date(Date.now() + 3600_000).toISOString();
    const live = '(expires_at IS NULL OR expires_at > $3::timestamptz)';
    const sqlGet = `SELECT value, (extract(epoch FROM expires_at) * 1000)::float8 AS e FROM ${T} WHERE collection = $1 AND key = $2 AND ${live}`;
    const sqlGetMany = `SELECT key, value, (extract(epoch FROM expires_at) * 1000)::float8 AS e FROM ${T} WHERE collection = $1 AND key = ANY($2::text[]) AND ${live}`;
    const upsert =
      'ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at';
    const sqlPut = `INSERT INTO ${T} (collection, key, value, ttl, created_at, expires_at) VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ${upsert}`;
    const sqlPutMany = `INSERT INTO ${T} (collection, key, value, ttl, created_at, expires_at) SELECT $1, k, v::jsonb, $4::float8, $5::timestamptz, $6::timestamptz FROM UNNEST($2::text[], $3::text[]) AS u(k, v) ${upsert}`;
    const sqlTake = `DELETE FROM ${T} WHERE collection = $1 AND key = $2 RETURNING value, (extract(epoch FROM expires_at) * 1000)::float8 AS e`;

    let n = 0;
    const refill = (prefix: string) => async () => {
      n++;
      await raw.query({
        name: 'raw_put',
        text: sqlPut,
        values: [c, `${prefix}-${n}`, json, 3600, now(), exp()],
      });
    };
    const refillKeyv = async () => {
      n++;
      await keyv.set(`take-keyv-${n}`, value);
    };

    const tasks: Array<[string, () => Promise<void>, { beforeEach?: () => Promise<void> }?]> = [
      [
        'oauth-kv get',
        async () => {
          await store.get('token-1', { collection: c });
        },
      ],
      [
        'raw pg get',
        async () => {
          const { rows } = await raw.query({ name: 'raw_get', text: sqlGet, values: [c, 'token-1', now()] });
          if (rows.length !== 1) throw new Error('missing');
        },
      ],
      [
        'raw pg get (unprepared)',
        async () => {
          await raw.query(sqlGet, [c, 'token-1', now()]);
        },
      ],
      [
        'keyv get',
        async () => {
          await keyv.get('token-1');
        },
      ],
      [
        'oauth-kv put',
        async () => {
          await store.put('put-1', value, { collection: c, ttl: 3600 });
        },
      ],
      [
        'raw pg put',
        async () => {
          await raw.query({
            name: 'raw_put',
            text: sqlPut,
            values: [c, 'put-1', JSON.stringify(value), 3600, now(), exp()],
          });
        },
      ],
      [
        'keyv set',
        async () => {
          await keyv.set('put-1', value, 3600_000);
        },
      ],
      [
        'oauth-kv take',
        async () => {
          await store.take(`take-a-${n}`, { collection: c });
        },
        { beforeEach: refill('take-a') },
      ],
      [
        'raw pg take',
        async () => {
          await raw.query({ name: 'raw_take', text: sqlTake, values: [c, `take-r-${n}`] });
        },
        { beforeEach: refill('take-r') },
      ],
      [
        'keyv get+delete',
        async () => {
          await keyv.get(`take-keyv-${n}`);
          await keyv.delete(`take-keyv-${n}`);
        },
        { beforeEach: refillKeyv },
      ],
      [
        'oauth-kv getMany(100)',
        async () => {
          await store.getMany(keys, { collection: c });
        },
      ],
      [
        'raw pg getMany(100)',
        async () => {
          await raw.query({ name: 'raw_get_many', text: sqlGetMany, values: [c, keys, now()] });
        },
      ],
      [
        'keyv getMany(100)',
        async () => {
          await keyv.getMany(keys);
        },
      ],
      [
        'oauth-kv putMany(100)',
        async () => {
          await store.putMany(entries, { collection: c, ttl: 3600 });
        },
      ],
      [
        'raw pg putMany(100)',
        async () => {
          await raw.query({
            name: 'raw_put_many',
            text: sqlPutMany,
            values: [c, keys, keys.map(() => JSON.stringify(value)), 3600, now(), exp()],
          });
        },
      ],
      [
        'keyv setMany(100)',
        async () => {
          await keyv.setMany(keys.map((key) => ({ key, value, ttl: 3600_000 })));
        },
      ],
      [
        'oauth-kv 100 sequential gets',
        async () => {
          for (const key of keys) await store.get(key, { collection: c });
        },
      ],
    ];
    const bench = newBench({ time: 1500 });
    for (const [name, fn, opts] of tasks) bench.add(name, fn, opts);

    const ratios: Record<string, [string, string]> = {
      'get / raw': ['oauth-kv get', 'raw pg get'],
      'get / raw unprepared': ['oauth-kv get', 'raw pg get (unprepared)'],
      'put / raw': ['oauth-kv put', 'raw pg put'],
      'take / raw': ['oauth-kv take', 'raw pg take'],
      'getMany(100) / raw': ['oauth-kv getMany(100)', 'raw pg getMany(100)'],
      'putMany(100) / raw': ['oauth-kv putMany(100)', 'raw pg putMany(100)'],
      'get / keyv': ['oauth-kv get', 'keyv get'],
      'put / keyv': ['oauth-kv put', 'keyv set'],
      'take / keyv get+delete': ['oauth-kv take', 'keyv get+delete'],
      'getMany(100) / keyv': ['oauth-kv getMany(100)', 'keyv getMany(100)'],
      'putMany(100) / keyv': ['oauth-kv putMany(100)', 'keyv setMany(100)'],
      'getMany(100) / single get': ['oauth-kv getMany(100)', 'oauth-kv get'],
      'getMany(100) / 100 sequential gets': ['oauth-kv getMany(100)', 'oauth-kv 100 sequential gets'],
    };
    await report('postgres', bench, ratios);
    await paired(tasks, ratios);
  } finally {
    await store.close();
    await keyv.disconnect().catch(() => {});
    await raw.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

/**
 * On a shared, loaded machine the load changes during a sequential tinybench run and skews ratios.
 * This pass measures each ratio by alternating its two tasks operation by operation (A, B, A, B,
 * ...) and comparing medians, so both sides see the same load. Writes
 * bench/results/postgres-paired.json.
 */
async function paired(
  tasks: Array<[string, () => Promise<void>, { beforeEach?: () => Promise<void> }?]>,
  ratios: Record<string, [string, string]>,
  iterations = 300,
): Promise<void> {
  const byName = new Map(tasks.map(([name, fn, opts]) => [name, { fn, before: opts?.beforeEach }]));
  const rows: Array<{
    ratio: string;
    numerator: string;
    'median (ms)': string;
    denominator: string;
    'median (ms) ': string;
    value: string;
  }> = [];
  const computed: Record<string, number> = {};
  for (const [label, [num, den]] of Object.entries(ratios)) {
    const a = byName.get(num);
    const b = byName.get(den);
    if (a === undefined || b === undefined) continue;
    const n = num.includes('sequential') || den.includes('sequential') ? 30 : iterations;
    const { ratio, medianA, medianB } = await pairedRatio(
      { run: a.fn, before: a.before },
      { run: b.fn, before: b.before },
      n,
    );
    computed[label] = ratio;
    rows.push({
      ratio: label,
      numerator: num,
      'median (ms)': medianA.toFixed(4),
      denominator: den,
      'median (ms) ': medianB.toFixed(4),
      value: `${ratio.toFixed(2)}×`,
    });
  }
  console.log(`\n## postgres (paired, operation by operation, medians of ${iterations})`);
  console.table(rows);
  writeResult('postgres-paired', { suite: 'postgres-paired', iterations, rows, ratios: computed });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
