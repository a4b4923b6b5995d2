/**
 * Fault tests for PostgresStore on a private PostgreSQL server (initdb in a temp dir, spare port):
 * the server is killed mid-run and restarted; the shared server is never touched.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StoreConnectionError, StoreSetupError, StoreTimeoutError } from '../src/errors.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { findPgBin, type PgServer, sparePort, startPgServer } from './helpers/pg-server.js';
import { errorText } from './helpers/secret-scan.js';

const bin = findPgBin();

/** Settles a promise into its outcome without throwing. */
function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

describe('PostgresStore against an unreachable server', () => {
  test('nothing listening: StoreConnectionError naming host:port, never the password', async () => {
    const port = await sparePort();
    const s = new PostgresStore({
      url: `postgres://app:hunter2-secret@127.0.0.1:${port}/db`,
      connectTimeoutMs: 5000,
    });
    try {
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect(errorText(err)).not.toContain('hunter2');
      // Every later operation fails the same way (setup is retried, not cached as failed).
      await expect(s.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreConnectionError);
    } finally {
      await s.close();
    }
  });

  test('a server that accepts but never answers: StoreTimeoutError within the connect timeout, no hang', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const s = new PostgresStore({
      poolConfig: { host: '127.0.0.1', port, user: 'x' },
      connectTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreTimeoutError);
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - started).toBeLessThan(10_000); // a hang guard, not a speed check
    } finally {
      await s.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

const serverNote =
  bin === undefined ? ' (skipped: no PostgreSQL server binaries; set PG_BIN to their directory)' : '';
describe.skipIf(bin === undefined)(
  `PostgresStore on a private server that dies and comes back${serverNote}`,
  () => {
    let server: PgServer;
    let store: PostgresStore;
    const acknowledged = new Map<string, unknown>();

    const password = 'S3cret-pg-pass';
    /** No error, stack or cause chain mentions a password. */
    /** No message, stack, cause, property or inspection of the error mentions a password. */
    const expectNoSecrets = (err: unknown) => {
      const text = errorText(err);
      for (const secret of [password, 'wrong-pass', 'limited-pw', 'capped-pw']) {
        expect(text).not.toContain(secret);
      }
    };
    const urlAs = (user: string, pass: string) =>
      `postgres://${user}:${pass}@127.0.0.1:${server.port}/postgres`;

    beforeAll(async () => {
      server = await startPgServer({ password });
      store = new PostgresStore({ url: server.url, connectTimeoutMs: 5000 });
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await server?.destroy();
    }, 120_000);

    test('a wrong password → StoreSetupError naming host:port, without either password', async () => {
      const s = new PostgresStore({ url: urlAs('postgres', 'wrong-pass') });
      try {
        const err = await s.get('k').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreSetupError);
        expect((err as Error).message).toContain(`127.0.0.1:${server.port}`);
        expectNoSecrets(err);
      } finally {
        await s.close();
      }
    });

    test('a role without privileges → StoreSetupError (with the DDL when it cannot create the table)', async () => {
      await store.put('k', { a: 1 }); // the table exists, owned by postgres
      await server.psql("CREATE ROLE limited LOGIN PASSWORD 'limited-pw'");
      const reader = new PostgresStore({ url: urlAs('limited', 'limited-pw') });
      const creator = new PostgresStore({ url: urlAs('limited', 'limited-pw'), table: 'not_allowed' });
      try {
        const denied = await reader.get('k').catch((e: unknown) => e);
        expect(denied).toBeInstanceOf(StoreSetupError);
        expect((denied as Error).message).toContain('42501');
        expectNoSecrets(denied);
        const cannotCreate = await creator.put('k', { a: 1 }).catch((e: unknown) => e);
        expect(cannotCreate).toBeInstanceOf(StoreSetupError);
        expect((cannotCreate as Error).message).toContain('CREATE TABLE IF NOT EXISTS "not_allowed"');
        // Granted, the same store works without being rebuilt.
        await server.psql('GRANT SELECT, INSERT, UPDATE, DELETE ON kv_store TO limited');
        expect(await reader.get('k')).toEqual({ a: 1 });
      } finally {
        await reader.close();
        await creator.close();
      }
    });

    test('too many connections (53300) → StoreConnectionError', async () => {
      await server.psql("CREATE ROLE capped LOGIN PASSWORD 'capped-pw' CONNECTION LIMIT 0");
      const s = new PostgresStore({ url: urlAs('capped', 'capped-pw') });
      try {
        const err = await s.get('k').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreConnectionError);
        expect((err as Error).message).toContain('53300');
        expectNoSecrets(err);
      } finally {
        await s.close();
      }
    });

    test('in-flight operations fail with StoreConnectionError; after restart the same store works and kept every acknowledged write', async () => {
      const batch = Array.from({ length: 50 }, (_, i) => [`batch-${i}`, { i, kind: 'batch' }] as const);
      await store.putMany(batch, { collection: 'faults', ttl: 3600 });
      for (const [k, v] of batch) acknowledged.set(k, v);
      for (let i = 0; i < 20; i++) {
        const value = { i, kind: 'single' };
        await store.put(`single-${i}`, value, { collection: 'faults' });
        acknowledged.set(`single-${i}`, value);
      }
      expect(await store.putIfAbsent('once', { kind: 'once' }, { collection: 'faults' })).toBe(true);
      acknowledged.set('once', { kind: 'once' });
      await store.put('locked', { kind: 'locked' }, { collection: 'faults' });
      acknowledged.set('locked', { kind: 'locked' });

      // Hold a row lock so that a take() is provably in flight (waiting in the server) at the kill.
      const locker = new pg.Client({ connectionString: server.url });
      locker.on('error', () => {});
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query("SELECT 1 FROM kv_store WHERE collection = 'faults' AND key = 'locked' FOR UPDATE");
      const inFlight = outcome(store.take('locked', { collection: 'faults' }));
      for (let i = 0; i < 200; i++) {
        const { rows } = await locker.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM%'",
        );
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      // More operations racing the kill: each either completes or fails with StoreConnectionError.
      const racing = Array.from({ length: 30 }, (_, i) =>
        outcome<unknown>(
          i % 2 === 0
            ? store.put(`racing-${i}`, { i }, { collection: 'faults' })
            : store.get(`batch-${i}`, { collection: 'faults' }),
        ),
      );

      await server.kill();

      const taken = await inFlight;
      expect(taken.ok).toBe(false);
      expect(!taken.ok && taken.error).toBeInstanceOf(StoreConnectionError);
      expect(!taken.ok && (taken.error as Error).message).toContain(`127.0.0.1:${server.port}`);
      expectNoSecrets(!taken.ok && taken.error);
      for (const result of await Promise.all(racing)) {
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(StoreConnectionError);
          expectNoSecrets(result.error);
        }
      }
      const racedPuts = (await Promise.all(racing)).flatMap((r, i) => (i % 2 === 0 && r.ok ? [i] : []));

      // While the server is down: a clear StoreConnectionError naming the server.
      const down = await store.get('batch-1', { collection: 'faults' }).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(StoreConnectionError);
      expect((down as Error).message).toContain(`127.0.0.1:${server.port}`);
      expectNoSecrets(down);
      await locker.end().catch(() => {});

      await server.start();

      // The same store instance, not reconstructed: the first operation after the restart succeeds.
      expect(await store.get('single-0', { collection: 'faults' })).toEqual({ i: 0, kind: 'single' });
      const keys = [...acknowledged.keys()];
      expect(await store.getMany(keys, { collection: 'faults' })).toEqual([...acknowledged.values()]);
      for (const i of racedPuts)
        expect(await store.get(`racing-${i}`, { collection: 'faults' })).toEqual({ i });
      // The take that failed did not consume the entry: its transaction died with the server.
      expect(await store.take('locked', { collection: 'faults' })).toEqual({ kind: 'locked' });
      expect(await store.putIfAbsent('once', { kind: 'again' }, { collection: 'faults' })).toBe(false);
      expect((await store.ttl('batch-0', { collection: 'faults' })).ttl).toBeGreaterThan(3000);
    }, 120_000);

    test('a store first used while the server is down recovers once it is up (setup is retried)', async () => {
      await server.kill();
      const late = new PostgresStore({ url: server.url, table: 'late_table', connectTimeoutMs: 5000 });
      try {
        await expect(late.put('k', { a: 1 })).rejects.toBeInstanceOf(StoreConnectionError);
        await server.start();
        await late.put('k', { a: 1 });
        expect(await late.get('k')).toEqual({ a: 1 });
      } finally {
        await late.close();
      }
    }, 120_000);
  },
);
