/**
 * `McpResponseCacheStore`, the 2.x SDK client's `ResponseCacheStore` on oauth-kv stores: the real
 * 2.x Client against a real 2.x McpServer that sends cache hints (2026-07-28 revision), two clients
 * on two store instances sharing one cache (the second served without a round trip); stamps from two
 * store instances on Redis and on PostgreSQL racing each other are unique and strictly increasing per
 * writer; a store without the atomic `increment` is refused unless single-process is declared;
 * `evict` and `clear`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreSetupError } from '../src/errors.js';
import { McpResponseCacheStore } from '../src/integrations/mcp-v2.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');

/** A 2.x MCP server whose tools/list result carries a one-minute public cache hint; counts tools/list requests. */
async function startServer(): Promise<{ url: URL; toolLists: () => number; close(): Promise<void> }> {
  let toolLists = 0;
  // The 2026-07-28 revision (cache hints) from a per-request server factory; 2025-era traffic falls back.
  const handler = createMcpHandler(() => {
    const mcp = new McpServer(
      { name: 'cache-test', version: '1.0.0' },
      { cacheHints: { 'tools/list': { ttlMs: 60_000, cacheScope: 'public' } } },
    );
    mcp.registerTool('echo', { description: 'echoes' }, async () => ({
      content: [{ type: 'text', text: 'hi' }],
    }));
    return mcp;
  });
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (body.includes('"tools/list"')) toolLists++;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const request = new Request(new URL(req.url ?? '/', 'http://127.0.0.1'), {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`),
    toolLists: () => toolLists,
    close: () =>
      new Promise<void>((r) => {
        void handler.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('McpResponseCacheStore with the real 2.x client', () => {
  let mcp: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    mcp = await startServer();
  });
  afterAll(async () => {
    await mcp.close();
  });

  async function listTools(responseCacheStore: McpResponseCacheStore): Promise<string[]> {
    const client = new Client(
      { name: 'cache-client', version: '1.0.0' },
      { responseCacheStore, cachePartition: 'agent-7', versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new StreamableHTTPClientTransport(mcp.url));
    const { tools } = await client.listTools();
    await client.close();
    return tools.map((t) => t.name);
  }

  test('two clients on two store instances (one FileStore directory) share one cached tools/list', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-rcache-'));
    const key = generateFernetKey();
    const open = () => {
      const raw = new FileStore({ directory });
      return {
        raw,
        cache: new McpResponseCacheStore({ store: withEncryption(raw, { keys: [key] }), counters: raw }),
      };
    };
    const a = open();
    const b = open();

    try {
      const before = mcp.toolLists();
      expect(await listTools(a.cache)).toEqual(['echo']);
      expect(mcp.toolLists()).toBe(before + 1);
      // Another process: served from the shared cache, no tools/list round trip.
      expect(await listTools(b.cache)).toEqual(['echo']);
      expect(mcp.toolLists()).toBe(before + 1);
      // After clear() the next client asks the server again.
      await b.cache.clear();
      expect(await listTools(a.cache)).toEqual(['echo']);
      expect(mcp.toolLists()).toBe(before + 2);
    } finally {
      await a.raw.close();
      await b.raw.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

/** Two writers on two store instances of one backing, each writing `n` entries in sequence, racing. */
async function raceStamps(x: AsyncKeyValue, y: AsyncKeyValue, n = 150): Promise<[number[], number[]]> {
  const run = async (store: AsyncKeyValue, who: string) => {
    const cache = new McpResponseCacheStore({ store, collection: 'race-cache' });
    const stamps: number[] = [];
    for (let i = 0; i < n; i++) {
      stamps.push(await cache.set({ method: 'resources/read', params: `${who}-${i}` }, { value: '{}' }));
    }
    return stamps;
  };
  return Promise.all([run(x, 'x'), run(y, 'y')]);
}

function expectStrictlyIncreasingAndUnique([xs, ys]: [number[], number[]]): void {
  for (const s of [xs, ys])
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1] as number);
  const all = [...xs, ...ys];
  expect(new Set(all).size).toBe(all.length);
  // Interleaved: neither writer got a block of its own (a real race, not two sequential runs).
  expect(Math.min(...ys)).toBeLessThan(Math.max(...xs));
  expect(Math.min(...xs)).toBeLessThan(Math.max(...ys));
}

describe.skipIf(!redis.available)(`stamps across RedisStore instances ${redis.description}`, () => {
  test('two instances racing: unique, strictly increasing per writer', async () => {
    const prefix = `${uniqueName('rcache')}:`;
    const x = new RedisStore({ url: redis.url, keyPrefix: prefix });
    const y = new RedisStore({ url: redis.url, keyPrefix: prefix });
    try {
      expectStrictlyIncreasingAndUnique(await raceStamps(x, y));
      const reread = await new McpResponseCacheStore({ store: y, collection: 'race-cache' }).get({
        method: 'resources/read',
        params: 'x-0',
      });
      expect(reread).toMatchObject({ value: '{}' });
    } finally {
      await x.destroyCollection('race-cache');
      await x.destroyCollection('race-cache-stamp');
      await x.close();
      await y.close();
    }
  }, 30_000);
});

describe.skipIf(!postgres.available)(`stamps across PostgresStore instances ${postgres.description}`, () => {
  test('two instances racing: unique, strictly increasing per writer', async () => {
    const schema = uniqueName('oauthkv_rcache');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`);
    const x = new PostgresStore({ url: postgres.url, schema });
    const y = new PostgresStore({ url: postgres.url, schema });
    try {
      expectStrictlyIncreasingAndUnique(await raceStamps(x, y));
    } finally {
      await x.close();
      await y.close();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 30_000);
});

describe('McpResponseCacheStore setup and operations', () => {
  test('a store stack without increment is refused unless singleProcess or counters', () => {
    const encrypted = withEncryption(new MemoryStore(), { keys: generateFernetKey() });
    expect(() => new McpResponseCacheStore({ store: encrypted })).toThrow(StoreSetupError);
    expect(() => new McpResponseCacheStore({ store: encrypted })).toThrow(/increment/);
    expect(() => new McpResponseCacheStore({ store: encrypted, singleProcess: true })).not.toThrow();
    expect(() => new McpResponseCacheStore({ store: encrypted, counters: new MemoryStore() })).not.toThrow();
    expect(() => new McpResponseCacheStore({ store: new MemoryStore(), entryTtl: -1 })).toThrow();
  });

  test('single-process stamps are strictly increasing', async () => {
    const encrypted = withEncryption(new MemoryStore(), { keys: generateFernetKey() });
    const cache = new McpResponseCacheStore({ store: encrypted, singleProcess: true });
    const stamps: number[] = [];
    for (let i = 0; i < 50; i++) stamps.push(await cache.set({ method: 'tools/list' }, { value: `${i}` }));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1] as number);
  });

  test('get returns what set stored; delete, evict(method) across partitions, clear', async () => {
    const store = new MemoryStore();
    const cache = new McpResponseCacheStore({ store });
    const k = (method: string, partition: string, params?: string) => ({ method, partition, params });
    const s1 = await cache.set(k('tools/list', 'p1'), { value: 'a', expiresAt: 123, scope: 'public' });
    await cache.set(k('tools/list', 'p2'), { value: 'b' });
    await cache.set(k('resources/read', 'p1', 'file:///x'), { value: 'c', scope: 'private' });
    expect(await cache.get(k('tools/list', 'p1'))).toEqual({
      value: 'a',
      stamp: s1,
      expiresAt: 123,
      scope: 'public',
    });
    expect(await cache.get(k('tools/list', 'p3'))).toBeUndefined();
    await cache.evict('tools/list');
    expect(await cache.get(k('tools/list', 'p1'))).toBeUndefined();
    expect(await cache.get(k('tools/list', 'p2'))).toBeUndefined();
    expect((await cache.get(k('resources/read', 'p1', 'file:///x')))?.value).toBe('c');
    await cache.delete(k('resources/read', 'p1', 'file:///x'));
    expect(await cache.get(k('resources/read', 'p1', 'file:///x'))).toBeUndefined();
    await cache.set(k('prompts/list', ''), { value: 'd' });
    await cache.clear();
    expect(await cache.get(k('prompts/list', ''))).toBeUndefined();
    // The counter survives clear(): stamps never repeat.
    expect(await cache.set(k('prompts/list', ''), { value: 'e' })).toBeGreaterThan(s1 + 2);
  });
});
