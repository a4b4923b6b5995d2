/**
 * The `oauth-kv` command as a user runs it (a child process) against the real backends: keygen,
 * collections, keys, get (decrypted, redacted unless --reveal, --json), delete, cull and doctor on
 * files, PostgreSQL, Redis and the Firestore emulator (doctor's clock also through a real Sentinel and
 * on every master of a real Cluster); and every command answering a wrong URL, a
 * wrong key or a missing collection with one line and a non-zero exit, no stack, no secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { createStore } from '../src/create-store.js';
import { Fernet } from '../src/crypto/fernet.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type CliResult, runCli } from './helpers/cli.js';
import {
  redisBinariesAvailable,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from './helpers/redis-server.js';

const KEY = generateFernetKey();
const OTHER_KEY = generateFernetKey();
const PASSWORD = 'db-pa55word-never-shown';
const SECRET = 'client-secret-value-never-shown';
const cwd = mkdtempSync(join(tmpdir(), 'oauth-kv-cli-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const pg = await findBackend('postgres');
const redis = await findBackend('redis');
const firestore = await findBackend('firestore');
const ready = [pg, redis, firestore].every((b) => b.available);
const binaries = await redisBinariesAvailable();
if (!binaries && process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed');
const table = uniqueName('cli')
  .toLowerCase()
  .replace(/[^a-z0-9_]/g, '_');
const project = uniqueName('cli')
  .toLowerCase()
  .replace(/[^a-z0-9-]/g, '-');

const URLS: Record<string, string> = {
  file: `file:${join(cwd, 'kv')}`,
  postgres: `${pg.url}?table=${table}`,
  redis: `${redis.url}?prefix=${uniqueName('cli')}:`,
  firestore: `firestore://${project}`,
};
const env = { FIRESTORE_EMULATOR_HOST: firestore.url, METADATA_SERVER_DETECTION: 'none' };
const cli = (...args: string[]) => runCli(args, { cwd, env });

/** One line on stderr, a non-zero exit, no stack trace, no secret. */
function failsCleanly(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^oauth-kv: /);
  expect(lines[0]).toMatch(pattern);
  const all = result.stdout + result.stderr;
  expect(all).not.toMatch(/\n\s+at /);
  for (const secret of [PASSWORD, SECRET, KEY, OTHER_KEY]) expect(all).not.toContain(secret);
}

describe.skipIf(!ready)('oauth-kv (needs PostgreSQL, Redis and the Firestore emulator)', () => {
  const stores: AsyncKeyValue[] = [];
  beforeAll(async () => {
    process.env.METADATA_SERVER_DETECTION ??= 'none';
    for (const url of Object.values(URLS)) {
      const store = await createStore(url, { keys: KEY, env: {} });
      stores.push(store);
      await store.putMany(
        [
          [
            'client-1',
            { client_id: 'client-1', client_secret: SECRET, redirect_uris: ['http://127.0.0.1/cb'] },
          ],
          ['client-2', { client_id: 'client-2', client_secret: SECRET }],
        ],
        { collection: 'clients' },
      );
      await store.put('t-1', { access_token: SECRET, scope: 'read' }, { collection: 'tokens', ttl: 600 });
    }
  }, 60_000);
  afterAll(async () => {
    for (const store of stores) {
      for (const c of ['clients', 'tokens', 'short']) await store.destroyCollection(c).catch(() => {});
      await store.close();
    }
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: pg.url });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  test('keygen prints a new Fernet key (plain and --json)', async () => {
    const a = await cli('keygen');
    const b = await cli('keygen', '--json');
    expect(a.code).toBe(0);
    const key = a.stdout.trim();
    expect(() => new Fernet(key)).not.toThrow();
    const { key: other } = JSON.parse(b.stdout) as { key: string };
    expect(other).not.toBe(key);
    expect(new Fernet(other).decryptText(new Fernet(other).encrypt('x'))).toBe('x');
  });

  describe.each(Object.keys(URLS))('on %s', (kind) => {
    const url = () => URLS[kind] as string;

    test('collections (with --count and --json), keys', async () => {
      const names = await cli('collections', url());
      expect(names.code, names.stderr).toBe(0);
      expect(names.stdout.trim().split('\n')).toEqual(['clients', 'tokens']);
      const counted = await cli('collections', url(), '--count', '--json');
      expect(JSON.parse(counted.stdout)).toEqual([
        { collection: 'clients', entries: 2 },
        { collection: 'tokens', entries: 1 },
      ]);
      const keys = await cli('keys', url(), 'clients', '--json');
      expect((JSON.parse(keys.stdout) as { keys: string[] }).keys.sort()).toEqual(['client-1', 'client-2']);
    });

    test('get: decrypted with --key, secrets redacted unless --reveal; OAUTH_KV_KEY works too', async () => {
      const redacted = await cli('get', url(), 'clients', 'client-1', '--key', KEY);
      expect(redacted.code, redacted.stderr).toBe(0);
      expect(redacted.stdout).toContain('"client_id": "client-1"');
      expect(redacted.stdout).toContain('"client_secret": "[redacted]"');
      expect(redacted.stdout).not.toContain(SECRET);
      const revealed = await runCli(['get', url(), 'tokens', 't-1', '--reveal', '--json'], {
        cwd,
        env: { ...env, OAUTH_KV_KEY: `${OTHER_KEY},${KEY}` },
      });
      const json = JSON.parse(revealed.stdout) as {
        value: { access_token: string };
        ttl: number;
        encrypted: boolean;
      };
      expect(json.value.access_token).toBe(SECRET);
      expect(json.ttl).toBeGreaterThan(500);
      expect(json.encrypted).toBe(false);
      const locked = await cli('get', url(), 'clients', 'client-1');
      expect(locked.stdout).toContain('encrypted: pass --key');
      expect(locked.stdout).not.toContain('__encrypted_data__": "g'); // the blob itself is never shown
    });

    test('doctor: connects, writes, samples, tries the key, measures the clock', async () => {
      const ok = await cli('doctor', url(), '--key', KEY, '--json');
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout) as {
        ok: boolean;
        checks: { name: string; status: string; detail: string }[];
      };
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(byName.connect?.status).toBe('ok');
      expect(byName['read/write']?.status).toBe('ok');
      expect(byName.layout?.detail).toContain('2 collections, 3 entries sampled');
      expect(byName.key?.detail).toContain('3 under the first key');
      if (kind === 'file') expect(byName.clock?.status).toBe('skip');
      else expect(byName.clock?.detail).toMatch(/server clock (ahead of|behind) this machine by \d+ ms/);
      // The wrong key: the key check fails, the command exits 1 with one line on stderr.
      const wrong = await cli('doctor', url(), '--key', OTHER_KEY);
      failsCleanly(wrong, /doctor found 1 problem\(s\): key/);
      expect(wrong.stdout).toMatch(
        /FAIL key: 3 encrypted entries sampled: 0 under the first key, 0 under older keys, 3 not decryptable/,
      );
      // An old key second: still readable, rotation suggested.
      const older = await cli('doctor', url(), '--key', `${OTHER_KEY},${KEY}`);
      expect(older.code).toBe(0);
      expect(older.stdout).toContain('3 under older keys (run rotate)');
    });
  });

  test('doctor: entries not in the py-key-value layout fail the layout check (Redis)', async () => {
    const prefix = `${uniqueName('cli-bad')}:`;
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      await client.set(`${prefix}clients::broken`, 'not a py-key-value document');
      await client.set(
        `${prefix}clients::fine`,
        JSON.stringify({ value: { a: 1 }, created_at: null, expires_at: null }),
      );
      const result = await cli('doctor', `${redis.url}?prefix=${prefix}`, '--read-only');
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^FAIL layout: 1 collections, 2 entries sampled; 1 sampled entries are not in the py-key-value document layout$/m,
      );
      expect(result.stdout).toMatch(/^SKIP read\/write: not tried \(--read-only\)$/m);
      expect(result.stderr.trim()).toBe('oauth-kv: doctor found 1 problem(s): layout');
    } finally {
      await client.del(`${prefix}clients::broken`, `${prefix}clients::fine`);
      client.disconnect();
    }
  });

  describe('delete and cull (files)', () => {
    test('delete removes entries, and fails cleanly when none existed', async () => {
      const store = await createStore(URLS.file, { keys: false, env: {} });
      await store.putMany(
        [
          ['a', { v: 1 }],
          ['b', { v: 2 }],
        ],
        { collection: 'short' },
      );
      const deleted = await cli('delete', URLS.file as string, 'short', 'a', 'b', 'c', '--json');
      expect(JSON.parse(deleted.stdout)).toEqual({ collection: 'short', deleted: 2, requested: 3 });
      failsCleanly(
        await cli('delete', URLS.file as string, 'clients', 'nope'),
        /none of the 1 key\(s\) exist in collection "clients"/,
      );
      await store.close();
    });

    test('cull removes expired entries', async () => {
      const store = await createStore(URLS.file, { keys: false, env: {} });
      await store.put('gone-soon', { v: 1 }, { collection: 'short', ttl: 0.05 });
      await new Promise((r) => setTimeout(r, 100));
      const culled = await cli('cull', URLS.file as string, '--json');
      expect(JSON.parse(culled.stdout)).toEqual({ removed: 1 });
      await store.close();
    });
  });

  describe('bad input: one line, a non-zero exit, no stack, no secret', () => {
    const badUrls = [
      [`mysql://root:${PASSWORD}@db/x`, /Unknown store URL scheme "mysql:"/],
      [`postgres://u:${PASSWORD}@127.0.0.1:bad/x`, /PostgreSQL URL is not a valid URL/],
      [`postgres://u:${PASSWORD}@127.0.0.1:1/x`, /PostgreSQL|connect|reach/i],
      [`redis://:${PASSWORD}@127.0.0.1:1`, /Redis|connect/i],
      ['file:./does-not-exist', /no store at file:.\/does-not-exist: the directory does not exist/],
      ['nonsense', /no scheme/],
    ] as const;

    for (const [bad, pattern] of badUrls) {
      test(`a wrong URL (${bad.replace(PASSWORD, '***')}) in every command`, async () => {
        const commands = [
          ['collections', bad],
          ['keys', bad, 'clients'],
          ['get', bad, 'clients', 'client-1', '--key', KEY],
          ['delete', bad, 'clients', 'client-1'],
          ['cull', bad],
          ['doctor', bad, '--key', KEY],
          ['rotate', bad, '--new-key', OTHER_KEY, '--key', KEY],
          ['copy', bad, URLS.file as string],
        ];
        // In parallel: an unreachable server costs each command its connect timeout.
        const results = await Promise.all(commands.map((args) => runCli(args, { cwd, env })));
        for (const [i, result] of results.entries()) {
          if (commands[i]?.[0] === 'doctor' && /127\.0\.0\.1:1\b/.test(bad)) {
            // doctor reports an unreachable store as a failed connect check.
            expect(result.code).toBe(1);
            expect(result.stdout).toMatch(/FAIL connect/);
            expect(result.stdout + result.stderr).not.toContain(PASSWORD);
            continue;
          }
          failsCleanly(result, pattern);
        }
      }, 120_000);
    }

    test('a wrong or malformed key', async () => {
      failsCleanly(
        await cli('get', URLS.file as string, 'clients', 'client-1', '--key', OTHER_KEY),
        /wrong --key or OAUTH_KV_KEY/,
      );
      failsCleanly(
        await cli('get', URLS.file as string, 'clients', 'client-1', '--key', 'not-a-key'),
        /Fernet key/,
      );
      failsCleanly(
        await cli('rotate', URLS.file as string, '--new-key', 'short', '--key', KEY),
        /Fernet key/,
      );
    });

    test('a missing collection or key', async () => {
      for (const args of [
        ['keys', URLS.file as string, 'nope'],
        ['get', URLS.file as string, 'nope', 'k', '--key', KEY],
        ['delete', URLS.file as string, 'nope', 'k'],
      ]) {
        failsCleanly(await cli(...args), /collection "nope" holds no entries/);
      }
      failsCleanly(
        await cli('get', URLS.file as string, 'clients', 'nope', '--key', KEY),
        /no entry "nope" in collection "clients"/,
      );
    });

    test('usage errors: missing arguments, no URL at all, unknown command', async () => {
      failsCleanly(await cli('get', URLS.file as string), /missing required argument/);
      failsCleanly(await cli('collections'), /no store URL/);
      failsCleanly(await cli('frobnicate'), /unknown command/);
      failsCleanly(await cli('rotate', URLS.file as string), /--new-key/);
    });
  });
});

describe.runIf(binaries)(
  'doctor: the clock of Redis Sentinel and Cluster URLs (own servers on spare ports)',
  () => {
    type Report = { ok: boolean; checks: { name: string; status: string; detail: string }[] };
    const clockOf = (stdout: string) => (JSON.parse(stdout) as Report).checks.find((c) => c.name === 'clock');
    /** This process's clock 5 s behind the servers', through a preload (the servers are untouched). */
    const behind = {
      ...env,
      NODE_OPTIONS: `--import=${fileURLToPath(new URL('./helpers/shift-clock.mjs', import.meta.url))}`,
      OAUTH_KV_TEST_CLOCK_SHIFT_MS: '-5000',
    };
    const measured = (where: string) =>
      `${where}: server clock (ahead of|behind) this machine by \\d+ ms \\(±\\d+ ms\\)`;

    test('Sentinel: TIME on the master the Sentinel names', async () => {
      const master = await startRedisServer(['--requirepass', PASSWORD]);
      const sentinel = await startRedisSentinel(master.port, { password: PASSWORD });
      try {
        const url = `redis+sentinel://:${PASSWORD}@127.0.0.1:${sentinel.port}/mymaster`;
        const ok = await runCli(['doctor', url, '--json'], { cwd, env });
        expect(ok.code, ok.stderr).toBe(0);
        const clock = clockOf(ok.stdout);
        expect(clock?.status).toBe('ok');
        expect(clock?.detail).toMatch(
          new RegExp(`^${measured(`master mymaster at 127\\.0\\.0\\.1:${master.port}`)}$`),
        );
        const off = await runCli(['doctor', url, '--json'], { cwd, env: behind });
        expect(clockOf(off.stdout)).toMatchObject({ status: 'warn' });
        expect(clockOf(off.stdout)?.detail).toMatch(
          /server clock ahead of this machine by (49|50|51)\d\d ms/,
        );
        for (const r of [ok, off]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      } finally {
        await sentinel.destroy();
        await master.destroy();
      }
    }, 60_000);

    test('Cluster: TIME on every master', async () => {
      const cluster = await startRedisCluster({ password: PASSWORD });
      try {
        const url = `redis+cluster://:${PASSWORD}@${cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
        const ok = await runCli(['doctor', url, '--json'], { cwd, env });
        expect(ok.code, ok.stderr).toBe(0);
        const clock = clockOf(ok.stdout);
        expect(clock?.status).toBe('ok');
        const parts = clock?.detail.split('; ') ?? [];
        expect(parts).toHaveLength(3);
        for (const port of cluster.ports)
          expect(
            parts.some((p) => new RegExp(`^${measured(`master 127\\.0\\.0\\.1:${port}`)}$`).test(p)),
          ).toBe(true);
        const off = await runCli(['doctor', url, '--json'], { cwd, env: behind });
        const warned = clockOf(off.stdout);
        expect(warned?.status).toBe('warn');
        expect(warned?.detail.match(/server clock ahead of this machine by (49|50|51)\d\d ms/g)).toHaveLength(
          3,
        );
        for (const r of [ok, off]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
      } finally {
        await cluster.destroy();
      }
    }, 120_000);
  },
);
