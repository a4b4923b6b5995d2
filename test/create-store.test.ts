/**
 * createStore(url): every scheme opens the store it names on the real backend (PostgreSQL, Redis
 * standalone, Sentinel and Cluster started on spare ports, the Firestore emulator, files), keys come
 * from the options or OAUTH_KV_KEY, the URL from OAUTH_KV_URL; bad URLs and a missing driver are
 * StoreSetupErrors that never show a password; a driver is imported only when its scheme is used.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createStore } from '../src/create-store.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreSetupError } from '../src/errors.js';
import { parseStoreUrl, redactStoreUrl } from '../src/url/parse.js';
import { findBackend, uniqueName } from './harness/backends.js';
import {
  redisBinariesAvailable,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from './helpers/redis-server.js';
import { errorText, failure } from './helpers/secret-scan.js';

const PASSWORD = 'pa55-w0rd-never-shown';
const binaries = await redisBinariesAvailable();
const redis = await findBackend('redis');
const pg = await findBackend('postgres');
const firestore = await findBackend('firestore');
if (!binaries && process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed');
const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-url-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('parseStoreUrl', () => {
  test('each scheme and its options', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('file:data/oauth', '/srv')).toEqual({ kind: 'file', directory: '/srv/data/oauth' });
    expect(parseStoreUrl('file:./x', '/srv')).toEqual({ kind: 'file', directory: '/srv/x' });
    expect(parseStoreUrl('file:/var/lib/kv')).toEqual({ kind: 'file', directory: '/var/lib/kv' });
    expect(parseStoreUrl('file:///var/lib/my%20kv')).toEqual({ kind: 'file', directory: '/var/lib/my kv' });
    expect(parseStoreUrl('redis://:pw@h:6380/2?prefix=app:')).toEqual({
      kind: 'redis',
      url: 'redis://:pw@h:6380/2',
      keyPrefix: 'app:',
    });
    expect(parseStoreUrl('rediss://h')).toMatchObject({ kind: 'redis', url: 'rediss://h' });
    expect(
      parseStoreUrl('redis+sentinel://u:p%40w@s1:26379,[::1],s3:26380/mymaster/3?sentinelPassword=sp'),
    ).toEqual({
      kind: 'redis-sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '::1', port: 26379 },
        { host: 's3', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      username: 'u',
      password: 'p@w',
      sentinelPassword: 'sp',
      tls: false,
      keyPrefix: undefined,
    });
    expect(parseStoreUrl('rediss+cluster://:pw@n1:7000,n2:7001?prefix=p:')).toEqual({
      kind: 'redis-cluster',
      nodes: ['rediss://:pw@n1:7000', 'n2:7001'],
      keyPrefix: 'p:',
    });
    expect(
      parseStoreUrl('postgresql://u:pw@db:5433/oauth?sslmode=disable&schema=s&table=t&createTable=false'),
    ).toEqual({
      kind: 'postgres',
      url: 'postgresql://u:pw@db:5433/oauth?sslmode=disable',
      schema: 's',
      table: 't',
      createTable: false,
    });
    expect(parseStoreUrl('firestore://my-project/other-db?root=services/mcp')).toEqual({
      kind: 'firestore',
      projectId: 'my-project',
      databaseId: 'other-db',
      rootPath: 'services/mcp',
    });
  });

  test('bad URLs: a StoreSetupError naming the problem, never the password', async () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['just-text', /no scheme/],
      [`mysql://root:${PASSWORD}@db/x`, /Unknown store URL scheme "mysql:"/],
      [`redis://:${PASSWORD}@host:99999`, /RedisStore url is not a valid URL/],
      [`redis://:${PASSWORD}@host/db1`, /RedisStore url path must be a database number/],
      [`redis+sentinel://:${PASSWORD}@s1:26379`, /names the master/],
      [`redis+sentinel://:${PASSWORD}@s1:0/m`, /port outside/],
      [`redis+cluster://:${PASSWORD}@n1:7000/3`, /takes no path/],
      [`postgres://u:${PASSWORD}@db/x?createTable=maybe`, /createTable must be true or false/],
      [`postgres://u:${PASSWORD}@db:port/x`, /PostgreSQL URL is not a valid URL/],
      ['firestore://', /firestore:\/\/PROJECT/],
      ['file:', /needs a directory/],
      ['file://host/x', /no host/],
      ['memory:something', /takes nothing/],
      [`keyv+redis://:${PASSWORD}@h:0`, /port 0/],
      [`keyv+redis://:${PASSWORD}@h/x`, /database number/],
      [`keyv+redis://:${PASSWORD}@h?prefix=p:`, /takes no prefix parameter; use namespace/],
      [`keyv+postgres://u:${PASSWORD}@db/x?namespace=`, /namespace must not be empty/],
      [`keyv+postgres://u:${PASSWORD}@db:port/x`, /keyv\+postgres:\/\/ URL is not a valid URL/],
      [`keyv+postgres://u:${PASSWORD}@db/x?table=t;drop`, /table must be a plain identifier/],
      [`keyv+postgres://u:${PASSWORD}@db/x?schema=a.b`, /schema must be a plain identifier/],
      [`keyv+mongodb://u:${PASSWORD}@db/x`, /Unknown store URL scheme "keyv\+mongodb:".*keyv\+redis:\/\//],
    ];
    for (const [url, message] of cases) {
      const err = await failure(() => createStore(url, { keys: false }));
      expect(err, url).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message, url).toMatch(message);
      expect(errorText(err)).not.toContain(PASSWORD);
    }
    expect(await failure(() => createStore(undefined, { env: {} }))).toBeInstanceOf(StoreSetupError);
  });

  test('redactStoreUrl hides passwords in the authority and the query', () => {
    expect(redactStoreUrl(`postgres://u:${PASSWORD}@db/x`)).toBe('postgres://u:***@db/x');
    expect(redactStoreUrl(`redis+sentinel://:${PASSWORD}@a:1,b:2/m?sentinelPassword=${PASSWORD}`)).toBe(
      'redis+sentinel://:***@a:1,b:2/m?sentinelPassword=***',
    );
    expect(redactStoreUrl(`keyv+redis://u:${PASSWORD}@h:6379/1?namespace=a`)).toBe(
      'keyv+redis://u:***@h:6379/1?namespace=a',
    );
    expect(redactStoreUrl('file:./data')).toBe('file:./data');
  });
});

describe('createStore on each backend', () => {
  const key = generateFernetKey();

  test('memory: and file: (relative to cwd, absolute, file:///), values encrypted with OAUTH_KV_KEY', async () => {
    const memory = await createStore('memory:', { env: {} });
    await memory.put('k', { a: 1 });
    expect(await memory.get('k')).toEqual({ a: 1 });
    await memory.close();

    const cwd = temp();
    const env = { OAUTH_KV_KEY: ` ${key} ` };
    const relative = await createStore('file:data', { cwd, env });
    await relative.put('k', { secret: 'v' }, { collection: 'c' });
    await relative.close();
    for (const url of [`file:${cwd}/data`, `file://${cwd}/data`]) {
      const raw = await createStore(url, { keys: false, env });
      expect(await raw.get('k', { collection: 'c' })).toHaveProperty('__encrypted_data__');
      await raw.close();
      const decrypted = await createStore(url, { env });
      expect(await decrypted.get('k', { collection: 'c' })).toEqual({ secret: 'v' });
      await decrypted.close();
    }
    // OAUTH_KV_URL when no URL is given; several keys, newest first.
    const other = generateFernetKey();
    const rotated = await createStore(undefined, {
      env: { OAUTH_KV_URL: `file:${cwd}/data`, OAUTH_KV_KEY: `${other},${key}` },
    });
    expect(await rotated.get('k', { collection: 'c' })).toEqual({ secret: 'v' });
    await rotated.close();
  });

  test.runIf(redis.available)('redis:// with a key prefix, on the shared server', async () => {
    const prefix = `${uniqueName('url')}:`;
    const store = await createStore(`${redis.url}?prefix=${prefix}`, { keys: key });
    await store.put('k', { v: 1 }, { collection: 'c', ttl: 60 });
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    expect(await client.exists(`${prefix}c::k`)).toBe(1);
    expect(await client.get(`${prefix}c::k`)).toContain('__encrypted_data__');
    expect(await store.destroyCollection('c')).toBe(true);
    client.disconnect();
    await store.close();
  });

  test.runIf(pg.available)('postgres:// with schema and table from the query', async () => {
    const table = uniqueName('url')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_');
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${table}`);
    try {
      const store = await createStore(`${pg.url}?schema=${table}&table=kv_${table}`, { keys: false });
      await store.put('k', { v: 2 }, { collection: 'c' });
      const rows = await admin.query(`SELECT key, value FROM ${table}.kv_${table}`);
      expect(rows.rows).toEqual([{ key: 'k', value: { v: 2 } }]);
      await store.close();
    } finally {
      await admin.query(`DROP SCHEMA ${table} CASCADE`);
      await admin.end();
    }
  });

  test.runIf(firestore.available)('firestore://PROJECT on the emulator', async () => {
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    const project = uniqueName('url')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    const store = await createStore(`firestore://${project}`, { keys: false });
    await store.put('k', { v: 3 }, { collection: 'c' });
    expect(await store.collections()).toEqual(['c']);
    await store.destroyCollection('c');
    await store.close();
  });

  test.runIf(binaries)(
    'redis+sentinel:// finds the master through a real Sentinel',
    async () => {
      const master = await startRedisServer(['--requirepass', PASSWORD]);
      const sentinel = await startRedisSentinel(master.port, { password: PASSWORD });
      const port = sentinel.port;
      try {
        const store = await createStore(`redis+sentinel://:${PASSWORD}@127.0.0.1:${port}/mymaster/1`, {
          keys: false,
        });
        await store.put('k', { v: 4 }, { collection: 'c' });
        const seen = execFileSync(
          'redis-cli',
          ['-p', String(master.port), '-a', PASSWORD, '--no-auth-warning', '-n', '1', 'get', 'c::k'],
          { encoding: 'utf8' },
        );
        expect(JSON.parse(seen).value).toEqual({ v: 4 });
        await store.close();
        // A wrong password: a typed error without the password.
        const wrong = await createStore(`redis+sentinel://:wrong-${PASSWORD}@127.0.0.1:${port}/mymaster`, {
          keys: false,
          storeOptions: { connectTimeoutMs: 1_000 },
        });
        const err = await failure(() => wrong.get('k'));
        expect(err).toBeInstanceOf(StoreSetupError);
        expect(errorText(err)).not.toContain(PASSWORD);
        await wrong.close();
      } finally {
        await sentinel.destroy();
        await master.destroy();
      }
    },
    60_000,
  );

  test.runIf(binaries)(
    'redis+cluster:// opens a Cluster from its node list',
    async () => {
      const cluster = await startRedisCluster({ password: PASSWORD });
      try {
        const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
        const store = await createStore(`redis+cluster://:${PASSWORD}@${nodes}`, { keys: key });
        const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
        await store.putMany(
          keys.map((k) => [k, { k }] as const),
          { collection: 'c' },
        );
        expect((await store.keys('c', { limit: 1000 })).keys.sort()).toEqual([...keys].sort());
        expect(await store.get('key-7', { collection: 'c' })).toEqual({ k: 'key-7' });
        await store.close();
      } finally {
        await cluster.destroy();
      }
    },
    120_000,
  );
});

describe('drivers load only for their scheme', () => {
  /** Bare packages a fresh Node process resolves while running `code`, with `hide` made unresolvable. */
  function loaded(code: string, hide = ''): { packages: string[]; output: string } {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/helpers/import-spy.mjs',
        '--import',
        './test/helpers/hide-package.mjs',
        '-e',
        code,
      ],
      { encoding: 'utf8', input: '', env: { ...process.env, OAUTH_KV_HIDE_PACKAGE: hide } },
    );
    const line = out.split('\n').find((l) => l.startsWith('IMPORTS '));
    return { packages: JSON.parse(line?.slice('IMPORTS '.length) ?? '[]') as string[], output: out };
  }
  async function dropTable(table: string): Promise<void> {
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: 'postgres://postgres@127.0.0.1/test' });
    await admin.connect();
    try {
      await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    } finally {
      await admin.end();
    }
  }
  const open = (url: string) =>
    `const { createStore } = await import('./src/index.ts');
     try { const s = await createStore(${JSON.stringify(url)}, { keys: false }); await s.close(); console.log('OPENED'); }
     catch (e) { console.log('ERROR', e.name, e.code, e.message); }`;

  test('memory: and file: load no package; redis:// loads ioredis only', () => {
    expect(loaded(open('memory:')).packages).toEqual([]);
    expect(loaded(open(`file:${temp()}`)).packages).toEqual([]);
    const redis = loaded(open('redis://127.0.0.1:6379'));
    expect(redis.packages).toContain('ioredis');
    expect(redis.packages).not.toContain('pg');
    expect(redis.packages).not.toContain('@google-cloud/firestore');
  });

  test('keyv+redis:// loads keyv and @keyv/redis only; keyv+postgres:// keyv and @keyv/postgres', async () => {
    const redis = loaded(open('keyv+redis://127.0.0.1:6379'));
    expect(redis.output).toContain('OPENED');
    expect(redis.packages).toEqual(expect.arrayContaining(['keyv', '@keyv/redis']));
    for (const other of ['ioredis', 'pg', '@keyv/postgres']) expect(redis.packages).not.toContain(other);
    // @keyv/postgres creates its table on connect: a table of this run's, dropped afterwards.
    const table = uniqueName('keyv_loaded').toLowerCase();
    const postgres = loaded(open(`keyv+postgres://postgres@127.0.0.1/test?table=${table}`));
    await dropTable(table);
    expect(postgres.output).toContain('OPENED');
    expect(postgres.packages).toEqual(expect.arrayContaining(['keyv', '@keyv/postgres']));
    for (const other of ['ioredis', '@keyv/redis']) expect(postgres.packages).not.toContain(other);
  });

  test('a missing driver fails createStore with a StoreSetupError naming the package', () => {
    for (const [url, pkg] of [
      [`postgres://u:${PASSWORD}@127.0.0.1/x`, 'pg'],
      [`redis://:${PASSWORD}@127.0.0.1`, 'ioredis'],
      ['firestore://p', '@google-cloud/firestore'],
      [`keyv+redis://:${PASSWORD}@127.0.0.1`, '@keyv/redis'],
      [`keyv+postgres://u:${PASSWORD}@127.0.0.1/x`, '@keyv/postgres'],
      [`keyv+redis://:${PASSWORD}@127.0.0.1`, 'keyv'],
    ] as const) {
      const { output } = loaded(open(url), pkg);
      expect(output).toContain(`ERROR StoreSetupError STORE_SETUP`);
      expect(output).toContain(`npm install ${pkg}`);
      expect(output).not.toContain(PASSWORD);
    }
  });
});
