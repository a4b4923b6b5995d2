/**
 * ping(): every store answers its health check on the real backend, fails with the operation's
 * typed error when the backend is down, missing or closed, and every wrapper forwards it. On Redis
 * it is exactly one PING command.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyv } from 'keyv';
import { afterAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreClosedError, StoreConnectionError, StoreSetupError } from '../src/errors.js';
import { FileStore } from '../src/stores/file/index.js';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { KeyvStore } from '../src/stores/keyv/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withCache } from '../src/wrappers/cache.js';
import { compose } from '../src/wrappers/compose.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withFallback } from '../src/wrappers/fallback.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { withReadOnly } from '../src/wrappers/read-only.js';
import { withRetry } from '../src/wrappers/retry.js';
import { withSizeLimit } from '../src/wrappers/size-limit.js';
import { withStatistics } from '../src/wrappers/statistics.js';
import { withTimeout } from '../src/wrappers/timeout.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { redisCli, startRedisServer } from './helpers/redis-server.js';
import { failure } from './helpers/secret-scan.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const pg = await findBackend('postgres');
const redis = await findBackend('redis');
const firestore = await findBackend('firestore');
const ready = [pg, redis, firestore].every((b) => b.available);
process.env.METADATA_SERVER_DETECTION ??= 'none';

async function closedFails(store: AsyncKeyValue): Promise<void> {
  await store.close();
  expect(await failure(() => store.ping())).toBeInstanceOf(StoreClosedError);
}

describe.skipIf(!ready)('ping (needs PostgreSQL, Redis and the Firestore emulator)', () => {
  describe('every store answers ping()', () => {
    test('MemoryStore', async () => {
      const store = new MemoryStore();
      await expect(store.ping()).resolves.toBeUndefined();
      await closedFails(store);
    });

    test('FileStore: checks the directory is there and trusted', async () => {
      const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-ping-'));
      dirs.push(directory);
      const store = new FileStore({ directory: join(directory, 'kv') });
      await store.ping();
      rmSync(join(directory, 'kv'), { recursive: true });
      expect(await failure(() => store.ping())).toBeDefined();
      await closedFails(store);
    });

    test('PostgresStore: needs the table; an unreachable server is a StoreConnectionError', async () => {
      const table = uniqueName('ping')
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_');
      const store = new PostgresStore({ url: pg.url, table });
      await store.ping(); // creates the table on first use, like any operation
      await closedFails(store);
      const missing = new PostgresStore({ url: pg.url, table: `${table}_none`, createTable: false });
      expect(await failure(() => missing.ping())).toBeInstanceOf(StoreSetupError);
      await missing.close();
      const down = new PostgresStore({
        url: 'postgres://postgres@127.0.0.1:1/test',
        connectTimeoutMs: 1_000,
      });
      expect(await failure(() => down.ping())).toBeInstanceOf(StoreConnectionError);
      await down.close();
      const admin = new PostgresStore({ url: pg.url, table });
      await admin.destroyCollection('x');
      await admin.close();
      const { default: pgModule } = await import('pg');
      const client = new pgModule.Client({ connectionString: pg.url });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    });

    test('RedisStore: one PING command', async () => {
      const server = await startRedisServer();
      try {
        const store = new RedisStore({ url: server.url });
        await store.ping(); // connects
        const calls = async () =>
          Number(
            /cmdstat_ping:calls=(\d+)/.exec(await redisCli(server.port, 'info', 'commandstats'))?.[1] ?? 0,
          );
        const before = await calls();
        await store.ping();
        // INFO itself is not a PING: exactly one more.
        expect(await calls()).toBe(before + 1);
        await server.kill();
        const down = new RedisStore({ url: server.url, connectTimeoutMs: 500 });
        expect(await failure(() => down.ping())).toBeInstanceOf(StoreConnectionError);
        await down.close();
        await closedFails(store);
      } finally {
        await server.destroy();
      }
    });

    test('RedisStore on the shared server', async () => {
      const store = new RedisStore({ url: redis.url });
      await store.ping();
      await closedFails(store);
    });

    test('FirestoreStore (one document read) and KeyvStore (one keyv.get)', async () => {
      const store = new FirestoreStore({
        projectId: uniqueName('ping')
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, '-'),
      });
      await store.ping();
      await closedFails(store);
      const keyv = new KeyvStore(new Keyv());
      await keyv.ping();
      await closedFails(keyv);
    });
  });

  describe('wrappers forward ping()', () => {
    test('through every wrapper, to the store at the bottom', async () => {
      let pings = 0;
      class CountingStore extends MemoryStore {
        protected override async pingStore(): Promise<void> {
          pings++;
        }
      }
      const base = new CountingStore();
      const key = generateFernetKey();
      const stack = compose(
        (s) => withStatistics(s),
        (s) => withRetry(s),
        (s) => withTimeout(s, { timeoutMs: 1_000 }),
        (s) => withCache(s, { cache: new MemoryStore() }),
        (s) => withNamespace(s, { prefix: 'app' }),
        (s) => withReadOnly(s),
        (s) => withSizeLimit(s, { maxBytes: 1_000 }),
        (s) => withTtlPolicy(s),
        (s) => withEncryption(s, { keys: [key] }),
        (s) => withFallback(s, new MemoryStore()),
        base,
      );
      await stack.ping();
      expect(pings).toBe(1);
    });

    test('a backend that is down fails the wrapped ping too', async () => {
      const down = new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
      const stack = withEncryption(withNamespace(down, { prefix: 'n' }), { keys: [generateFernetKey()] });
      expect(await failure(() => stack.ping())).toBeInstanceOf(StoreConnectionError);
      await stack.close();
    });
  });
});
