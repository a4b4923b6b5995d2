/**
 * End to end: an entry py-key-value wrote that JavaScript cannot read (NaN, Infinity, an integer
 * beyond 2^53 a double cannot hold) fails that entry only. A single read (get, ttl, take) throws a
 * DeserializationError naming the path; a bulk read (getMany, ttlMany) returns undefined at that
 * position and every other entry as usual (py-key-value's own stores return None there).
 *
 * The documents are written raw, exactly as py-key-value 0.4.4 writes them (Python's json.dumps
 * with sort_keys: ", " and ": " separators, NaN as a bare token, integers at full precision), with
 * ioredis and pg, so this test needs no Python.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { Fernet } from '../src/crypto/fernet.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { formatIsoDate } from '../src/entry.js';
import { DeserializationError } from '../src/errors.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';

const redisBackend = await findBackend('redis');
const pgBackend = await findBackend('postgres');

const GOOD_1 = '{"client_id": "mcp_1", "n": 1}';
const GOOD_2 = '{"client_id": "mcp_2", "ids": [1, 2]}';
/** Value texts as Python's json.dumps(sort_keys=True) writes them, and where each must be refused. */
const UNREADABLE = {
  nan: { text: '{"ok": true, "score": NaN}', path: '$.score' },
  inf: { text: '{"limits": {"max": Infinity}}', path: '$.limits.max' },
  big: { text: '{"ids": [1, 18446744073709551615], "name": "a"}', path: '$.ids[1]' },
} as const;

async function refusal(read: Promise<unknown>, path: string): Promise<void> {
  const error = await read.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(DeserializationError);
  expect((error as Error).message).toContain(`(at ${path})`);
}

describe.skipIf(!redisBackend.available)(
  `Redis ${redisBackend.description}: documents py-key-value wrote`,
  () => {
    const collection = `${uniqueName('pynan')}-clients`;
    let raw: Redis;
    let store: RedisStore;

    /** A py-key-value RedisStore document. */
    function pyDocument(key: string, valueText: string, expiresAt = Date.now() + 3_600_000): string {
      return (
        `{"collection": ${JSON.stringify(collection)}, "created_at": "${formatIsoDate(Date.now())}", ` +
        `"expires_at": "${formatIsoDate(expiresAt)}", "key": ${JSON.stringify(key)}, ` +
        `"value": ${valueText}, "version": 1}`
      );
    }

    beforeAll(async () => {
      raw = new Redis(redisBackend.url);
      store = new RedisStore({ url: redisBackend.url });
      const docs: Array<[string, string]> = [
        ['good1', pyDocument('good1', GOOD_1)],
        ['good2', pyDocument('good2', GOOD_2)],
        ['nan', pyDocument('nan', UNREADABLE.nan.text)],
        ['inf', pyDocument('inf', UNREADABLE.inf.text)],
        ['big', pyDocument('big', UNREADABLE.big.text)],
        ['expired-nan', pyDocument('expired-nan', UNREADABLE.nan.text, Date.now() - 1_000)],
      ];
      for (const [key, doc] of docs) await raw.set(`${collection}::${key}`, doc, 'EX', 600);
    });
    afterAll(async () => {
      await store?.destroyCollection(collection);
      await store?.close();
      raw?.disconnect();
    });

    it('getMany returns every readable entry and undefined for each unreadable one', async () => {
      expect(await store.getMany(['good1', 'nan', 'big', 'inf', 'good2', 'missing'], { collection })).toEqual(
        [JSON.parse(GOOD_1), undefined, undefined, undefined, JSON.parse(GOOD_2), undefined],
      );
    });

    it('ttlMany does the same', async () => {
      const results = await store.ttlMany(['good1', 'nan', 'good2'], { collection });
      expect(results.map((r) => r.value)).toEqual([JSON.parse(GOOD_1), undefined, JSON.parse(GOOD_2)]);
      expect(results[1]).toEqual({ value: undefined, ttl: undefined });
      expect(results[0]!.ttl).toBeGreaterThan(3_500);
    });

    it('get and ttl of an unreadable entry throw DeserializationError naming the path', async () => {
      for (const [key, { path }] of Object.entries(UNREADABLE)) {
        await refusal(store.get(key, { collection }), path);
        await refusal(store.ttl(key, { collection }), path);
      }
    });

    it('the message never holds the number', async () => {
      const error = await store.get('big', { collection }).catch((err: unknown) => err);
      expect((error as Error).message).not.toContain('18446744073709551615');
    });

    it('take of an unreadable entry throws DeserializationError naming the path', async () => {
      await raw.set(`${collection}::take-me`, pyDocument('take-me', UNREADABLE.nan.text), 'EX', 600);
      await refusal(store.take('take-me', { collection }), UNREADABLE.nan.path);
    });
  },
);

describe.skipIf(!pgBackend.available)(`PostgreSQL ${pgBackend.description}: rows py-key-value wrote`, () => {
  const schema = uniqueName('pynan');
  const collection = 'mcp-oauth-proxy-clients';
  let admin: pg.Pool;
  let store: PostgresStore;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: pgBackend.url, max: 2 });
    await admin.query(`CREATE SCHEMA "${schema}"`);
    store = new PostgresStore({ url: pgBackend.url, schema });
    await store.get('warm-up', { collection }); // creates the table
    // JSONB has no NaN: Python can store only the big integer here, and PostgreSQL keeps it exact.
    const rows: Array<[string, string]> = [
      ['good1', GOOD_1],
      ['big', UNREADABLE.big.text],
      ['good2', GOOD_2],
    ];
    for (const [key, value] of rows) {
      await admin.query(
        `INSERT INTO "${schema}".kv_store (collection, key, value, ttl, created_at, expires_at)
         VALUES ($1, $2, $3::jsonb, NULL, now(), NULL)`,
        [collection, key, value],
      );
    }
  });
  afterAll(async () => {
    await store?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it('the big integer is refused naming the path, never rounded', async () => {
    await refusal(store.get('big', { collection }), UNREADABLE.big.path);
  });

  it('getMany returns the readable rows and undefined for the unreadable one', async () => {
    expect(await store.getMany(['good1', 'big', 'good2'], { collection })).toEqual([
      JSON.parse(GOOD_1),
      undefined,
      JSON.parse(GOOD_2),
    ]);
  });
});

describe.skipIf(!redisBackend.available)(
  'the encryption wrapper over Redis: a value Python encrypted holding NaN',
  () => {
    const collection = `${uniqueName('pynan')}-enc`;
    let raw: Redis;
    let inner: RedisStore;
    let store: AsyncKeyValue;

    beforeAll(async () => {
      raw = new Redis(redisBackend.url);
      inner = new RedisStore({ url: redisBackend.url });
      const key = generateFernetKey();
      store = withEncryption(inner, { keys: key });
      await store.put('good', JSON.parse(GOOD_1), { collection });
      // What FernetEncryptionWrapper stores for {"score": NaN}: the compact JSON, encrypted.
      const token = new Fernet(key).encrypt('{"ok":true,"score":NaN}');
      const envelope = `{"__encrypted_data__": "${Buffer.from(token, 'latin1').toString('base64')}", "__encryption_version__": 1}`;
      await raw.set(
        `${collection}::nan`,
        `{"collection": ${JSON.stringify(collection)}, "created_at": "${formatIsoDate(Date.now())}", "key": "nan", "value": ${envelope}, "version": 1}`,
      );
    });
    afterAll(async () => {
      await inner?.destroyCollection(collection);
      await inner?.close();
      raw?.disconnect();
    });

    it('get throws DeserializationError naming the path', async () => {
      await refusal(store.get('nan', { collection }), '$.score');
    });

    it('getMany fails that entry only', async () => {
      expect(await store.getMany(['good', 'nan'], { collection })).toEqual([JSON.parse(GOOD_1), undefined]);
    });
  },
);
