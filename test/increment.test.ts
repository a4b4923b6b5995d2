/**
 * The optional atomic counter beyond the conformance suite: the stored layout stays a py-key-value
 * entry (Redis document, PostgreSQL row) with its expiry kept across increments, and wrappers that
 * cannot forward it (encryption) say so instead of bypassing themselves.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { NotSupportedError } from '../src/errors.js';
import { generateFernetKey } from '../src/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { WrapperStore } from '../src/wrappers/base.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';
import { findBackend, uniqueName } from './harness/backends.js';

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
afterAll(async () => {
  await redis.stop();
  await postgres.stop();
});

describe('wrappers and increment', () => {
  test('an encryption wrapper announces no increment and has no method that would bypass it', async () => {
    const inner = new MemoryStore({ sweepIntervalMs: 0 });
    expect(inner.capabilities.increment).toBe(true);
    const encrypted = withEncryption(inner, { keys: generateFernetKey() });
    expect(encrypted.capabilities.increment).toBe(false);
    expect((encrypted as { increment?: unknown }).increment).toBeUndefined();
    // A namespace over it forwards the refusal, typed, and writes nothing.
    const ns = withNamespace(encrypted, { prefix: 'app' });
    expect(ns.capabilities.increment).toBe(false);
    await expect(ns.increment('n', 1)).rejects.toBeInstanceOf(NotSupportedError);
    expect(inner.size).toBe(0);
  });

  test('a wrapper that does not implement increment masks the capability; one that does forwards it', () => {
    const plain = new WrapperStore(new MemoryStore({ sweepIntervalMs: 0 }));
    expect(plain.capabilities.increment).toBe(false);
    expect(plain.capabilities.atomic).toBe(true);
    const ttl = withTtlPolicy(new MemoryStore({ sweepIntervalMs: 0 }), { minTtl: 1 });
    expect(ttl.capabilities.increment).toBe(true);
  });

  test('a namespace forwards increment under its own names', async () => {
    const inner = new MemoryStore({ sweepIntervalMs: 0 });
    const a = withNamespace(inner, { prefix: 'a' });
    const b = withNamespace(inner, { prefix: 'b' });
    expect(await a.increment('n', 2, { collection: 'c' })).toBe(2);
    expect(await b.increment('n', 5, { collection: 'c' })).toBe(5);
    expect(await a.increment('n', 1, { collection: 'c' })).toBe(3);
    expect(await a.get('n', { collection: 'c' })).toEqual({ count: 3 });
  });
});

describe.skipIf(!redis.available)(`RedisStore increment layout ${redis.description}`, () => {
  test('the counter is a py-key-value document whose native expiry and created_at survive increments', async () => {
    const prefix = `${uniqueName('inc')}:`;
    const store = new RedisStore({ url: redis.url, keyPrefix: prefix });
    const raw = new Redis(redis.url);
    try {
      expect(await store.increment('hits', 1, { collection: 'rate', ttl: 120 })).toBe(1);
      const [key] = await raw.keys(`${prefix}*`);
      const before = JSON.parse((await raw.get(key!))!);
      expect(await store.increment('hits', 41, { collection: 'rate', ttl: 5 })).toBe(42);
      const after = JSON.parse((await raw.get(key!))!);
      expect(after).toEqual({ ...before, value: { count: 42 } });
      expect(after.expires_at).toBeDefined();
      const pttl = await raw.pttl(key!);
      expect(pttl).toBeGreaterThan(100_000);
      expect((await store.ttl('hits', { collection: 'rate' })).ttl).toBeGreaterThan(100);
    } finally {
      await raw.del(...(await raw.keys(`${prefix}*`)));
      raw.disconnect();
      await store.close();
    }
  });
});

describe.skipIf(!postgres.available)(`PostgresStore increment layout ${postgres.description}`, () => {
  test('the counter is a row whose value is { count } and whose expiry survives increments', async () => {
    const schema = uniqueName('oauthkv_inc');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`);
    const store = new PostgresStore({ url: postgres.url, schema });
    try {
      expect(await store.increment('hits', 3, { collection: 'rate', ttl: 120 })).toBe(3);
      const sql = `SELECT value, expires_at, created_at FROM "${schema}".kv_store WHERE key = 'hits'`;
      const before = (await client.query(sql)).rows[0];
      expect(await store.increment('hits', 4, { collection: 'rate', ttl: 5 })).toBe(7);
      const after = (await client.query(sql)).rows[0];
      expect(after.value).toEqual({ count: 7 });
      expect(after.expires_at).toEqual(before.expires_at);
      expect(after.created_at).toEqual(before.created_at);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await store.close();
    }
  });
});
