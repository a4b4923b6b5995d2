import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import type { JsonObject } from '../src/contract.js';
import {
  DeserializationError,
  InvalidKeyError,
  ReadOnlyError,
  SerializationError,
  StoreConnectionError,
  StoreSetupError,
  StoreTimeoutError,
} from '../src/errors.js';
import {
  type PostgresPool,
  type PostgresQueryConfig,
  PostgresStore,
  type PostgresStoreOptions,
} from '../src/stores/postgres/index.js';
import { findBackend, uniqueName } from './harness/backends.js';

const backend = await findBackend('postgres');
const schema = uniqueName('oauthkv');

interface PyRow {
  collection: string;
  key: string;
  value: Record<string, unknown>;
  ttl: number | null;
  created_at: string;
  expires_at: string | null;
}
const pyRows = JSON.parse(
  readFileSync(new URL('./fixtures/vectors/py-key-value/postgres-rows.json', import.meta.url), 'utf8'),
) as { table: string; ddl: string; rows: PyRow[] };

/** A user-owned pool that counts the statements sent through it. */
function countingPool(pool: pg.Pool): PostgresPool & { count: number; texts: string[]; names: string[] } {
  const counter = {
    count: 0,
    texts: [] as string[],
    names: [] as string[],
    query(textOrConfig: string | PostgresQueryConfig, values?: unknown[]) {
      counter.count++;
      if (typeof textOrConfig === 'string') {
        counter.texts.push(textOrConfig);
        return pool.query(textOrConfig, values);
      }
      counter.texts.push(textOrConfig.text);
      if (textOrConfig.name) counter.names.push(textOrConfig.name);
      return pool.query(textOrConfig);
    },
  };
  return counter;
}

describe.skipIf(!backend.available)(`PostgresStore ${backend.description}`, () => {
  let admin: pg.Pool;
  const stores: PostgresStore[] = [];
  const make = (options: Partial<PostgresStoreOptions> = {}) => {
    const store = new PostgresStore({
      ...(options.pool || options.poolConfig ? {} : { url: backend.url }),
      schema,
      ...options,
    });
    stores.push(store);
    return store;
  };
  let tableCounter = 0;
  const freshTable = () => `t_${++tableCounter}_${process.pid}`;
  const qualified = (table: string) => `"${schema}"."${table}"`;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: backend.url, max: 3 });
    admin.on('error', () => {});
    await admin.query(`CREATE SCHEMA "${schema}"`);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
    await backend.stop();
  });

  describeConformance('PostgresStore', {
    createStore: () => new PostgresStore({ poolConfig: { connectionString: backend.url, max: 4 }, schema }),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
    skip: { 'names.nul': 'PostgreSQL TEXT cannot hold U+0000: such names are refused (docs/postgres.md)' },
  });

  describe('one statement per operation', () => {
    test('get, getMany(100), put, putMany(100), delete, deleteMany, take, putIfAbsent: one query each', async () => {
      const pool = countingPool(admin);
      const s = make({ pool, table: freshTable() });
      await s.get('warm-up'); // setup happens here
      const c = 'round-trips';
      const hundred = Array.from({ length: 100 }, (_, i) => [`k${i}`, { i }] as const);
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['putMany', () => s.putMany(hundred, { collection: c, ttl: 600 })],
        [
          'getMany',
          () =>
            s.getMany(
              hundred.map(([k]) => k),
              { collection: c },
            ),
        ],
        ['get', () => s.get('k1', { collection: c })],
        ['ttl', () => s.ttl('k1', { collection: c })],
        ['ttlMany', () => s.ttlMany(['k1', 'k2'], { collection: c })],
        ['put', () => s.put('one', { a: 1 }, { collection: c })],
        ['take', () => s.take('k2', { collection: c })],
        ['putIfAbsent', () => s.putIfAbsent('new', { a: 1 }, { collection: c })],
        ['putIfAbsent (present)', () => s.putIfAbsent('new', { a: 2 }, { collection: c })],
        ['delete', () => s.delete('k3', { collection: c })],
        ['deleteMany', () => s.deleteMany(['k4', 'k5', 'missing'], { collection: c })],
        ['keys', () => s.keys(c, { limit: 10 })],
        ['collections', () => s.collections()],
        ['destroyCollection', () => s.destroyCollection('other')],
        ['cull', () => s.cull()],
      ];
      for (const [name, op] of ops) {
        const before = pool.count;
        await op();
        expect({ name, statements: pool.count - before }).toEqual({ name, statements: 1 });
      }
      expect(await s.getMany(['k0', 'k2', 'k4', 'k6'], { collection: c })).toEqual([
        { i: 0 },
        undefined,
        undefined,
        { i: 6 },
      ]);
    });

    test('setup runs once: concurrent first calls share it, then no setup statements follow', async () => {
      const pool = countingPool(admin);
      const table = freshTable();
      const s = make({ pool, table });
      await Promise.all(Array.from({ length: 10 }, (_, i) => s.get(`k${i}`)));
      const setup = pool.texts.filter((t) => !t.startsWith('SELECT value'));
      expect(setup).toHaveLength(2); // the existence check and the DDL
      expect(pool.count).toBe(12);
      await s.put('k', { a: 1 });
      expect(pool.count).toBe(13);
      // A second store on an existing table only checks that it exists.
      const pool2 = countingPool(admin);
      const s2 = make({ pool: pool2, table });
      expect(await s2.get('k')).toEqual({ a: 1 });
      expect(pool2.count).toBe(2);
    });
  });

  describe('prepared statements', () => {
    test('by default statements are named per table, so stores on one pool never collide', async () => {
      const pool = countingPool(admin);
      const one = make({ pool, table: freshTable() });
      const two = make({ pool, table: freshTable() });
      await one.put('k', { from: 'one' });
      await two.put('k', { from: 'two' });
      expect(await one.get('k')).toEqual({ from: 'one' });
      expect(await two.get('k')).toEqual({ from: 'two' });
      const names = new Set(pool.names);
      expect(names.size).toBe(4); // put and get, for each table
      for (const name of names) expect(name).toMatch(/^okv_[0-9a-f]{8}_(put|get)$/);
    });

    test('preparedStatements: false sends unnamed statements', async () => {
      const pool = countingPool(admin);
      const s = make({ pool, table: freshTable(), preparedStatements: false });
      await s.put('k', { a: 1 });
      expect(await s.take('k')).toEqual({ a: 1 });
      expect(pool.names).toEqual([]);
      expect(pool.count).toBe(4); // existence check, DDL, put, take
    });
  });

  describe('table layout shared with py-key-value', () => {
    test('the DDL is the py-key-value DDL', () => {
      const [table, index] = PostgresStore.ddl();
      expect(table?.replace('"kv_store"', 'kv_store')).toBe(pyRows.ddl);
      expect(index).toBe(
        'CREATE INDEX IF NOT EXISTS "idx_kv_store_expires_at" ON "kv_store"(expires_at) WHERE expires_at IS NOT NULL',
      );
      expect(PostgresStore.ddl({ schema: 'oauth', table: 'tokens' })[0]).toContain('"oauth"."tokens"');
      // py-key-value names the index of a long table after a hash of the table name.
      const long = 'a'.repeat(50);
      expect(PostgresStore.ddl({ table: long })[1]).toBe(
        `CREATE INDEX IF NOT EXISTS "idx_${createHash('sha256').update(long).digest('hex').slice(0, 16)}_exp" ON "${long}"(expires_at) WHERE expires_at IS NOT NULL`,
      );
    });

    test('the created table has the exact column types, primary key and partial expiry index', async () => {
      const table = freshTable();
      const s = make({ table });
      await s.get('k');
      const { rows: columns } = await admin.query(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, table],
      );
      expect(columns).toEqual([
        { column_name: 'collection', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'key', data_type: 'text', is_nullable: 'NO' },
        { column_name: 'value', data_type: 'jsonb', is_nullable: 'NO' },
        { column_name: 'ttl', data_type: 'double precision', is_nullable: 'YES' },
        { column_name: 'created_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
        { column_name: 'expires_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
      ]);
      const { rows: indexes } = await admin.query(
        'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname',
        [schema, table],
      );
      expect(indexes.map((i) => i.indexname)).toEqual([`idx_${table}_expires_at`, `${table}_pkey`]);
      expect(indexes[0].indexdef).toMatch(/\(expires_at\) WHERE \(expires_at IS NOT NULL\)/);
      expect(indexes[1].indexdef).toMatch(/\(collection, key\)/);
    });

    test('rows we write have the column shapes Python reads', async () => {
      const table = freshTable();
      const now = Date.parse('2026-11-22T10:30:00.123Z');
      const s = make({ table, clock: () => now });
      await s.put('code-1', { client_id: 'c1', scopes: ['a', 'b'] }, { collection: 'codes', ttl: 300.5 });
      await s.put('client-1', { client_id: 'c1' }, { collection: 'clients' });
      const { rows } = await admin.query(
        `SELECT collection, key, value, jsonb_typeof(value) AS kind, ttl, created_at, expires_at
         FROM ${qualified(table)} ORDER BY collection`,
      );
      expect(rows).toEqual([
        {
          collection: 'clients',
          key: 'client-1',
          value: { client_id: 'c1' },
          kind: 'object',
          ttl: null,
          created_at: new Date(now),
          expires_at: null,
        },
        {
          collection: 'codes',
          key: 'code-1',
          value: { client_id: 'c1', scopes: ['a', 'b'] },
          kind: 'object',
          ttl: 300.5,
          created_at: new Date(now),
          expires_at: new Date(now + 300_500),
        },
      ]);
    });

    test('reads rows Python wrote: values, remaining TTL from expires_at, expiry, cull', async () => {
      const table = freshTable();
      await admin.query(pyRows.ddl.replace(pyRows.table, qualified(table)));
      for (const row of pyRows.rows) {
        await admin.query(
          `INSERT INTO ${qualified(table)} (collection, key, value, ttl, created_at, expires_at)
           VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz, $6::timestamptz)`,
          [row.collection, row.key, JSON.stringify(row.value), row.ttl, row.created_at, row.expires_at],
        );
      }
      const [client, code] = pyRows.rows as [PyRow, PyRow];
      let now = Date.parse('2026-11-22T10:45:00Z');
      const s = make({ table, createTable: false, clock: () => now });
      expect(await s.get(client.key, { collection: client.collection })).toEqual(client.value);
      const { value, ttl } = await s.ttl(code.key, { collection: code.collection });
      expect(value).toEqual(code.value);
      // expires_at 11:30:00.123456 (microseconds are read to the millisecond): 45 min and 0.123 s left.
      expect(ttl).toBeCloseTo(2700.123, 2);
      expect((await s.keys(code.collection)).keys).toEqual([code.key]);
      expect((await s.collections()).sort()).toEqual([code.collection, client.collection].sort());

      now = Date.parse('2026-11-22T11:30:00.124Z');
      expect(await s.get(code.key, { collection: code.collection })).toBeUndefined();
      expect(await s.collections()).toEqual([client.collection]);
      expect(await s.cull()).toBe(1);
      const { rows } = await admin.query(`SELECT key FROM ${qualified(table)}`);
      expect(rows).toEqual([{ key: client.key }]);
    });

    test('a value stored as a JSON string holding an object is read; anything else is a DeserializationError', async () => {
      const table = freshTable();
      const s = make({ table });
      await s.get('setup');
      await admin.query(
        `INSERT INTO ${qualified(table)} (collection, key, value) VALUES
         ('c', 'as-string', to_jsonb('{"a":1}'::text)), ('c', 'number', '42'::jsonb), ('c', 'array', '[1]'::jsonb)`,
      );
      expect(await s.get('as-string', { collection: 'c' })).toEqual({ a: 1 });
      await expect(s.get('number', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
      await expect(s.get('array', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
      // In a bulk read an unreadable row fails its own position only.
      expect(await s.getMany(['array', 'as-string'], { collection: 'c' })).toEqual([undefined, { a: 1 }]);
    });
  });

  describe('U+0000', () => {
    test('a value holding U+0000 is refused with SerializationError naming the path; nothing written', async () => {
      const pool = countingPool(admin);
      const s = make({ pool, table: freshTable() });
      await s.put('k', { original: true });
      const before = pool.count;
      for (const [value, path] of [
        [{ s: 'a\u0000b' }, '$.s'],
        [{ list: ['ok', { deep: '\u0000' }] }, '$.list[1].deep'],
        [{ 'key\u0000': 1 }, '$["key\\u0000"]'],
      ] as Array<[JsonObject, string]>) {
        for (const op of [
          () => s.put('k', value),
          () => s.putIfAbsent('new', value),
          () =>
            s.putMany([
              ['new', { fine: 1 }],
              ['k', value],
            ]),
        ]) {
          const err = await op().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(SerializationError);
          expect((err as SerializationError).path).toBe(path);
          expect((err as Error).message).not.toContain('a\u0000b');
        }
      }
      expect(pool.count).toBe(before); // refused before anything reached the server
      expect(await s.get('k')).toEqual({ original: true });
      expect(await s.get('new')).toBeUndefined();
    });

    test('the text "\\u0000" (a backslash, not the character) is an ordinary value', async () => {
      const s = make({ table: freshTable() });
      const value = { escaped: '\\u0000', double: '\\\\u0000x' };
      await s.put('k', value);
      expect(await s.get('k')).toEqual(value);
    });

    test('a key or collection holding U+0000 cannot be written (InvalidKeyError) and reads as missing', async () => {
      const s = make({ table: freshTable() });
      await expect(s.put('a\u0000b', { a: 1 })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(s.put('k', { a: 1 }, { collection: 'c\u0000' })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(s.putIfAbsent('a\u0000b', { a: 1 })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(s.putMany([['a\u0000b', { a: 1 }]])).rejects.toBeInstanceOf(InvalidKeyError);
      expect(await s.get('a\u0000b')).toBeUndefined();
      expect(await s.getMany(['a\u0000b', 'x'])).toEqual([undefined, undefined]);
      expect(await s.take('a\u0000b')).toBeUndefined();
      expect(await s.delete('a\u0000b')).toBe(false);
      expect(await s.deleteMany(['a\u0000b'])).toBe(0);
      expect(await s.keys('c\u0000')).toEqual({ keys: [], cursor: undefined });
    });
  });

  describe('key length', () => {
    test('a long incompressible key past the primary-key index limit → InvalidKeyError, nothing written', async () => {
      const s = make({ table: freshTable() });
      const key = Array.from({ length: 1500 }, (_, i) =>
        String.fromCodePoint(0x1f300 + ((i * 7919) % 700)),
      ).join('');
      const err = await s.put(key, { a: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidKeyError);
      expect((err as Error).message).not.toContain(key.slice(0, 20));
      expect(await s.get(key)).toBeUndefined();
      const long = `${'https://app.example/'.repeat(25)}client.json`; // 511 characters
      await s.put(long, { a: 2 });
      expect(await s.get(long)).toEqual({ a: 2 });
    });
  });

  describe('pools, setup and configuration', () => {
    test('a pool the user passes in stays open after close(); a pool the store created is ended', async () => {
      const userPool = new pg.Pool({ connectionString: backend.url, max: 2 });
      userPool.on('error', () => {});
      try {
        const s = make({ pool: userPool, table: freshTable() });
        await s.put('k', { a: 1 });
        await s.close();
        expect((await userPool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(userPool.ended).toBe(false);
      } finally {
        await userPool.end();
      }

      const app = uniqueName('oauthkv_app');
      const owned = make({
        poolConfig: { connectionString: backend.url, application_name: app },
        table: freshTable(),
      });
      await owned.put('k', { a: 1 });
      const sessions = async () =>
        Number(
          (
            await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
              app,
            ])
          ).rows[0].n,
        );
      expect(await sessions()).toBeGreaterThan(0);
      await owned.close();
      for (let i = 0; i < 100 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await sessions()).toBe(0);
    });

    test('createTable: false and a missing table → StoreSetupError with the DDL; retried after the table exists', async () => {
      const table = freshTable();
      const s = make({ table, createTable: false });
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      const message = (err as Error).message;
      for (const statement of PostgresStore.ddl({ schema, table })) expect(message).toContain(statement);
      await expect(s.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreSetupError);
      const { rows } = await admin.query('SELECT to_regclass($1) AS t', [qualified(table)]);
      expect(rows[0].t).toBeNull(); // nothing was created
      for (const statement of PostgresStore.ddl({ schema, table })) await admin.query(statement);
      await s.put('k', { a: 1 }); // the same store, without reconstruction
      expect(await s.get('k')).toEqual({ a: 1 });
    });

    test('TLS required by the client but not offered by the server → StoreSetupError', async (ctx) => {
      const { rows } = await admin.query('SHOW ssl');
      if (rows[0].ssl === 'on') ctx.skip('this server offers TLS');
      const s = make({ poolConfig: { connectionString: backend.url, ssl: { rejectUnauthorized: true } } });
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message).toMatch(/TLS with PostgreSQL at .+:\d+/);
    });

    test('a missing schema → StoreSetupError that says what to create', async () => {
      const s = make({ schema: uniqueName('missing'), table: 'kv_store' });
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message).toContain('CREATE TABLE IF NOT EXISTS');
    });

    test.each([
      ['kv-store'],
      ['kv_store; DROP TABLE x'],
      ['"quoted"'],
      [''],
      ['1starts_with_digit'],
      ['x'.repeat(64)],
      ['café'],
    ])('table name %j → StoreSetupError at construction', (table) => {
      expect(() => new PostgresStore({ url: backend.url, table })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: backend.url, schema: table })).toThrow(StoreSetupError);
      expect(() => PostgresStore.ddl({ table })).toThrow(StoreSetupError);
    });

    test('bad options are refused at construction', () => {
      expect(() => new PostgresStore({})).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: backend.url, poolConfig: {} })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: '' })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: backend.url, connectTimeoutMs: 0 })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: backend.url, cullIntervalMs: -5 })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ url: backend.url, cullIntervalMs: 2 ** 31 })).toThrow(StoreSetupError);
      expect(() => new PostgresStore({ pool: {} as PostgresPool })).toThrow(StoreSetupError);
      expect(() => new PostgresStore(42 as unknown as string)).toThrow(StoreSetupError);
      expect(
        () => new PostgresStore({ url: backend.url, preparedStatements: 'no' as unknown as boolean }),
      ).toThrow(StoreSetupError);
    });

    test('a connection string alone is enough: table kv_store in the first schema of search_path', async () => {
      const url = new URL(backend.url);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const s = new PostgresStore(url.toString());
      stores.push(s);
      const c = uniqueName('conn-string');
      await s.put('k', { a: 1 }, { collection: c });
      const { rows } = await admin.query(`SELECT value FROM "${schema}".kv_store WHERE collection = $1`, [c]);
      expect(rows).toEqual([{ value: { a: 1 } }]);
    });

    test('mixed-case names are quoted: the table name is kept exactly', async () => {
      const table = `Mixed_${process.pid}`;
      const s = make({ table });
      await s.put('k', { a: 1 });
      const { rows } = await admin.query('SELECT to_regclass($1) IS NOT NULL AS t', [qualified(table)]);
      expect(rows[0].t).toBe(true);
    });
  });

  describe('errors map to typed errors', () => {
    test('a dropped table → StoreSetupError; the next operation creates it again (prepared statements follow)', async () => {
      const table = freshTable();
      const s = make({ table });
      await s.put('k', { a: 1 });
      await admin.query(`DROP TABLE ${qualified(table)}`);
      await expect(s.get('k')).rejects.toBeInstanceOf(StoreSetupError);
      expect(await s.get('k')).toBeUndefined();
      await s.put('k', { a: 2 });
      expect(await s.get('k')).toEqual({ a: 2 });

      const fixedTable = freshTable();
      const fixed = make({ table: fixedTable, createTable: false });
      for (const statement of PostgresStore.ddl({ schema, table: fixedTable })) await admin.query(statement);
      await fixed.put('k', { a: 1 });
      await admin.query(`DROP TABLE ${qualified(fixedTable)}`);
      await expect(fixed.get('k')).rejects.toBeInstanceOf(StoreSetupError);
      const again = await fixed.get('k').catch((e: unknown) => e);
      expect(again).toBeInstanceOf(StoreSetupError);
      expect((again as Error).message).toContain('CREATE TABLE IF NOT EXISTS');
    });

    test('a read-only session (hot standby, read-only role) → ReadOnlyError on writes; reads work', async () => {
      const table = freshTable();
      await make({ table }).get('setup');
      const s = make({
        table,
        poolConfig: { connectionString: backend.url, options: '-c default_transaction_read_only=on' },
      });
      expect(await s.get('k')).toBeUndefined();
      await expect(s.put('k', { a: 1 })).rejects.toBeInstanceOf(ReadOnlyError);
      await expect(s.take('k')).rejects.toBeInstanceOf(ReadOnlyError);
    });

    test('a statement cancelled by statement_timeout → StoreTimeoutError (a StoreConnectionError)', async () => {
      const table = freshTable();
      const writer = make({ table });
      await writer.put('locked', { a: 1 });
      const s = make({
        table,
        poolConfig: { connectionString: backend.url, options: '-c statement_timeout=200' },
      });
      await s.get('warm-up');
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT 1 FROM ${qualified(table)} WHERE key = 'locked' FOR UPDATE`);
        const err = await s.take('locked').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreTimeoutError);
        expect(err).toBeInstanceOf(StoreConnectionError);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
      expect(await s.take('locked')).toEqual({ a: 1 });
    });

    test("the driver's client-side query_timeout → StoreTimeoutError", async () => {
      const table = freshTable();
      await make({ table }).put('locked', { a: 1 });
      const s = make({ table, poolConfig: { connectionString: backend.url, query_timeout: 200 } });
      await s.get('warm-up');
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT 1 FROM ${qualified(table)} WHERE key = 'locked' FOR UPDATE`);
        // A read does not wait for a row lock; the write does, and times out on the client.
        expect(await s.get('locked')).toEqual({ a: 1 });
        const err = await s.put('locked', { a: 2 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreTimeoutError);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  });

  describe('cull', () => {
    test('cull() deletes expired rows only and returns the count', async () => {
      const table = freshTable();
      let now = Date.parse('2026-01-01T00:00:00Z');
      const s = make({ table, clock: () => now });
      await s.putMany(
        Array.from({ length: 5 }, (_, i) => [`short${i}`, { i }] as const),
        { ttl: 10 },
      );
      await s.put('long', { a: 1 }, { ttl: 1000 });
      await s.put('forever', { a: 1 });
      expect(await s.cull()).toBe(0);
      now += 10_000;
      expect(await s.cull()).toBe(5);
      const { rows } = await admin.query(`SELECT key FROM ${qualified(table)} ORDER BY key`);
      expect(rows.map((r) => r.key)).toEqual(['forever', 'long']);
    });

    test('cullIntervalMs deletes expired rows in the background; close() stops the timer', async () => {
      const table = freshTable();
      let now = Date.parse('2026-01-01T00:00:00Z');
      const s = make({ table, clock: () => now, cullIntervalMs: 30 });
      await s.put('expiring', { a: 1 }, { ttl: 1 });
      await s.put('kept', { a: 1 });
      now += 1000;
      const count = async () =>
        Number((await admin.query(`SELECT count(*)::int AS n FROM ${qualified(table)}`)).rows[0].n);
      for (let i = 0; i < 200 && (await count()) > 1; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await count()).toBe(1);
      await s.close();
      await admin.query(
        `INSERT INTO ${qualified(table)} (collection, key, value, expires_at) VALUES ('default_collection', 'old', '{}', now() - interval '1 hour')`,
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(await count()).toBe(2);
    });
  });

  describe('concurrency', () => {
    test('200 concurrent writers and readers on a few keys: every read is a value some writer wrote', async () => {
      const table = freshTable();
      const a = make({ table, poolConfig: { connectionString: backend.url, max: 5 } });
      const b = make({ table, poolConfig: { connectionString: backend.url, max: 5 } });
      const keys = ['x', 'y', 'z'];
      const initial = (key: string) => ({ key, writer: -1, payload: 'init' });
      await a.putMany(keys.map((k) => [k, initial(k)] as const));
      const written = new Map<string, Set<string>>(
        keys.map((k) => [k, new Set([JSON.stringify(initial(k))])]),
      );
      const reads: Array<Promise<[string, unknown]>> = [];
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 200; i++) {
        const key = keys[i % keys.length] as string;
        const store = i % 2 === 0 ? a : b;
        if (i % 3 === 0) {
          reads.push(store.getMany(keys).then((vs) => [`many:${i}`, vs]));
        } else if (i % 2 === 0) {
          const value = { key, writer: i, payload: 'p'.repeat(i) };
          written.get(key)?.add(JSON.stringify(value));
          writes.push(store.put(key, value));
        } else {
          reads.push(store.get(key).then((v) => [key, v]));
        }
      }
      const [results] = await Promise.all([Promise.all(reads), Promise.all(writes)]);
      const check = (key: string, value: unknown) => {
        expect(value).toBeDefined();
        const v = value as { key: string; writer: number; payload: string };
        expect(
          written.get(key)?.has(JSON.stringify({ key: v.key, writer: v.writer, payload: v.payload })),
        ).toBe(true);
      };
      for (const [label, value] of results) {
        if (label.startsWith('many:')) {
          for (const [j, v] of (value as unknown[]).entries()) check(keys[j] as string, v);
        } else check(label, value);
      }
    });

    test('take is exactly-once across two PostgresStore instances, 40 codes × 10 racers', async () => {
      const table = freshTable();
      const a = make({ table, poolConfig: { connectionString: backend.url, max: 5 } });
      const b = make({ table, poolConfig: { connectionString: backend.url, max: 5 } });
      const codes = Array.from({ length: 40 }, (_, i) => `code-${i}`);
      await a.putMany(
        codes.map((c) => [c, { code: c }] as const),
        { collection: 'codes', ttl: 300 },
      );
      const results = await Promise.all(
        codes.flatMap((code) =>
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? a : b).take(code, { collection: 'codes' }).then((v) => [code, v] as const),
          ),
        ),
      );
      const winners = new Map<string, number>();
      for (const [code, value] of results) {
        if (value !== undefined) {
          expect(value).toEqual({ code });
          winners.set(code, (winners.get(code) ?? 0) + 1);
        }
      }
      expect([...winners.keys()].sort()).toEqual([...codes].sort());
      expect([...winners.values()].every((n) => n === 1)).toBe(true);
    });
  });
});
