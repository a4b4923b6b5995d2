/**
 * PostgresStore against the floor (the raw `pg` driver running the same SQL as the same named
 * prepared statements, plus an unprepared raw get for reference) and against
 * `@keyv/postgres` through Keyv 5, on the server at OAUTH_KV_TEST_POSTGRES_URL (default: the local
 * one). Creates and drops its own schema.
 *
 * Targets: single operations within 1.25× of raw, at or ahead of Keyv; getMany(100) under 3× a
 * single get. Paired and interleaved (`comparePaired`, BENCH_REPS repetitions), written to
 * bench/results/postgres.json.
 */
import { randomBytes } from 'node:crypto';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import pg from 'pg';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { BENCH_COLLECTION, BENCH_KEYS, benchToken, comparePaired } from './lib.js';

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

    const ours = {
      get: { name: 'oauth-kv get', run: () => store.get('token-1', { collection: c }) },
      put: { name: 'oauth-kv put', run: () => store.put('put-1', value, { collection: c, ttl: 3600 }) },
      take: {
        name: 'oauth-kv take',
        run: () => store.take(`take-a-${n}`, { collection: c }),
        before: refill('take-a'),
      },
      getMany: { name: 'oauth-kv getMany(100)', run: () => store.getMany(keys, { collection: c }) },
      putMany: {
        name: 'oauth-kv putMany(100)',
        run: () => store.putMany(entries, { collection: c, ttl: 3600 }),
      },
    };
    const rawGet = {
      name: 'raw pg get',
      run: async () => {
        const { rows } = await raw.query({ name: 'raw_get', text: sqlGet, values: [c, 'token-1', now()] });
        if (rows.length !== 1) throw new Error('missing');
      },
    };
    await comparePaired('postgres', [
      { label: 'get / raw pg', target: '<= 1.25', a: ours.get, b: rawGet, iterations: 800 },
      {
        label: 'get / raw pg (unprepared)',
        a: ours.get,
        b: { name: 'raw pg get (unprepared)', run: () => raw.query(sqlGet, [c, 'token-1', now()]) },
        iterations: 400,
      },
      {
        label: 'put / raw pg',
        target: '<= 1.25',
        a: ours.put,
        b: {
          name: 'raw pg put',
          run: () =>
            raw.query({
              name: 'raw_put',
              text: sqlPut,
              values: [c, 'put-1', JSON.stringify(value), 3600, now(), exp()],
            }),
        },
        iterations: 600,
      },
      {
        label: 'take / raw pg',
        target: '<= 1.25',
        a: ours.take,
        b: {
          name: 'raw pg take',
          run: () => raw.query({ name: 'raw_take', text: sqlTake, values: [c, `take-r-${n}`] }),
          before: refill('take-r'),
        },
        iterations: 600,
      },
      {
        label: 'getMany(100) / raw pg',
        target: '<= 1.25',
        a: ours.getMany,
        b: {
          name: 'raw pg getMany(100)',
          run: () => raw.query({ name: 'raw_get_many', text: sqlGetMany, values: [c, keys, now()] }),
        },
        iterations: 200,
      },
      {
        label: 'putMany(100) / raw pg',
        target: '<= 1.25',
        a: ours.putMany,
        b: {
          name: 'raw pg putMany(100)',
          run: () =>
            raw.query({
              name: 'raw_put_many',
              text: sqlPutMany,
              values: [c, keys, keys.map(() => JSON.stringify(value)), 3600, now(), exp()],
            }),
        },
        iterations: 150,
      },
      {
        label: 'get / keyv',
        target: '<= 1',
        a: ours.get,
        b: { name: 'keyv get', run: () => keyv.get('token-1') },
        iterations: 800,
      },
      {
        label: 'put / keyv',
        target: '<= 1',
        a: ours.put,
        b: { name: 'keyv set', run: () => keyv.set('put-1', value, 3600_000) },
        iterations: 600,
      },
      {
        label: 'take / keyv get+delete',
        target: '<= 1',
        a: ours.take,
        b: {
          name: 'keyv get+delete',
          run: async () => {
            await keyv.get(`take-keyv-${n}`);
            await keyv.delete(`take-keyv-${n}`);
          },
          before: refillKeyv,
        },
        iterations: 600,
      },
      {
        label: 'getMany(100) / keyv',
        target: '<= 1',
        a: ours.getMany,
        b: { name: 'keyv getMany(100)', run: () => keyv.getMany(keys) },
        iterations: 200,
      },
      {
        label: 'putMany(100) / keyv',
        target: '<= 1',
        a: ours.putMany,
        b: {
          name: 'keyv setMany(100)',
          run: () => keyv.setMany(keys.map((key) => ({ key, value, ttl: 3600_000 }))),
        },
        iterations: 150,
      },
      { label: 'getMany(100) / one get', target: '< 3', a: ours.getMany, b: ours.get, iterations: 300 },
      {
        label: 'raw getMany(100) / raw get',
        a: {
          name: 'raw pg getMany(100)',
          run: () => raw.query({ name: 'raw_get_many', text: sqlGetMany, values: [c, keys, now()] }),
        },
        b: rawGet,
        iterations: 300,
      },
      {
        label: 'getMany(100) / 100 sequential gets',
        a: ours.getMany,
        b: {
          name: 'oauth-kv 100 sequential gets',
          run: async () => {
            for (const key of keys) await store.get(key, { collection: c });
          },
        },
        iterations: 20,
      },
    ]);
  } finally {
    await store.close();
    await keyv.disconnect().catch(() => {});
    await raw.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
