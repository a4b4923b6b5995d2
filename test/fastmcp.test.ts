import { randomBytes } from 'node:crypto';
import type { TokenStorage } from 'fastmcp/auth';
import { describe, expect, it } from 'vitest';
import type { JsonObject, StoreCapabilities } from '../src/contract.js';
import { InvalidKeyError, InvalidTTLError, SerializationError, StoreSetupError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import { FASTMCP_DEFAULT_COLLECTION, FastMCPTokenStorage } from '../src/integrations/fastmcp.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';

function clocked() {
  const time = { now: 1_700_000_000_000 };
  const store = new MemoryStore({ clock: () => time.now, sweepIntervalMs: 0 });
  return { time, store, storage: new FastMCPTokenStorage(store) };
}

describe('FastMCPTokenStorage', () => {
  it('is a FastMCP TokenStorage with an atomic take', () => {
    const storage: TokenStorage = new FastMCPTokenStorage(new MemoryStore({ sweepIntervalMs: 0 }));
    expect(typeof storage.take).toBe('function');
  });

  it('round-trips objects through JSON like FastMCP’s own storages (Dates become ISO strings)', async () => {
    const { storage, store } = clocked();
    const registeredAt = new Date('2026-11-22T10:30:00.000Z');
    await storage.save('client:abc', {
      clientId: 'abc',
      registeredAt,
      redirectUris: ['http://localhost:3000/cb'],
      metadata: { client_name: 'x', client_uri: undefined },
    });
    expect(await storage.get('client:abc')).toEqual({
      clientId: 'abc',
      registeredAt: '2026-11-22T10:30:00.000Z',
      redirectUris: ['http://localhost:3000/cb'],
      metadata: { client_name: 'x' },
    });
    // Stored as the plain object, in the default collection, readable by other tools.
    expect(await store.get('client:abc', { collection: FASTMCP_DEFAULT_COLLECTION })).toMatchObject({
      clientId: 'abc',
    });
  });

  it('keeps values that are not plain objects (FastMCP’s encrypted strings) and null', async () => {
    const { storage } = clocked();
    await storage.save('upstream:1', 'iv:tag:ciphertext');
    await storage.save('list', [1, 'two']);
    await storage.save('num', 42);
    await storage.save('nothing', null);
    expect(await storage.get('upstream:1')).toBe('iv:tag:ciphertext');
    expect(await storage.get('list')).toEqual([1, 'two']);
    expect(await storage.get('num')).toBe(42);
    expect(await storage.get('nothing')).toBeNull();
  });

  it('does not confuse a stored object with the wrapper it uses for other values', async () => {
    const { storage, store } = clocked();
    // Learn the wrapper's member name from how a string is stored.
    // client: keys are stored as they are (other keys are hashed and their values sealed).
    await storage.save('client:probe', 'x');
    const probe = (await store.get('client:probe', { collection: FASTMCP_DEFAULT_COLLECTION })) as JsonObject;
    const [wrapperKey] = Object.keys(probe);
    expect(probe).toEqual({ [wrapperKey as string]: 'x' });
    const lookalike = { [wrapperKey as string]: 'not wrapped' };
    await storage.save('lookalike', lookalike);
    await storage.save('client:lookalike', lookalike);
    expect(await storage.get('lookalike')).toEqual(lookalike);
    expect(await storage.get('client:lookalike')).toEqual(lookalike);
  });

  it('returns null for missing keys and after delete; delete of a missing key is fine', async () => {
    const { storage } = clocked();
    expect(await storage.get('missing')).toBeNull();
    await storage.save('k', { a: 1 });
    await storage.delete('k');
    await storage.delete('k');
    expect(await storage.get('k')).toBeNull();
  });

  it('returns fresh objects: mutating a result changes nothing stored', async () => {
    const { storage } = clocked();
    await storage.save('k', { a: { b: 1 } });
    const first = (await storage.get('k')) as { a: { b: number } };
    first.a.b = 2;
    expect(await storage.get('k')).toEqual({ a: { b: 1 } });
  });

  it('expires entries after ttl seconds, for get and take', async () => {
    const { storage, time } = clocked();
    await storage.save('code:1', { c: 1 }, 300);
    await storage.save('code:2', { c: 2 }, 300);
    time.now += 299_000;
    expect(await storage.get('code:1')).toEqual({ c: 1 });
    time.now += 1_000;
    expect(await storage.get('code:1')).toBeNull();
    expect(await storage.take('code:2')).toBeNull();
  });

  it('treats ttl 0 and undefined as no expiry, like MemoryTokenStorage and DiskStore', async () => {
    const { storage, time } = clocked();
    await storage.save('a', { a: 1 }, 0);
    await storage.save('b', { b: 1 });
    time.now += 10 * 365 * 86_400_000;
    expect(await storage.get('a')).toEqual({ a: 1 });
    expect(await storage.get('b')).toEqual({ b: 1 });
  });

  it('treats a negative ttl as already expired: the key is removed', async () => {
    const { storage } = clocked();
    await storage.save('mapping:1', { m: 1 }, 60);
    await storage.save('mapping:1', { m: 2 }, -5);
    expect(await storage.get('mapping:1')).toBeNull();
  });

  it('rejects NaN, Infinity and non-number TTLs with InvalidTTLError and writes nothing', async () => {
    const { storage } = clocked();
    await storage.save('k', { v: 'old' });
    for (const ttl of [Number.NaN, Number.POSITIVE_INFINITY, '60', true]) {
      await expect(storage.save('k', { v: 'new' }, ttl as number)).rejects.toBeInstanceOf(InvalidTTLError);
    }
    expect(await storage.get('k')).toEqual({ v: 'old' });
  });

  it('rejects values with no JSON form with SerializationError, naming no stored data', async () => {
    const { storage } = clocked();
    const cyclic: Record<string, unknown> = { secret: 'hunter2' };
    cyclic.self = cyclic;
    for (const value of [undefined, () => 1, Symbol('s'), { n: 10n, secret: 'hunter2' }, cyclic]) {
      const err = await storage.save('k', value).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SerializationError);
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
    expect(await storage.get('k')).toBeNull();
  });

  it('rejects empty keys with InvalidKeyError', async () => {
    const { storage } = clocked();
    await expect(storage.save('', { a: 1 })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(storage.get('')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(storage.take('')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(storage.delete('')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('uses the configured collection and refuses an invalid one', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    const a = new FastMCPTokenStorage(store, { collection: 'server-a' });
    const b = new FastMCPTokenStorage(store, { collection: 'server-b' });
    await a.save('client:1', { owner: 'a' });
    expect(await b.get('client:1')).toBeNull();
    expect(await store.get('client:1', { collection: 'server-a' })).toEqual({ owner: 'a' });
    expect(a.collection).toBe('server-a');
    expect(() => new FastMCPTokenStorage(store, { collection: '' })).toThrow(InvalidKeyError);
    expect(() => new FastMCPTokenStorage({} as MemoryStore)).toThrow(StoreSetupError);
  });

  it('take hands a value to exactly one of 50 concurrent callers', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    const replicas = [new FastMCPTokenStorage(store), new FastMCPTokenStorage(store)];
    await replicas[0]!.save('code:once', { clientId: 'c' }, 300);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => replicas[i % 2]!.take('code:once')),
    );
    expect(results.filter((r) => r !== null)).toEqual([{ clientId: 'c' }]);
  });

  it('cleanup culls expired entries when the store can', async () => {
    const { storage, store, time } = clocked();
    await storage.save('old', { a: 1 }, 1);
    await storage.save('keep', { a: 2 });
    time.now += 2_000;
    await storage.cleanup();
    // Stored under its SHA-256 (no secret configured), not under the key FastMCP gave.
    expect((await store.keys(FASTMCP_DEFAULT_COLLECTION)).keys).toEqual([new BearerHasher().hash('keep')]);
    // A cull of 1 entry already happened: a second cull has nothing left to remove.
    expect(await store.cull()).toBe(0);
  });

  it('cleanup is a no-op on a store without cull', async () => {
    class NoCull extends WrapperStore {
      override get capabilities(): StoreCapabilities {
        return { ...this.inner.capabilities, cull: false };
      }
      override cull(): Promise<number> {
        throw new Error('cull must not be called');
      }
    }
    const storage = new FastMCPTokenStorage(new NoCull(new MemoryStore({ sweepIntervalMs: 0 })));
    await expect(storage.cleanup()).resolves.toBeUndefined();
  });

  it('never writes an entry for a key it was not given (random keys stay separate)', async () => {
    const { storage } = clocked();
    const keys = Array.from({ length: 20 }, () => `transaction:${randomBytes(8).toString('base64url')}`);
    await Promise.all(keys.map((k, i) => storage.save(k, { i }, 600)));
    expect(await Promise.all(keys.map((k) => storage.get(k)))).toEqual(keys.map((_, i) => ({ i })));
  });
});
