/**
 * PostgresStore's error policy, each mapping provoked for real on the shared server in a private
 * schema: a check constraint (23514) and a trigger (P0001) on the store's table, a role without
 * privileges (42501), a serialization failure (40001) and a deadlock (40P01) between the store and
 * another session, a pool its owner ended; integers Python wrote beyond 2^53; and connection
 * strings with a password that must never show in any error.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  DeserializationError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
} from '../src/errors.js';
import { type PostgresPool, PostgresStore, type PostgresStoreOptions } from '../src/stores/postgres/index.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { counted, errorPolicy } from './helpers/error-policy.js';
import { sparePort } from './helpers/pg-server.js';
import { errorText, failure } from './helpers/secret-scan.js';

const backend = await findBackend('postgres');
const PASSWORD = 'Pg-pw-4e8b1d-unique';
const VALUE_SECRET = 'value-secret-93ac';

const { expectError } = errorPolicy([PASSWORD, VALUE_SECRET]);

describe('PostgresStore connection strings never show their password', () => {
  test.each([
    ['a port out of range', `postgres://u:${PASSWORD}@127.0.0.1:99999/db`],
    ['a port that is not a number', `postgres://u:${PASSWORD}@127.0.0.1:abc/db`],
    ['a broken IPv6 host', `postgres://u:${PASSWORD}@[::1:5432/db`],
  ])('%s → StoreSetupError at construction', (_, url) => {
    let err: unknown;
    try {
      new PostgresStore(url);
    } catch (e) {
      err = e;
    }
    expectError(err, StoreSetupError, 'STORE_SETUP', false);
    expect((err as Error).cause).toBeUndefined();
    expect(() => new PostgresStore({ poolConfig: { connectionString: url } })).toThrow(StoreSetupError);
  });

  test('refused, unresolvable or oddly escaped: StoreConnectionError (retryable) without the password', async () => {
    const port = await sparePort();
    for (const url of [
      `postgres://u:${PASSWORD}@127.0.0.1:${port}/db`,
      `postgres://u:${PASSWORD}%E0%A4%A@127.0.0.1:${port}/db`,
      `postgres://u:${PASSWORD}@host.invalid:${port}/db`,
    ]) {
      const store = new PostgresStore({ url, connectTimeoutMs: 2_000 });
      try {
        const err = await failure(() => store.put('k', { token: VALUE_SECRET }));
        expectError(err, StoreConnectionError, 'STORE_CONNECTION', true);
        expect(errorText(err)).not.toContain(encodeURIComponent(PASSWORD));
      } finally {
        await store.close();
      }
    }
  });

  test('a password given in poolConfig is never shown either', async () => {
    const port = await sparePort();
    const store = new PostgresStore({ poolConfig: { host: '127.0.0.1', port, password: PASSWORD } });
    try {
      expectError(await failure(() => store.get('k')), StoreConnectionError, 'STORE_CONNECTION', true);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!backend.available)('PostgresStore error policy on the shared server', () => {
  const schema = uniqueName('oauthkv_err');
  const role = uniqueName('oauthkv_norights');
  let admin: pg.Pool;
  const stores: PostgresStore[] = [];
  let tables = 0;
  const make = (options: Partial<PostgresStoreOptions> = {}) => {
    const store = new PostgresStore({
      ...(options.pool || options.poolConfig ? {} : { url: backend.url }),
      schema,
      table: `t${++tables}`,
      ...options,
    });
    stores.push(store);
    return store;
  };
  const table = (store: PostgresStore) => `"${schema}"."t${stores.indexOf(store) + 1}"`;
  /** Waits until a session of `app` waits for a lock. */
  const waitForLock = async (app: string) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [app],
      );
      if (rows[0].n > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the store never waited for the lock');
  };

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: backend.url, max: 4 });
    admin.on('error', () => {});
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`CREATE ROLE "${role}" NOLOGIN`);
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
  afterAll(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin?.end();
    await backend.stop();
  });

  test('a check constraint on the table (23514) → StoreOperationError, sent once, never retried', async () => {
    const store = make();
    await store.put('ok', { a: 1 });
    await admin.query(`ALTER TABLE ${table(store)} ADD CONSTRAINT no_token CHECK (NOT (value ? 'token'))`);
    const { wrapped, retries } = counted(store);
    const err = await failure(() => wrapped.put('k', { token: VALUE_SECRET }));
    expectError(err, StoreOperationError, 'STORE_OPERATION', false);
    expect((err as Error).message).toContain('23514');
    expect((err as Error).message).toContain('no_token');
    expect(retries).toEqual([]);
    expectError(
      await failure(() => wrapped.putMany([['k', { token: VALUE_SECRET }]])),
      StoreOperationError,
      'STORE_OPERATION',
      false,
    );
    expect(retries).toEqual([]);
    expect(await store.get('k')).toBeUndefined();
  });

  test('a trigger raising an exception (P0001) → StoreOperationError without the trigger message, never retried', async () => {
    const store = make();
    await store.get('setup');
    await admin.query(`CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused %', NEW.value; END $$`);
    await admin.query(
      `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ${table(store)} FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse()`,
    );
    const { wrapped, retries } = counted(store);
    for (const op of [
      () => wrapped.put('k', { token: VALUE_SECRET }),
      () => wrapped.putIfAbsent('k', { token: VALUE_SECRET }),
    ]) {
      const err = await failure(op);
      expectError(err, StoreOperationError, 'STORE_OPERATION', false);
      expect((err as Error).message).toContain('P0001');
    }
    expect(retries).toEqual([]);
  });

  test('a role without privileges (42501) → StoreSetupError, never retried', async () => {
    const owner = make();
    await owner.put('k', { a: 1 });
    const store = make({
      table: `t${stores.length}`,
      poolConfig: { connectionString: backend.url, options: `-c role=${role}` },
    });
    const { wrapped, retries } = counted(store);
    const err = await failure(() => wrapped.get('k'));
    expectError(err, StoreSetupError, 'STORE_SETUP', false);
    expect((err as Error).message).toContain('42501');
    expect(retries).toEqual([]);
  });

  test('a serialization failure (40001) → StoreConnectionError; the retry wrapper repeats the write and it succeeds', async () => {
    const app = uniqueName('oauthkv_ser');
    const store = make({
      poolConfig: {
        connectionString: backend.url,
        application_name: app,
        options: '-c default_transaction_isolation=serializable',
      },
    });
    await store.put('k', { v: 0 });
    const conflict = async (write: () => Promise<unknown>) => {
      const other = await admin.connect();
      try {
        await other.query('BEGIN');
        await other.query(`UPDATE ${table(store)} SET value = '{"v": 1}' WHERE key = 'k'`);
        const pending = failure(write);
        await waitForLock(app);
        await other.query('COMMIT');
        return await pending;
      } finally {
        other.release();
      }
    };
    const err = await conflict(() => store.put('k', { v: 2 }));
    expectError(err, StoreConnectionError, 'STORE_CONNECTION', true);
    expect((err as Error).message).toContain('40001');
    const { wrapped, retries } = counted(store);
    expect(await conflict(() => wrapped.put('k', { v: 3 }))).toBeUndefined();
    expect(retries).toEqual([1]);
    expect(await store.get('k')).toEqual({ v: 3 });
  });

  test('a deadlock with another session (40P01) → StoreConnectionError (retryable)', async () => {
    const app = uniqueName('oauthkv_dl');
    const store = make({
      poolConfig: {
        connectionString: backend.url,
        application_name: app,
        options: '-c deadlock_timeout=100',
      },
    });
    await store.putMany([
      ['a', { v: 0 }],
      ['b', { v: 0 }],
    ]);
    const other = await admin.connect();
    try {
      await other.query("SET deadlock_timeout = '10s'"); // the store's session detects the deadlock
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM ${table(store)} WHERE key = 'a' FOR UPDATE`);
      // The store locks b, then waits for a; the other session then waits for b.
      const pending = failure(() =>
        store.putMany([
          ['b', { v: 1 }],
          ['a', { v: 1 }],
        ]),
      );
      await waitForLock(app);
      const otherWaits = other.query(`SELECT 1 FROM ${table(store)} WHERE key = 'b' FOR UPDATE`);
      const err = await pending;
      expectError(err, StoreConnectionError, 'STORE_CONNECTION', true);
      expect((err as Error).message).toContain('40P01');
      await otherWaits;
      await other.query('COMMIT');
    } finally {
      other.release();
    }
  });

  test('a pool its owner ended → StoreOperationError (not retried), not a connection error', async () => {
    const pool = new pg.Pool({ connectionString: backend.url, max: 1 });
    pool.on('error', () => {});
    const store = make({ pool: pool as PostgresPool });
    await store.put('k', { a: 1 });
    await pool.end();
    const { wrapped, retries } = counted(store);
    expectError(await failure(() => wrapped.get('k')), StoreOperationError, 'STORE_OPERATION', false);
    expect(retries).toEqual([]);
  });

  describe('integers beyond 2^53 written by Python', () => {
    test('are refused with DeserializationError, never rounded; exact ones and JSONB-printed doubles read back', async () => {
      const store = make();
      await store.put('js', { big: 2 ** 60, huge: 1.5e300, small: 1e-7, neg: -(2 ** 55) });
      const insert = (key: string, json: string) =>
        admin.query(
          `INSERT INTO ${table(store)} (collection, key, value) VALUES ('default_collection', $1, $2::jsonb)`,
          [key, json],
        );
      await insert('python', '{"n": 12345678901234567890}');
      await insert('nested', '{"a": [1, {"n": -9007199254740993}]}');
      // A value stored as a JSON string holding the object (an older py-key-value form).
      await admin.query(
        `INSERT INTO ${table(store)} (collection, key, value) VALUES ('default_collection', 'as-string', to_jsonb($1::text))`,
        ['{"n": 12345678901234567890}'],
      );
      await insert('overflow', `{"n": 1${'0'.repeat(400)}}`); // beyond the double range
      await insert('exact', '{"n": 9007199254740992, "s": "12345678901234567890"}');
      for (const key of ['python', 'nested', 'as-string', 'overflow']) {
        const err = await failure(() => store.get(key));
        expect(err, key).toBeInstanceOf(DeserializationError);
        expect((err as Error).message).not.toContain('1234567890123456');
      }
      expect(await store.getMany(['python', 'exact', 'nested', 'js'])).toEqual([
        undefined,
        { n: 9007199254740992, s: '12345678901234567890' },
        undefined,
        { big: 2 ** 60, huge: 1.5e300, small: 1e-7, neg: -(2 ** 55) },
      ]);
      await expect(store.take('python')).rejects.toBeInstanceOf(DeserializationError);
    });
  });
});
