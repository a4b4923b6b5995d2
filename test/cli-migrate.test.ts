/**
 * `oauth-kv rotate` and `oauth-kv copy` as child processes on the real backends: complete runs with
 * TTLs kept, plain progress lines when standard error is not a terminal, a dry run that writes
 * nothing, runs killed (SIGKILL) or interrupted (SIGINT) halfway that resume to the same result with
 * nothing lost, a copy killed inside one large collection that resumes with only the remainder
 * written, copy verification, and a run under a real pseudo-terminal (tmux) that draws the bar.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultStatePath, runId, saveState } from '../src/cli/checkpoint.js';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { createStore } from '../src/create-store.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { cliCommand, runCli, spawnCli, until } from './helpers/cli.js';
import { redisBinariesAvailable, redisCli, startRedisServer } from './helpers/redis-server.js';

const OLD = generateFernetKey();
const NEW = generateFernetKey();
const cwd = mkdtempSync(join(tmpdir(), 'oauth-kv-cli-migrate-'));
const pg = await findBackend('postgres');
const redis = await findBackend('redis');
const ready = [pg, redis].every((b) => b.available);
const redisBinaries = await redisBinariesAvailable();
if (!redisBinaries && process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed');
const tables: string[] = [];
const opened: AsyncKeyValue[] = [];

describe.skipIf(!ready)('oauth-kv rotate and copy (needs PostgreSQL and Redis)', () => {
  afterAll(async () => {
    for (const store of opened) {
      for (const c of await store.collections().catch(() => []))
        await store.destroyCollection(c).catch(() => {});
      await store.close();
    }
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: pg.url });
    await client.connect();
    for (const t of tables) await client.query(`DROP TABLE IF EXISTS ${t}`);
    await client.end();
    rmSync(cwd, { recursive: true, force: true });
  });

  function pgUrl(): string {
    const table = uniqueName('mig')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_');
    tables.push(table);
    return `${pg.url}?table=${table}`;
  }
  const redisUrl = () => `${redis.url}?prefix=${uniqueName('mig')}:`;

  async function open(url: string, keys: string[] | false): Promise<AsyncKeyValue> {
    const store = await createStore(url, { keys, env: {} });
    opened.push(store);
    return store;
  }

  /** Fills `count` entries over three collections, a third of them with a 1-hour TTL. */
  async function fill(url: string, count: number, keys: string[]): Promise<Map<string, JsonObject>> {
    const store = await open(url, keys);
    const expected = new Map<string, JsonObject>();
    for (const [c, collection] of ['clients', 'tokens', 'codes'].entries()) {
      const lasting: [string, JsonObject][] = [];
      const expiring: [string, JsonObject][] = [];
      for (let i = c; i < count; i += 3) {
        const value = { id: i, secret: `s-${i}`, nested: { n: i } };
        expected.set(`${collection}/k${i}`, value);
        (c === 1 ? expiring : lasting).push([`k${i}`, value]);
      }
      if (lasting.length > 0) await store.putMany(lasting, { collection });
      if (expiring.length > 0) await store.putMany(expiring, { collection, ttl: 3600 });
    }
    return expected;
  }

  /** Every entry of `url` read with only `keys`: all present, equal, TTLs as filled. */
  async function expectAll(
    url: string,
    keys: string[] | false,
    expected: Map<string, JsonObject>,
  ): Promise<void> {
    const store = await open(url, keys);
    const byCollection = new Map<string, string[]>();
    for (const id of expected.keys()) {
      const [collection, key] = id.split('/') as [string, string];
      byCollection.set(collection, [...(byCollection.get(collection) ?? []), key]);
    }
    for (const [collection, keyList] of byCollection) {
      const results = await store.ttlMany(keyList, { collection });
      for (const [i, key] of keyList.entries()) {
        expect(results[i]?.value, `${collection}/${key}`).toEqual(expected.get(`${collection}/${key}`));
        if (collection === 'tokens') expect(results[i]?.ttl).toBeGreaterThan(3000);
        else expect(results[i]?.ttl).toBeUndefined();
      }
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await store.keys(collection, { limit: 1000, cursor });
        total += page.keys.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(total, collection).toBe(keyList.length);
    }
  }

  const stateFiles = () => readdirSync(cwd).filter((f) => f.endsWith('.state.json'));

  describe('rotate', () => {
    test('dry run writes nothing; a run re-encrypts everything under the new key with TTLs kept (Redis)', async () => {
      const url = redisUrl();
      const expected = await fill(url, 600, [OLD]);
      const dry = await runCli(['rotate', url, '--new-key', NEW, '--key', OLD, '--dry-run', '--json'], {
        cwd,
      });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ rewritten: 600, current: 0, dryRun: true });
      await expectAll(url, [OLD], expected); // still readable with the old key alone: nothing written

      const run = await runCli(['rotate', url, '--new-key', NEW, '--page-size', '50'], {
        cwd,
        env: { OAUTH_KV_KEY: OLD },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^rewrote 600 entries under the new key \(0 already current/);
      // Not a terminal: plain progress lines, no bar.
      expect(run.stderr).toMatch(/^rotate: 600 entries to visit$/m);
      expect(run.stderr).toMatch(
        /^rotate: 600\/600 entries \(100%\), eta 0s, rewritten 600, current 0, failed 0$/m,
      );
      expect(run.stderr).not.toContain('█');
      await expectAll(url, [NEW], expected);
      expect(stateFiles()).toEqual([]);
      // A second run finds nothing to do.
      const again = await runCli(['rotate', url, '--new-key', NEW, '--key', OLD, '--json'], { cwd });
      expect(JSON.parse(again.stdout)).toMatchObject({ rewritten: 0, current: 600 });
    }, 120_000);

    test('a wrong old key: nothing is rewritten, one line, exit 1, no key shown (files)', async () => {
      const url = `file:${join(cwd, 'rotate-wrong')}`;
      const expected = await fill(url, 30, [OLD]);
      const wrong = generateFernetKey();
      const run = await runCli(['rotate', url, '--new-key', NEW, '--key', wrong], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^rewrote 0 entries under the new key/);
      expect(run.stderr.trim().split('\n').at(-1)).toBe(
        'oauth-kv: 30 entries could not be decrypted with the given keys and were left as they were',
      );
      for (const key of [NEW, OLD, wrong]) expect(run.stdout + run.stderr).not.toContain(key);
      await expectAll(url, [OLD], expected);
      expect(stateFiles()).toEqual([]);
    }, 60_000);

    test('killed halfway (SIGKILL), the same command resumes and loses nothing (PostgreSQL)', async () => {
      const url = pgUrl();
      const expected = await fill(url, 3000, [OLD]);
      const args = ['rotate', url, '--new-key', NEW, '--key', OLD, '--page-size', '10'];
      const first = spawnCli(args, { cwd });
      await until(() => /rotate: \d+\/3000 entries/.test(first.stderr()), 60_000, 'a progress line');
      first.child.kill('SIGKILL');
      await first.exited;
      expect(stateFiles()).toHaveLength(1); // the run left its state behind
      const mixed = await open(url, [NEW]);
      const sample = await mixed
        .getMany(['k0', 'k3', 'k2997'], { collection: 'clients' })
        .catch(() => 'mixed');
      expect(sample).toBe('mixed'); // some entries under the new key, others still under the old one

      const resumed = await runCli([...args, '--json'], { cwd });
      expect(resumed.code, resumed.stderr).toBe(0);
      const result = JSON.parse(resumed.stdout) as Record<string, number | boolean>;
      expect(result.resumed).toBe(true);
      expect(result.failed).toBe(0);
      expect((result.rewritten as number) + (result.recovered as number)).toBeGreaterThan(0);
      await expectAll(url, [NEW], expected);
      expect(stateFiles()).toEqual([]);
    }, 180_000);

    test('killed between a take and its put: the rerun puts the journalled entry back, re-encrypted (Redis)', async () => {
      const url = redisUrl();
      const expected = await fill(url, 30, [OLD]);
      // What a run killed at that moment leaves: the entry taken out of the store, and the state file
      // (written before the take) that journals it.
      const raw = await open(url, false);
      const stored = await raw.ttl('k1', { collection: 'tokens' });
      expect(await raw.take('k1', { collection: 'tokens' })).toEqual(stored.value);
      const run = runId(['rotate', url, NEW, 'false']);
      await saveState(defaultStatePath('rotate', run).replace(process.cwd(), cwd), {
        command: 'rotate',
        run,
        done: [],
        inFlight: [
          {
            collection: 'tokens',
            key: 'k1',
            raw: stored.value as JsonObject,
            deadline: Date.now() + (stored.ttl as number) * 1000,
          },
        ],
        counts: {},
      });
      const resumed = await runCli(['rotate', url, '--new-key', NEW, '--key', OLD, '--json'], { cwd });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({
        resumed: true,
        recovered: 1,
        rewritten: 29,
        failed: 0,
      });
      await expectAll(url, [NEW], expected); // k1 is back, under the new key, with its TTL
      expect(stateFiles()).toEqual([]);
    }, 60_000);

    test('Ctrl-C (SIGINT) stops at a page boundary with exit 130, and the rerun finishes (files)', async () => {
      const url = `file:${join(cwd, 'rotate-files')}`;
      const expected = await fill(url, 1500, [OLD]);
      const args = ['rotate', url, '--new-key', NEW, '--key', OLD, '--page-size', '10'];
      const first = spawnCli(args, { cwd });
      await until(() => /rotate: \d+\/1500 entries/.test(first.stderr()), 60_000, 'a progress line');
      first.child.kill('SIGINT');
      expect(await first.exited).toBe(130);
      expect(first.stderr()).toMatch(
        /oauth-kv: interrupted after \d+ entries; run the same command again to resume/,
      );
      const resumed = await runCli([...args, '--json'], { cwd });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, failed: 0 });
      await expectAll(url, [NEW], expected);
    }, 180_000);
  });

  describe('copy', () => {
    test('PostgreSQL → Redis, killed halfway, resumed, verified by counts and a sample', async () => {
      const from = pgUrl();
      const to = redisUrl();
      const expected = await fill(from, 3000, [OLD]);
      const args = ['copy', from, to, '--page-size', '10', '--sample', '50'];
      const first = spawnCli(args, { cwd });
      await until(() => /copy: \d+\/3000 entries/.test(first.stderr()), 60_000, 'a progress line');
      first.child.kill('SIGKILL');
      await first.exited;
      expect(stateFiles()).toHaveLength(1);

      const resumed = await runCli([...args, '--json'], { cwd });
      expect(resumed.code, resumed.stderr).toBe(0);
      const result = JSON.parse(resumed.stdout) as {
        resumed: boolean;
        ok: boolean;
        collections: {
          collection: string;
          source: number;
          target: number;
          sampled: number;
          mismatches: number;
        }[];
      };
      expect(result.resumed).toBe(true);
      expect(result.ok).toBe(true);
      expect(
        result.collections.map((c) => [c.collection, c.source, c.target, c.sampled, c.mismatches]),
      ).toEqual([
        ['clients', 1000, 1000, 50, 0],
        ['codes', 1000, 1000, 50, 0],
        ['tokens', 1000, 1000, 50, 0],
      ]);
      // Values copied as stored: still encrypted under the old key, TTLs kept.
      await expectAll(to, [OLD], expected);
      const raw = await open(to, false);
      expect(await raw.get('k0', { collection: 'clients' })).toHaveProperty('__encrypted_data__');
      expect(stateFiles()).toEqual([]);
      // A fresh copy into a target that holds those collections is refused.
      const again = await runCli(['copy', from, to], { cwd });
      expect(again.code).toBe(1);
      expect(again.stderr.trim()).toBe(
        'oauth-kv: the target already holds entries in collection "clients"; pass --overwrite to copy over them',
      );
    }, 180_000);

    test.runIf(redisBinaries)(
      'killed (SIGKILL) inside a 5,000-entry collection, the rerun writes only the remainder (PostgreSQL → fresh Redis)',
      async () => {
        const from = pgUrl();
        const server = await startRedisServer();
        try {
          const to = `${server.url}?prefix=${uniqueName('resume')}:`;
          const source = await open(from, [OLD]);
          const expected = new Map<string, JsonObject>();
          const lasting: [string, JsonObject][] = [];
          const expiring: [string, JsonObject][] = [];
          for (let i = 0; i < 5000; i++) {
            const value = { id: i, secret: `s-${i}` };
            expected.set(`tokens/k${i}`, value);
            (i % 2 === 0 ? expiring : lasting).push([`k${i}`, value]);
          }
          await source.putMany(lasting, { collection: 'tokens' });
          await source.putMany(expiring, { collection: 'tokens', ttl: 3600 });
          const statePath = join(cwd, 'copy-5000.state.json');
          const args = ['copy', from, to, '--page-size', '100', '--sample', '200', '--state', statePath];
          type Saved = { done: string[]; position?: { collection: string }; counts: { copied: number } };
          const saved = (): Saved | undefined => {
            try {
              return JSON.parse(readFileSync(statePath, 'utf8')) as Saved;
            } catch {
              return undefined;
            }
          };
          const first = spawnCli(args, { cwd });
          // Killed once at least ten pages are acknowledged, well inside the one collection.
          await until(() => (saved()?.counts.copied ?? 0) >= 1000, 120_000, 'ten acknowledged pages');
          first.child.kill('SIGKILL');
          await first.exited;
          const state = saved() as Saved;
          const acknowledged = state.counts.copied;
          expect(state.done).toEqual([]);
          expect(state.position?.collection).toBe('tokens');
          expect(acknowledged % 100).toBe(0); // whole pages only
          expect(acknowledged).toBeGreaterThanOrEqual(1000);
          expect(acknowledged).toBeLessThan(5000);
          // Every acknowledged entry is in the target (maybe a part of the next page too).
          expect(Number(await redisCli(server.port, 'DBSIZE'))).toBeGreaterThanOrEqual(acknowledged);

          // Count the writes the rerun makes: the fresh server's SET calls.
          await redisCli(server.port, 'CONFIG', 'RESETSTAT');
          const resumed = await runCli([...args, '--json'], { cwd });
          expect(resumed.code, resumed.stderr).toBe(0);
          const stats = await redisCli(server.port, 'INFO', 'commandstats');
          const sets = Number(/^cmdstat_set:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
          const result = JSON.parse(resumed.stdout) as {
            copied: number;
            thisRun: { copied: number };
            resumed: boolean;
            ok: boolean;
            collections: { source: number; target: number; sampled: number; mismatches: number }[];
          };
          expect(sets).toBe(5000 - acknowledged);
          expect(result).toMatchObject({ resumed: true, ok: true, copied: 5000 });
          expect(result.thisRun.copied).toBe(5000 - acknowledged);
          expect(result.collections).toMatchObject([
            { source: 5000, target: 5000, sampled: 200, mismatches: 0 },
          ]);
          expect(existsSync(statePath)).toBe(false);
          // Every value as stored (under the old key), TTLs kept: half with an hour, half none.
          const target = await open(to, [OLD]);
          const keyList = [...expected.keys()].map((id) => id.slice('tokens/'.length));
          const results = await target.ttlMany(keyList, { collection: 'tokens' });
          for (const [i, key] of keyList.entries()) {
            expect(results[i]?.value, key).toEqual(expected.get(`tokens/${key}`));
            if (i % 2 === 0) expect(results[i]?.ttl, key).toBeGreaterThan(3000);
            else expect(results[i]?.ttl, key).toBeUndefined();
          }
          await target.close();
          opened.splice(opened.indexOf(target), 1);
        } finally {
          await server.destroy();
        }
      },
      240_000,
    );

    test('verification catches a target that lost an entry', async () => {
      const from = `file:${join(cwd, 'copy-src')}`;
      const to = `file:${join(cwd, 'copy-dst')}`;
      await fill(from, 30, [OLD]);
      expect((await runCli(['copy', from, to], { cwd })).code).toBe(0);
      // Copy again over a target someone changed: the sample comparison notices.
      const target = await open(to, false);
      await target.put('k0', { tampered: true }, { collection: 'clients' });
      await target.delete('k3', { collection: 'clients' });
      const checked = await runCli(['copy', from, to, '--overwrite', '--sample', '10'], { cwd });
      expect(checked.code).toBe(0); // --overwrite repairs it
      const source = await open(from, false);
      await source.put('extra', { v: 1 }, { collection: 'clients' });
      await target.put('only-in-target', { v: 1 }, { collection: 'clients' });
      await target.put('another', { v: 1 }, { collection: 'clients' });
      const bad = await runCli(['copy', from, to, '--overwrite'], { cwd });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^FAIL clients: 11 in source, 13 in target/m);
      expect(bad.stderr.trim().split('\n').at(-1)).toBe(
        'oauth-kv: verification failed for 1 collection(s): clients',
      );
    }, 120_000);
  });

  const tmux = (() => {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!tmux && process.env.CI === 'true') throw new Error('CI=true but tmux is not installed');

  test.runIf(tmux)(
    'on a terminal (tmux pseudo-terminal) rotate draws a progress bar with counts and ETA',
    async () => {
      const url = `file:${join(cwd, 'rotate-tty')}`;
      await fill(url, 900, [OLD]);
      const session = uniqueName('okv').replace(/[^a-zA-Z0-9_-]/g, '-');
      const done = join(cwd, 'tty-exit');
      const command = cliCommand(['rotate', url, '--new-key', NEW, '--key', OLD, '--page-size', '30'])
        .map((p) => `'${p.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      execFileSync('tmux', [
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '160',
        '-y',
        '20',
        '-c',
        cwd,
        `${command}; echo $? > ${done}; sleep 30`,
      ]);
      try {
        await until(() => existsSync(done), 90_000, 'the command to finish under tmux');
        const screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
        expect(readFileSync(done, 'utf8').trim()).toBe('0');
        expect(screen).toMatch(
          /rotate \[[█░]+\] 100% \| 900\/900 entries \| ETA 0s \| rewritten 900, current 0, failed 0/,
        );
        expect(screen).toContain('rewrote 900 entries under the new key');
        // The bar is redrawn in place: no plain progress lines on a terminal.
        expect(screen).not.toContain('entries to visit');
        expect(screen.match(/rotate \[/g)).toHaveLength(1);
      } finally {
        execFileSync('tmux', ['kill-session', '-t', session]);
      }
    },
    120_000,
  );
});
