/**
 * RedisStore against private `redis-server` processes it may kill: a crash (SIGKILL) mid-run, a
 * frozen server (SIGSTOP), and a server without GETDEL (renamed away, as on Redis < 6.2).
 */
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import type { JsonObject } from '../src/contract.js';
import { StoreConnectionError, StoreTimeoutError } from '../src/errors.js';
import { RedisStore } from '../src/stores/redis/index.js';
import {
  type RedisServer,
  redisBinariesAvailable,
  redisCli,
  startRedisServer,
} from './helpers/redis-server.js';

const available = await redisBinariesAvailable();
if (!available && (process.env.CI === 'true' || process.env.CI === '1')) {
  throw new Error('CI=true but redis-server/redis-cli are not installed');
}

describe.skipIf(!available)('RedisStore faults (private redis-server)', () => {
  const servers: RedisServer[] = [];
  const stores: RedisStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(servers.splice(0).map((s) => s.destroy()));
  });
  const start = async (args: string[] = []) => {
    const server = await startRedisServer(args);
    servers.push(server);
    return server;
  };

  test('SIGKILL mid-run: in-flight operations fail with StoreConnectionError, the same store works after a restart, and every acknowledged write survives', async () => {
    const server = await start();
    const store = new RedisStore({ url: server.url, connectTimeoutMs: 3_000, commandTimeoutMs: 5_000 });
    stores.push(store);
    const collection = 'faults';
    const acked = new Map<string, JsonObject>();
    const errors: unknown[] = [];
    let stop = false;

    const writer = async (w: number) => {
      for (let i = 0; i < 20_000 && !stop; i++) {
        const key = `w${w}-${i}`;
        const value = { w, i, token: 'value-secret' };
        try {
          if (i % 5 === 4) {
            await store.putMany(
              [
                [key, value],
                [`${key}-b`, value],
              ],
              { collection, ttl: 3600 },
            );
            acked.set(`${key}-b`, value);
          } else {
            await store.put(key, value, { collection });
          }
          acked.set(key, value);
        } catch (err) {
          errors.push(err);
          return;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    for (let i = 0; i < 400 && acked.size < 300; i++) await new Promise((r) => setTimeout(r, 10));
    expect(acked.size).toBeGreaterThanOrEqual(300);

    // Reads, a take and a bulk write in flight at the moment of the crash.
    const inflight = [
      store.getMany([...acked.keys()].slice(0, 50), { collection }),
      store.take('w0-0', { collection }),
      store.putMany(
        Array.from({ length: 50 }, (_, i) => [`late-${i}`, { i, token: 'value-secret' }] as const),
        { collection },
      ),
      store.deleteMany(['nothing-1', 'nothing-2'], { collection }),
    ];
    const allSettled = Promise.allSettled([...writers, ...inflight]); // handlers attached before the crash
    await server.kill();
    const settled = await allSettled;
    stop = true;
    for (const s of settled) if (s.status === 'rejected') errors.push(s.reason);
    expect(errors.length).toBeGreaterThan(0); // the writers never stop on their own
    for (const err of errors) {
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect(inspect(err, { depth: 10 })).not.toContain('value-secret');
    }
    const takeResult = settled[writers.length + 1]!;
    if (takeResult.status === 'fulfilled' && takeResult.value !== undefined) acked.delete('w0-0');
    else if (takeResult.status === 'rejected') acked.delete('w0-0'); // outcome unknown

    // While the server is down, operations fail with StoreConnectionError within connectTimeoutMs.
    await expect(store.get('w0-1', { collection })).rejects.toBeInstanceOf(StoreConnectionError);

    await server.start();
    // The same store, without reconstruction: it reconnects and every acknowledged write is there.
    const keys = [...acked.keys()];
    const values = await store.getMany(keys, { collection });
    expect(values.filter((v) => v === undefined).length).toBe(0);
    expect(values).toEqual(keys.map((k) => acked.get(k)));
    await store.put('after-restart', { ok: true }, { collection });
    expect(await store.take('after-restart', { collection })).toEqual({ ok: true });
  }, 60_000);

  test('a frozen server (SIGSTOP) fails operations with StoreTimeoutError after commandTimeoutMs', async () => {
    const server = await start();
    const store = new RedisStore({ url: server.url, commandTimeoutMs: 300 });
    // A client the caller owns (no ioredis commandTimeout of its own) is bounded the same way.
    const client = new Redis(server.url);
    const theirs = new RedisStore({ client, commandTimeoutMs: 300 });
    stores.push(store, theirs);
    await store.put('k', { a: 1 });
    await theirs.get('k');
    server.signal('SIGSTOP');
    try {
      for (const s of [store, theirs]) {
        const err = await s.get('k').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreTimeoutError);
        expect((err as StoreTimeoutError).code).toBe('STORE_TIMEOUT');
        expect((err as Error).message).toContain(`127.0.0.1:${server.port}`);
      }
    } finally {
      server.signal('SIGCONT');
    }
    expect(await store.get('k')).toEqual({ a: 1 });
    expect(await theirs.get('k')).toEqual({ a: 1 });
    client.disconnect();
  }, 30_000);

  test('a frozen server: 300 operations in flight all fail with StoreTimeoutError, none before commandTimeoutMs, and the store recovers', async () => {
    const server = await start();
    const store = new RedisStore({ url: server.url, commandTimeoutMs: 400 });
    stores.push(store);
    await store.putMany(
      Array.from({ length: 10 }, (_, i) => [`k${i}`, { i }] as const),
      { collection: 'frozen' },
    );
    server.signal('SIGSTOP');
    let outcomes: unknown[];
    const started = performance.now();
    let first = Number.POSITIVE_INFINITY;
    try {
      outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, i) => {
          const op =
            i % 3 === 0
              ? store.get(`k${i % 10}`, { collection: 'frozen' })
              : i % 3 === 1
                ? store.put(`p${i}`, { i }, { collection: 'frozen', ttl: 60 })
                : store.getMany(['k1', 'k2'], { collection: 'frozen' });
          return op.then(
            () => 'answered',
            (err: unknown) => {
              first = Math.min(first, performance.now() - started);
              return err;
            },
          );
        }),
      );
    } finally {
      server.signal('SIGCONT');
    }
    expect(first).toBeGreaterThanOrEqual(399);
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(StoreTimeoutError);
    expect(await store.getMany(['k1', 'k9'], { collection: 'frozen' })).toEqual([{ i: 1 }, { i: 9 }]);
  }, 30_000);

  test('without GETDEL (Redis < 6.2) take falls back to a script and stays exactly-once', async () => {
    const server = await start(['--rename-command', 'GETDEL', '']);
    expect(await redisCli(server.port, 'GETDEL', 'x')).toMatch(/unknown command/i);
    const a = new RedisStore(server.url);
    const b = new RedisStore(server.url);
    stores.push(a, b);
    const collection = 'legacy';
    const keys = Array.from({ length: 20 }, (_, i) => `code-${i}`);
    await a.putMany(
      keys.map((k) => [k, { k }] as const),
      { collection, ttl: 60 },
    );
    const results = await Promise.all(
      keys.flatMap((k) => Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).take(k, { collection }))),
    );
    expect(
      results
        .filter((r) => r !== undefined)
        .map((r) => r.k)
        .sort(),
    ).toEqual([...keys].sort());
    expect(await a.take('code-0', { collection })).toBeUndefined();
  }, 30_000);
  test('keys() lists each key once, in key order, across a shrink of the database (SCAN repeats keys then)', async () => {
    // Redis halves its key table once it is under 10% full; a SCAN that goes on across that may
    // return keys it returned before. Page through half of a 400-key collection among 60k other
    // keys, delete the others, wait until the table has shrunk (DEBUG HTSTATS), list the rest.
    const server = await start(['--appendonly', 'no', '--hz', '100', '--enable-debug-command', 'yes']);
    const raw = new Redis(server.url);
    const tableSize = async () =>
      Number(/table size: (\d+)/.exec(String(await raw.call('debug', 'htstats', '0')))?.[1] ?? 0);
    try {
      const store = new RedisStore({ url: server.url, scanCount: 100 });
      stores.push(store);
      const keys = Array.from({ length: 400 }, (_, i) => `k${String(i).padStart(3, '0')}`);
      await store.putMany(
        keys.map((k) => [k, { k }] as const),
        { collection: 'c' },
      );
      const filler = Array.from({ length: 60_000 }, (_, i) => `filler-${i}`);
      for (let i = 0; i < filler.length; i += 5_000) {
        await raw.mset(...filler.slice(i, i + 5_000).flatMap((k) => [k, '1']));
      }
      const before = await tableSize();
      const listed: string[] = [];
      let page = await store.keys('c', { limit: 7 });
      listed.push(...page.keys);
      while (listed.length < 200 && page.cursor !== undefined) {
        page = await store.keys('c', { limit: 7, cursor: page.cursor });
        listed.push(...page.keys);
      }
      for (let i = 0; i < filler.length; i += 5_000) await raw.unlink(...filler.slice(i, i + 5_000));
      for (let i = 0; i < 100 && (await tableSize()) >= before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await tableSize()).toBeLessThan(before);
      for (let pages = 0; page.cursor !== undefined && pages < 1_000; pages++) {
        page = await store.keys('c', { limit: 7, cursor: page.cursor });
        expect(page.keys.length).toBeLessThanOrEqual(7);
        listed.push(...page.keys);
      }
      expect(listed).toEqual(keys);
    } finally {
      raw.disconnect();
    }
  });
});
