/**
 * The recommended OAuth stack (namespace → TTL policy → encryption → backend, with statistics,
 * retry and timeout above it) over a real RedisStore: the conformance suite with two live
 * instances, and what the stack writes to Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { compose, layer } from '../src/wrappers/compose.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { withNamespace } from '../src/wrappers/namespace.js';
import { withRetry } from '../src/wrappers/retry.js';
import { withStatistics } from '../src/wrappers/statistics.js';
import { withTimeout } from '../src/wrappers/timeout.js';
import { withTtlPolicy } from '../src/wrappers/ttl.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { unlinkMatching } from './helpers/redis-keys.js';

const backend = await findBackend('redis');
const prefix = `${uniqueName('oauthkv-wrappers')}:`;
const key = generateFernetKey();

function stack(mode: 'collection' | 'single' = 'collection') {
  return compose(
    layer(withStatistics),
    layer(withRetry, { retries: 2, baseDelayMs: 10 }),
    layer(withTimeout, { timeoutMs: 20_000 }),
    layer(withNamespace, { prefix: 'my-mcp', mode }),
    layer(withTtlPolicy, { minTtl: 0.5, collections: { 'my-mcp::codes': { defaultTtl: 300, maxTtl: 600 } } }),
    layer(withEncryption, { keys: key }),
    new RedisStore({ url: backend.url, keyPrefix: prefix }),
  );
}

/** The counter stack beside it: the same layers without encryption (a counter holds a number only). */
function counterStack() {
  return compose(
    layer(withStatistics),
    layer(withRetry, { retries: 2, baseDelayMs: 10 }),
    layer(withTimeout, { timeoutMs: 20_000 }),
    layer(withNamespace, { prefix: 'my-mcp' }),
    layer(withTtlPolicy, { minTtl: 0.5 }),
    new RedisStore({ url: backend.url, keyPrefix: prefix }),
  );
}

describe.skipIf(!backend.available)(`the recommended stack over RedisStore ${backend.description}`, () => {
  let raw: Redis;
  beforeAll(() => {
    raw = new Redis(backend.url);
  });
  afterAll(async () => {
    await unlinkMatching(raw, `${prefix}*`);
    raw.disconnect();
    await backend.stop();
  });

  describeConformance('namespace (collection mode) → TTL → encryption → RedisStore', {
    createStore: () => stack('collection'),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
    modelRuns: 10,
  });

  describeConformance('namespace (single mode) → TTL → encryption → RedisStore', {
    createStore: () => stack('single'),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
    modelRuns: 10,
  });

  describeConformance('counters: namespace → TTL → RedisStore (no encryption), increment forwarded', {
    createStore: () => counterStack(),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
    modelRuns: 10,
  });

  test('the encrypted stack refuses increment; the counter stack keeps a plain count with its TTL in Redis', async () => {
    const encrypted = stack();
    const counters = counterStack();
    try {
      expect(encrypted.capabilities.increment).toBe(false);
      expect(counters.capabilities.increment).toBe(true);
      expect(await counters.increment('ip-1', 1, { collection: 'limits', ttl: 60 })).toBe(1);
      expect(await counters.increment('ip-1', 1, { collection: 'limits' })).toBe(2);
      const names: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*ip-1*`, 'COUNT', 1000);
        names.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/my-mcp.*limits/); // the namespaced collection, as RedisStore encodes it
      expect(JSON.parse((await raw.get(names[0] as string)) as string).value).toEqual({ count: 2 });
      const pttl = await raw.pttl(names[0] as string);
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
    } finally {
      await Promise.all([encrypted.close(), counters.close()]);
    }
  });

  test('Redis holds prefixed names, ciphertext, and the TTL of the policy', async () => {
    const store = stack();
    try {
      await store.put('code-1', { client_id: 'c', secret: 'plain-secret' }, { collection: 'codes' });
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*code-1*`, 'COUNT', 1000);
        found.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      expect(found).toHaveLength(1);
      const redisKey = found[0] as string;
      expect(redisKey).toContain('my-mcp');
      const document = (await raw.get(redisKey)) as string;
      expect(document).toContain('__encrypted_data__');
      expect(document).not.toContain('plain-secret');
      const ttl = await raw.pttl(redisKey);
      expect(ttl).toBeGreaterThan(290_000);
      expect(ttl).toBeLessThanOrEqual(300_000);
      expect(await store.get('code-1', { collection: 'codes' })).toEqual({
        client_id: 'c',
        secret: 'plain-secret',
      });
      expect(store.statistics().collections.codes?.get?.hits).toBe(1);
    } finally {
      await store.close();
    }
  });
});
