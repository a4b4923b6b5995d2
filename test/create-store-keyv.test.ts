/**
 * createStore with a Keyv URL on the real servers: `keyv+redis://` (a private redis-server with a
 * password, on a spare port) and `keyv+postgres://` (the shared PostgreSQL) open a KeyvStore over
 * `@keyv/redis` / `@keyv/postgres` with the namespace, database, table and schema the URL names,
 * encrypted with the given key; `close()` disconnects the adapter it made; a wrong password, a
 * missing database or an unreachable server is a typed error that never shows the password; and
 * the `oauth-kv` command takes the same URLs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { createStore } from '../src/create-store.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { OAuthKVError, StoreConnectionError, StoreSetupError } from '../src/errors.js';
import { parseStoreUrl } from '../src/url/parse.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { runCli } from './helpers/cli.js';
import { type RedisServer, redisBinariesAvailable, startRedisServer } from './helpers/redis-server.js';
import { errorText, failure } from './helpers/secret-scan.js';

const run = promisify(execFile);
const PASSWORD = 'keyv-pa55-never-shown';
// Long enough that random ciphertext cannot contain it by chance (a 2-character secret once did).
const SECRET = 'client-secret-never-readable-at-rest';
const KEY = generateFernetKey();
const pg = await findBackend('postgres');
const binaries = await redisBinariesAvailable();
if (!binaries && process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed');

describe('parseStoreUrl: Keyv URLs', () => {
  test('the adapter URL behind keyv+, our parameters taken out', () => {
    expect(parseStoreUrl(`keyv+redis://u:${PASSWORD}@h:6380/2?namespace=app`)).toEqual({
      kind: 'keyv',
      adapter: 'redis',
      url: `redis://u:${PASSWORD}@h:6380/2`,
      namespace: 'app',
      table: undefined,
      schema: undefined,
    });
    expect(parseStoreUrl('keyv+rediss://h')).toMatchObject({ adapter: 'redis', url: 'rediss://h' });
    expect(
      parseStoreUrl('keyv+postgresql://u@db:5433/x?sslmode=require&table=kv&schema=oauth&namespace=n'),
    ).toEqual({
      kind: 'keyv',
      adapter: 'postgres',
      url: 'postgresql://u@db:5433/x?sslmode=require',
      namespace: 'n',
      table: 'kv',
      schema: 'oauth',
    });
    expect(parseStoreUrl('KEYV+POSTGRES://db/x')).toMatchObject({
      adapter: 'postgres',
      url: 'postgres://db/x',
    });
  });
});

describe.runIf(binaries)('keyv+redis:// on a private redis-server with a password', () => {
  let server: RedisServer;
  afterAll(async () => server?.destroy());
  /** `redis-cli` on the private server, authenticated. */
  const redisCli = async (...args: string[]) =>
    (await run('redis-cli', ['-p', String(server.port), '-a', PASSWORD, '--no-auth-warning', ...args]))
      .stdout;
  const clients = async () =>
    Number(/^connected_clients:(\d+)/m.exec(await redisCli('info', 'clients'))?.[1]);

  test('entries, TTLs and listing through @keyv/redis; encrypted; namespaced keys in the named database; close disconnects', async () => {
    server = await startRedisServer(['--requirepass', PASSWORD]);
    const url = `keyv+redis://:${PASSWORD}@127.0.0.1:${server.port}/3?namespace=oauth`;
    const store = await createStore(url, { keys: KEY });
    await store.put('client-1', { client_id: 'client-1', client_secret: SECRET }, { collection: 'clients' });
    await store.put('t-1', { access_token: 'at' }, { collection: 'tokens', ttl: 600 });
    expect(await store.get('client-1', { collection: 'clients' })).toEqual({
      client_id: 'client-1',
      client_secret: SECRET,
    });
    const { ttl } = await store.ttl('t-1', { collection: 'tokens' });
    expect(ttl).toBeGreaterThan(590);
    expect((await store.collections()).sort()).toEqual(['clients', 'tokens']);
    expect((await store.keys('tokens')).keys).toEqual(['t-1']);
    await store.ping();
    // In database 3, under the namespace, encrypted (no secret readable at rest).
    const keys = await redisCli('-n', '3', '--scan');
    // (Keyv puts its namespace before the key and @keyv/redis its own before that: as
    // `new KeyvStore(new KeyvRedis(url), { namespace })` stores them.)
    expect(keys.trim().split('\n').sort()).toEqual([
      'oauth::oauth:clients:client-1',
      'oauth::oauth:tokens:t-1',
    ]);
    const stored = await redisCli('-n', '3', 'get', 'oauth::oauth:clients:client-1');
    expect(stored).toContain('__encrypted_data__');
    expect(stored).not.toContain(SECRET);
    // Its connection is the store's own: close() ends it (only redis-cli's own stays).
    expect(await clients()).toBe(2);
    await store.close();
    await expect.poll(clients).toBe(1);

    // The command line takes the same URL.
    const listed = await runCli(['collections', url, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(['clients', 'tokens']);
    expect(listed.stdout + listed.stderr).not.toContain(PASSWORD);
  }, 60_000);

  test('a wrong password and an unreachable server: typed errors without the password', async () => {
    const wrong = await createStore(`keyv+redis://:wrong-${PASSWORD}@127.0.0.1:${server.port}`, {
      keys: false,
    });
    const err = await failure(() => wrong.get('k'));
    expect(err).toBeInstanceOf(StoreConnectionError);
    expect(errorText(err)).not.toContain(PASSWORD);
    await wrong.close();
    const down = await createStore(`keyv+redis://:${PASSWORD}@127.0.0.1:1`, { keys: false });
    const refused = await failure(() => down.put('k', { v: 1 }));
    expect(refused).toBeInstanceOf(StoreConnectionError);
    expect(errorText(refused)).not.toContain(PASSWORD);
    await down.close();
  }, 60_000);
});

describe.runIf(pg.available)('keyv+postgres:// on PostgreSQL', () => {
  const table = uniqueName('keyv')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  afterAll(async () => {
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: pg.url });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS public.${table}`);
    await client.end();
  });

  test('entries and TTLs through @keyv/postgres in the table the URL names, namespaced, encrypted', async () => {
    const url = `keyv+${pg.url}?table=${table}&schema=public&namespace=mcp`;
    const store = await createStore(url, { keys: KEY });
    await store.putMany(
      [
        ['a', { secret: 'one' }],
        ['b', { secret: `${SECRET}-two` }],
      ],
      { collection: 'codes', ttl: 300 },
    );
    const got = await store.ttlMany(['a', 'b', 'c'], { collection: 'codes' });
    expect(got.map((r) => r.value)).toEqual([{ secret: 'one' }, { secret: `${SECRET}-two` }, undefined]);
    expect(got[0]?.ttl).toBeGreaterThan(290);
    expect(await store.take('a', { collection: 'codes' })).toEqual({ secret: 'one' });
    expect((await store.keys('codes')).keys).toEqual(['b']);
    await store.close();
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: pg.url });
    await client.connect();
    const { rows } = await client.query(`SELECT key, value FROM public.${table}`);
    await client.end();
    expect(rows.map((r: { key: string }) => r.key)).toEqual(['mcp:codes:b']);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
  });

  test('a database that does not exist: a StoreSetupError from createStore, no password', async () => {
    const target = new URL(pg.url);
    target.password = PASSWORD;
    target.pathname = `/no_such_db_${Date.now()}`;
    const err = await failure(() => createStore(`keyv+${target.href}`, { keys: false }));
    expect(err).toBeInstanceOf(StoreSetupError);
    expect(err).toBeInstanceOf(OAuthKVError);
    expect((err as Error).message).toMatch(
      /^@keyv\/postgres could not connect or create its table: database "no_such_db_\d+" does not exist/,
    );
    expect(errorText(err)).not.toContain(PASSWORD);
  });
});
