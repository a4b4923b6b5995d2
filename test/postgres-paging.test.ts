/**
 * PostgreSQL `keys()` paging: each page is an Index Scan bounded by (collection, key) under custom
 * and generic plans alike, checked with EXPLAIN on the statements the store sends, and paging
 * through a table many pages deep lists every key once, in order.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { statements } from '../src/stores/postgres/sql.js';
import { findBackend, uniqueName } from './harness/backends.js';

const backend = await findBackend('postgres');
const schema = uniqueName('oauthkv_paging');
const table = 'paging';
const t = `"${schema}"."${table}"`;

describe.skipIf(!backend.available)(`PostgresStore keys() paging ${backend.description}`, () => {
  let client: pg.Client;
  let store: PostgresStore;
  const keys = Array.from({ length: 3000 }, (_, i) => `key-${String(i).padStart(5, '0')}`);

  beforeAll(async () => {
    client = new pg.Client({ connectionString: backend.url });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`);
    store = new PostgresStore({ url: backend.url, schema, table });
    // Three collections so that the collection is a real part of the bound.
    for (const collection of ['a', 'b', 'c']) {
      for (let i = 0; i < keys.length; i += 500) {
        await store.putMany(
          keys.slice(i, i + 500).map((k) => [k, { k }] as const),
          { collection, ttl: collection === 'b' ? 3600 : undefined },
        );
      }
    }
    await client.query(`ANALYZE ${t}`);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await client?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client?.end();
    await backend.stop();
  });

  /** The plan of `sql` run with `values`, as PostgreSQL's EXPLAIN text, under `mode`. */
  async function plan(name: string, sql: string, values: unknown[], mode: string): Promise<string> {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query(`PREPARE ${name} AS ${sql}`);
    try {
      const literal = values.map((v) => (typeof v === 'number' ? String(v) : `'${String(v)}'`)).join(', ');
      const rows = (await client.query(`EXPLAIN EXECUTE ${name}(${literal})`)).rows as {
        'QUERY PLAN': string;
      }[];
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query(`DEALLOCATE ${name}`);
      await client.query('RESET plan_cache_mode');
    }
  }

  const now = new Date().toISOString();
  for (const mode of ['force_custom_plan', 'force_generic_plan']) {
    test(`under ${mode}, the first page and a page deep in the table are Index Scans bounded by the key`, async () => {
      const sql = statements(t);
      const first = await plan('okv_first', sql.keys, ['b', now, 11], mode);
      expect(first).toMatch(/Index Scan using \S+ on paging/);
      expect(first).toMatch(/Index Cond: \(collection = /);
      expect(first).not.toMatch(/Sort/);
      const next = await plan('okv_next', sql.keysAfter, ['b', 'key-02900', now, 11], mode);
      expect(next).toMatch(/Index Scan using \S+ on paging/);
      // The key bound is inside the index condition, not a filter applied after reading every key.
      expect(next).toMatch(/Index Cond: \(\(collection = [^\n]*\) AND \(key > [^\n]*\)\)/);
      expect(next).not.toMatch(/Sort/);
    });
  }

  test('the former single statement, ($2 IS NULL OR key > $2), is not bounded under a generic plan', async () => {
    const old =
      `SELECT key FROM ${t} WHERE collection = $1 AND ($2::text IS NULL OR key > $2::text) ` +
      'AND (expires_at IS NULL OR expires_at > $3::timestamptz) ORDER BY key LIMIT $4::int';
    const generic = await plan('okv_old', old, ['b', 'key-02900', now, 11], 'force_generic_plan');
    expect(generic).not.toMatch(/Index Cond: [^\n]*key > /);
  });

  test('paging 3000 keys in pages of 100 lists each once, in order, and only its collection', async () => {
    const listed: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.keys('b', { limit: 100, cursor });
      listed.push(...page.keys);
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(listed).toEqual(keys);
    expect(pages).toBeGreaterThanOrEqual(30);
    expect(await store.keys('b', { cursor: 'key-02997' })).toEqual({
      keys: ['key-02998', 'key-02999'],
      cursor: undefined,
    });
  });
});
