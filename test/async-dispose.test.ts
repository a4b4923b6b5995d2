/**
 * `await using`: every store and every wrapper has `[Symbol.asyncDispose]()`, typed (this file
 * would not compile otherwise), and leaving the block closes it exactly as `close()` does: the
 * store's own resources, and for a wrapper what its `close()` closes (the wrapped store; both
 * stores for the cache and the fallback).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyv } from 'keyv';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AsyncKeyValue,
  compose,
  generateFernetKey,
  layer,
  MemoryStore,
  StoreClosedError,
  withCache,
  withEncryption,
  withFallback,
  withNamespace,
  withReadOnly,
  withRetry,
  withSizeLimit,
  withStatistics,
  withTimeout,
  withTtlPolicy,
} from '../src/index.js';
import { FileStore } from '../src/stores/file/index.js';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { KeyvStore } from '../src/stores/keyv/index.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type EmulatorProject, emulatorProject } from './helpers/firestore-emulator.js';

const postgres = await findBackend('postgres');
const redis = await findBackend('redis');
const firestore = await findBackend('firestore');
if (firestore.available) process.env.FIRESTORE_EMULATOR_HOST ??= firestore.url;
const project: EmulatorProject | undefined = firestore.available
  ? emulatorProject(firestore.url, 'oakv-dispose')
  : undefined;
const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-dispose-'));
const schema = uniqueName('oauthkv_dispose');

beforeAll(async () => {
  if (!postgres.available) return;
  const admin = new pg.Pool({ connectionString: postgres.url });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (postgres.available) {
    const admin = new pg.Pool({ connectionString: postgres.url });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  await project?.dispose();
});

/** What every store and wrapper class is: the contract and `Symbol.asyncDispose`. */
type Disposable = AsyncKeyValue & AsyncDisposable;

/** Opens a store in an `await using` block, writes and reads in it, and returns it once disposed. */
async function usedAndDisposed<S extends Disposable>(make: () => S): Promise<S> {
  let escaped: S;
  {
    await using store = make();
    escaped = store;
    await store.put('k', { a: 1 });
    expect(await store.get('k')).toEqual({ a: 1 });
    expect(await store.delete('k')).toBe(true); // leaves nothing on the shared servers
  }
  return escaped;
}

describe('stores', () => {
  const stores: Array<[string, boolean, () => Disposable]> = [
    ['MemoryStore', true, () => new MemoryStore()],
    ['FileStore', true, () => new FileStore({ directory: join(dir, 'file') })],
    ['KeyvStore', true, () => new KeyvStore(new Keyv())],
    ['PostgresStore', postgres.available, () => new PostgresStore({ url: postgres.url, schema })],
    [
      'RedisStore',
      redis.available,
      () => new RedisStore({ url: redis.url, keyPrefix: `${uniqueName('oakv')}:` }),
    ],
    ['FirestoreStore', firestore.available, () => new FirestoreStore({ projectId: project!.projectId })],
  ];
  for (const [name, available, make] of stores) {
    test.skipIf(!available)(`${name}: leaving the block closes it`, async () => {
      const store = await usedAndDisposed(make);
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreClosedError);
      await store[Symbol.asyncDispose](); // a second dispose, like a second close(), is harmless
    });
  }
});

describe('wrappers', () => {
  const wrappers: Array<[string, (inner: MemoryStore) => Disposable]> = [
    ['withEncryption', (s) => withEncryption(s, { keys: [generateFernetKey()] })],
    ['withNamespace', (s) => withNamespace(s, { prefix: 'ns' })],
    ['withTtlPolicy', (s) => withTtlPolicy(s, { defaultTtl: 60 })],
    ['withReadOnly', (s) => withReadOnly(s)],
    ['withRetry', (s) => withRetry(s)],
    ['withTimeout', (s) => withTimeout(s, { timeoutMs: 1000 })],
    ['withStatistics', (s) => withStatistics(s)],
    ['withSizeLimit', (s) => withSizeLimit(s, { maxBytes: 10_000 })],
    ['compose', (s) => compose(layer(withStatistics), layer(withNamespace, { prefix: 'p' }), s)],
  ];
  for (const [name, wrap] of wrappers) {
    test(`${name}: leaving the block closes the wrapped store`, async () => {
      const inner = new MemoryStore();
      let escaped: Disposable;
      {
        await using store = wrap(inner);
        escaped = store;
        expect(typeof store[Symbol.asyncDispose]).toBe('function');
      }
      await expect(inner.get('k')).rejects.toBeInstanceOf(StoreClosedError);
      expect(escaped).toBeDefined();
    });
  }

  test('withCache and withFallback close both of their stores', async () => {
    const [backing, cache, primary, secondary] = [1, 2, 3, 4].map(() => new MemoryStore());
    {
      await using cached = withCache(backing!, { cache: cache! });
      await using fallback = withFallback(primary!, secondary!);
      await cached.put('k', { a: 1 });
      await fallback.put('k', { a: 1 });
    }
    for (const store of [backing, cache, primary, secondary]) {
      await expect(store!.get('k')).rejects.toBeInstanceOf(StoreClosedError);
    }
  });

  test('a dispose that fails rejects the block with the close error', async () => {
    const inner = new MemoryStore();
    const failing = new (class extends MemoryStore {
      override async close(): Promise<void> {
        await inner.close();
        throw new Error('close failed');
      }
    })();
    const run = async () => {
      await using store = withNamespace(failing, { prefix: 'x' });
      await store.put('k', { a: 1 });
    };
    await expect(run()).rejects.toThrow('close failed');
  });
});
