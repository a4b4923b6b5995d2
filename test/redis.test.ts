/**
 * RedisStore on a standalone server (the shared one from OAUTH_KV_TEST_REDIS_URL): the conformance
 * suite, py-key-value compatibility, one round trip per bulk operation, name encoding, key prefixes,
 * concurrency, and error mapping. Every key lives under a per-run prefix and is deleted afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import type { JsonObject } from '../src/contract.js';
import { documentToEntry } from '../src/entry.js';
import {
  DeserializationError,
  InvalidKeyError,
  StoreConnectionError,
  StoreSetupError,
  ValidationError,
} from '../src/errors.js';
import {
  decodeCollection,
  encodeCollection,
  RedisStore,
  type RedisStoreOptions,
} from '../src/stores/redis/index.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { unlinkMatching } from './helpers/redis-keys.js';
import { spareRedisPort } from './helpers/redis-server.js';

const backend = await findBackend('redis');
const prefix = `${uniqueName('oauthkv')}:`;

interface PyDocument {
  redis_key: string;
  collection: string;
  key: string;
  value: JsonObject;
  redis_string: string;
  has_ttl: boolean;
}
const pyDocuments = JSON.parse(
  readFileSync(new URL('./fixtures/vectors/py-key-value/redis-documents.json', import.meta.url), 'utf8'),
) as PyDocument[];

/**
 * Counts what a client sends: `commands`, and `roundTrips` = groups of commands sent without
 * waiting for a reply in between (a command sent after any reply arrived starts a new group).
 */
function countRoundTrips(client: Redis) {
  const original = client.sendCommand.bind(client);
  const counts = { commands: 0, roundTrips: 0, names: [] as string[] };
  let replied = true;
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: never) => {
    counts.commands++;
    counts.names.push(command.name);
    if (replied) {
      counts.roundTrips++;
      replied = false;
    }
    command.promise.then(
      () => {
        replied = true;
      },
      () => {
        replied = true;
      },
    );
    return original(command, stream);
  }) as Redis['sendCommand'];
  return {
    counts,
    reset() {
      counts.commands = 0;
      counts.roundTrips = 0;
      counts.names = [];
      replied = true;
    },
  };
}

describe.skipIf(!backend.available)(`RedisStore ${backend.description}`, () => {
  let raw: Redis;
  const stores: RedisStore[] = [];
  const make = (options: RedisStoreOptions = {}) => {
    const store = new RedisStore({
      ...(options.client || options.redisOptions ? {} : { url: backend.url }),
      keyPrefix: prefix,
      ...options,
    });
    stores.push(store);
    return store;
  };
  let counter = 0;
  const fresh = (label = 'c') => `${label}-${++counter}`;

  beforeAll(() => {
    raw = new Redis(backend.url, { lazyConnect: false });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await unlinkMatching(raw, `${prefix}*`);
    await unlinkMatching(raw, `drv-${prefix}*`);
    raw.disconnect();
    await backend.stop();
  });

  describeConformance('RedisStore', {
    createStore: () => new RedisStore({ url: backend.url, keyPrefix: prefix }),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
  });

  describeConformance('RedisStore with keyIndex', {
    createStore: () => new RedisStore({ url: backend.url, keyPrefix: `${prefix}idx:`, keyIndex: true }),
    persistent: true,
    sharedBacking: true,
    ttlSlack: 0.2,
  });

  describe('key index (keyIndex)', () => {
    const members = (collection: string) => raw.zrange(`${prefix}${collection}:#keys`, 0, -1);

    test('a keys() page is two round trips (ZRANGEBYLEX, then EXISTS of each key sent together)', async () => {
      const client = new Redis(backend.url);
      try {
        const store = make({ client, keyIndex: true });
        const collection = fresh('idx-rt');
        const keys = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
        await store.putMany(
          keys.map((k) => [k, { k }] as const),
          { collection },
        );
        const counter = countRoundTrips(client);
        const first = await store.keys(collection, { limit: 10 });
        expect(first.keys).toEqual(keys.slice(0, 10));
        expect(counter.counts.roundTrips).toBe(2);
        expect(counter.counts.names).toEqual(['zrangebylex', ...Array(10).fill('exists')]);
        const seen = [...first.keys];
        let cursor = first.cursor;
        while (cursor !== undefined) {
          const page = await store.keys(collection, { limit: 10, cursor });
          seen.push(...page.keys);
          cursor = page.cursor;
        }
        expect(seen).toEqual(keys);
        // A write is still one round trip: the ZADD follows the SET in the same write.
        counter.reset();
        await store.put('k99', { k: 'k99' }, { collection, ttl: 60 });
        expect(counter.counts.roundTrips).toBe(1);
        expect(counter.counts.names).toEqual(['set', 'zadd']);
      } finally {
        client.disconnect();
      }
    });

    test('every write adds to the index and every removal takes away; the index is no entry and no collection', async () => {
      const store = make({ keyIndex: [fresh('unused'), 'idx-ops'] });
      const collection = 'idx-ops';
      await store.destroyCollection(collection);
      await store.put('a', { a: 1 }, { collection });
      await store.putMany(
        [
          ['b', { b: 1 }],
          ['c', { c: 1 }],
        ],
        { collection, ttl: 60 },
      );
      await store.putMany([['d', { d: 1 }]], { collection });
      expect(await store.putIfAbsent('e', { e: 1 }, { collection })).toBe(true);
      expect(await store.increment('f', 1, { collection })).toBe(1);
      expect(await members(collection)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(await store.take('a', { collection })).toEqual({ a: 1 });
      expect(await store.delete('b', { collection })).toBe(true);
      expect(await store.deleteMany(['c', 'd', 'zz'], { collection })).toBe(2);
      expect(await members(collection)).toEqual(['e', 'f']);
      expect((await store.keys(collection)).keys).toEqual(['e', 'f']);
      expect(await store.collections()).toContain(collection);
      expect((await store.collections()).some((c) => c.includes('#keys'))).toBe(false);
      expect(await raw.exists(`${prefix}${collection}:#keys`)).toBe(1);
      expect(await store.destroyCollection(collection)).toBe(true);
      expect(await raw.exists(`${prefix}${collection}:#keys`)).toBe(0);
      // A collection not named in keyIndex keeps no index.
      await store.put('x', { x: 1 }, { collection: 'idx-not' });
      expect(await raw.exists(`${prefix}idx-not:#keys`)).toBe(0);
      expect((await store.keys('idx-not')).keys).toEqual(['x']);
    });

    test("destroyCollection() on a store that does not index the collection deletes another store's index too", async () => {
      const indexing = make({ keyIndex: true });
      const plain = make();
      const collection = fresh('idx-other');
      await indexing.putMany(
        ['a', 'b'].map((k) => [k, { k }] as const),
        { collection },
      );
      expect(await raw.exists(`${prefix}${collection}:#keys`)).toBe(1);
      expect(await plain.destroyCollection(collection)).toBe(true);
      expect(await raw.exists(`${prefix}${collection}:#keys`)).toBe(0);
      expect(await indexing.keys(collection)).toEqual({ keys: [], cursor: undefined });
    });

    test('keys that expired or were deleted behind the store (as py-key-value does) are left out of pages and pruned', async () => {
      const store = make({ keyIndex: true });
      const collection = fresh('idx-prune');
      await store.put('short', { s: 1 }, { collection, ttl: 0.3 });
      await store.putMany(
        ['a', 'b', 'c', 'd'].map((k) => [k, { k }] as const),
        { collection },
      );
      await raw.del(`${prefix}${collection}::b`, `${prefix}${collection}::c`);
      await new Promise((r) => setTimeout(r, 450));
      expect(await members(collection)).toEqual(['a', 'b', 'c', 'd', 'short']);
      const first = await store.keys(collection, { limit: 2 });
      // The page is filled past the gone keys.
      expect(first.keys).toEqual(['a', 'd']);
      const rest = await store.keys(collection, { limit: 2, cursor: first.cursor });
      expect(rest).toEqual({ keys: [], cursor: undefined });
      expect(await members(collection)).toEqual(['a', 'd']);
    });

    test('rebuildKeyIndex() indexes keys written without the index (earlier, or by py-key-value)', async () => {
      const store = make({ keyIndex: ['idx-rebuild'] });
      const plain = make();
      const collection = 'idx-rebuild';
      await plain.destroyCollection(collection);
      await plain.putMany(
        ['p', 'q', 'r'].map((k) => [k, { k }] as const),
        { collection },
      );
      expect((await store.keys(collection)).keys).toEqual([]);
      expect(await store.rebuildKeyIndex(collection)).toBe(3);
      expect((await store.keys(collection)).keys).toEqual(['p', 'q', 'r']);
      await expect(store.rebuildKeyIndex('other')).rejects.toBeInstanceOf(ValidationError);
    });

    test('keyIndex must be true, false or a list of collection names', () => {
      for (const keyIndex of ['yes', [1], [''], {}]) {
        expect(() => new RedisStore({ url: backend.url, keyIndex: keyIndex as never })).toThrow(
          StoreSetupError,
        );
      }
      expect(() => new RedisStore({ url: backend.url, keyIndex: false })).not.toThrow();
    });
  });

  describe('py-key-value layout', () => {
    test('documents written by Python are read back, value and expiry', async () => {
      const store = make();
      const now = Date.now();
      for (const doc of pyDocuments) {
        await raw.set(`${prefix}${doc.redis_key}`, doc.redis_string, 'EX', 3600);
        const expiresAt = /"expires_at": "([^"]+)"/.exec(doc.redis_string)?.[1];
        const expired = expiresAt !== undefined && Date.parse(expiresAt) <= now;
        // The vectors carry fixed dates: an expiring one is hidden once its date has passed.
        expect(await store.get(doc.key, { collection: doc.collection })).toEqual(
          expired ? undefined : doc.value,
        );
      }
      const plain = pyDocuments.filter((d) => !d.has_ttl);
      const values = await store.getMany(
        plain.map((d) => d.key),
        { collection: plain[0]!.collection },
      );
      expect(values[0]).toEqual(plain[0]!.value);
    });

    test('a Python document with a future expires_at reports the remaining TTL', async () => {
      const store = make();
      const doc = pyDocuments.find((d) => d.has_ttl)!;
      const expires = new Date(Date.now() + 3_600_000).toISOString().replace('Z', '+00:00');
      const text = doc.redis_string.replace(/"expires_at": "[^"]+"/, `"expires_at": "${expires}"`);
      await raw.set(`${prefix}${doc.redis_key}`, text, 'EX', 3600);
      const { value, ttl } = await store.ttl(doc.key, { collection: doc.collection });
      expect(value).toEqual(doc.value);
      expect(ttl).toBeGreaterThan(3590);
      expect(ttl).toBeLessThanOrEqual(3600);
      expect(await store.take(doc.key, { collection: doc.collection })).toEqual(doc.value);
      expect(await raw.exists(`${prefix}${doc.redis_key}`)).toBe(0);
    });

    test('a Python document whose expires_at passed is hidden although Redis still holds it', async () => {
      const store = make();
      const collection = fresh('py-expired');
      const past = new Date(Date.now() - 1000).toISOString().replace('Z', '+00:00');
      const text = `{"collection": "${collection}", "created_at": "${past}", "expires_at": "${past}", "key": "k", "value": {"a": 1}, "version": 1}`;
      await raw.set(`${prefix}${collection}::k`, text, 'EX', 60);
      expect(await store.get('k', { collection })).toBeUndefined();
      expect(await store.delete('k', { collection })).toBe(false); // removed, but it was expired
      await raw.set(`${prefix}${collection}::k`, text, 'EX', 60);
      expect(await store.deleteMany(['k', 'other'], { collection })).toBe(0);
      await raw.set(`${prefix}${collection}::k`, text, 'EX', 60);
      expect(await store.putIfAbsent('k', { b: 2 }, { collection })).toBe(true);
      expect(await store.get('k', { collection })).toEqual({ b: 2 });
      expect(await raw.pttl(`${prefix}${collection}::k`)).toBe(-1); // the replacement has no TTL
    });

    test('what we write is the py-key-value document under "{collection}::{key}", with a native TTL', async () => {
      const store = new RedisStore(backend.url); // no prefix: the exact Python key
      stores.push(store);
      const collection = `${prefix.replace(/:$/, '')}-mcp-authorization-codes`;
      const value = { code: 'abc', scopes: ['read'], nested: { ü: [1, null] } };
      try {
        await store.put('code-1', value, { collection, ttl: 300.5 });
        await store.put('client-1', { client_id: 'c' }, { collection });
        const text = await raw.get(`${collection}::code-1`);
        expect(text).not.toBeNull();
        const doc = JSON.parse(text!) as Record<string, unknown>;
        expect(Object.keys(doc).sort()).toEqual([
          'collection',
          'created_at',
          'expires_at',
          'key',
          'value',
          'version',
        ]);
        expect(doc).toMatchObject({ collection, key: 'code-1', value, version: 1 });
        const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
        expect(doc.created_at).toMatch(iso);
        expect(doc.expires_at).toMatch(iso);
        const pttl = await raw.pttl(`${collection}::code-1`);
        expect(pttl).toBeGreaterThan(299_000);
        expect(pttl).toBeLessThanOrEqual(300_500);
        const plain = JSON.parse((await raw.get(`${collection}::client-1`))!) as Record<string, unknown>;
        expect(Object.keys(plain).sort()).toEqual(['collection', 'created_at', 'key', 'value', 'version']);
        expect(await raw.pttl(`${collection}::client-1`)).toBe(-1);
        // Python reads it: json.loads and datetime.fromisoformat (aware UTC) accept the document.
        const out = execFileSync(
          'python3',
          [
            '-c',
            'import json,sys,datetime\nd=json.loads(sys.stdin.read())\n' +
              'c=datetime.datetime.fromisoformat(d["created_at"]);e=datetime.datetime.fromisoformat(d["expires_at"])\n' +
              'assert c.utcoffset()==datetime.timedelta(0) and e>c\nprint(d["value"]["code"], round((e-c).total_seconds(),1))',
          ],
          { input: text!, encoding: 'utf8' },
        );
        expect(out.trim()).toBe('abc 300.5');
      } finally {
        await raw.unlink(`${collection}::code-1`, `${collection}::client-1`);
      }
    });

    test('every ISO-8601 form py-key-value accepts is read like documentToEntry reads it; bad dates are refused', async () => {
      const store = make();
      const collection = fresh('dates');
      const year = new Date().getUTCFullYear() + 2;
      const good: Record<string, string> = {
        canonical: `${year}-03-01T10:30:00+00:00`,
        micros: `${year}-03-01T10:30:00.123456+00:00`,
        zulu: `${year}-03-01T10:30:00Z`,
        offset: `${year}-03-01T16:00:00.5+05:30`,
        space: `${year}-03-01 10:30:00.123+00:00`,
        leapDay: '2028-02-29T00:00:00.000001+00:00',
      };
      for (const [key, expires] of Object.entries(good)) {
        const doc = {
          created_at: '2026-01-01T00:00:00+00:00',
          expires_at: expires,
          value: { key },
          version: 1,
        };
        await raw.set(`${prefix}${collection}::${key}`, JSON.stringify(doc));
        const expected = documentToEntry(JSON.stringify(doc));
        const { value, ttl } = await store.ttl(key, { collection });
        expect(value, key).toEqual({ key });
        expect(Math.abs((ttl ?? 0) - (expected.expiresAt! - Date.now()) / 1000), key).toBeLessThan(5);
      }
      const bad: Record<string, Record<string, unknown>> = {
        notLeap: { expires_at: '2027-02-29T00:00:00+00:00' },
        month13: { expires_at: '2027-13-01T00:00:00+00:00' },
        noOffset: { expires_at: '2027-03-01T00:00:00' },
        letters: { created_at: '2026-0x-01T00:00:00+00:00' },
        number: { created_at: 12 },
        noValue: { value: undefined },
      };
      for (const [key, fields] of Object.entries(bad)) {
        const doc = { created_at: '2026-01-01T00:00:00+00:00', value: { a: 1 }, version: 1, ...fields };
        await raw.set(`${prefix}${collection}::${key}`, JSON.stringify(doc));
        expect(() => documentToEntry(JSON.stringify(doc)), key).toThrow(DeserializationError);
        await expect(store.get(key, { collection }), key).rejects.toBeInstanceOf(DeserializationError);
      }
      // A value stored as a JSON string (the Firestore form) is read too.
      await raw.set(`${prefix}${collection}::str`, JSON.stringify({ value: '{"s":1}', version: 1 }));
      expect(await store.get('str', { collection })).toEqual({ s: 1 });
    });

    test('an entry Redis expired natively is gone', async () => {
      const store = make();
      const collection = fresh('native');
      await store.put('k', { a: 1 }, { collection, ttl: 600 });
      await raw.pexpire(`${prefix}${collection}::k`, 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.get('k', { collection })).toBeUndefined();
    });
  });

  describe('collection names', () => {
    test('plain names are unchanged; names that could alias are encoded reversibly', () => {
      for (const name of [
        'mcp-oauth-proxy-clients',
        'a:b',
        ':a',
        'a b',
        '🔑',
        'x%',
        'a*?[]{}\\',
        'a%3A%3Ab',
      ]) {
        expect(encodeCollection(name)).toBe(name);
      }
      const tricky = ['a::b', 'a:', '::', ':', '%', '%3A', '%a', 'a::', '%25'];
      const encoded = new Set<string>();
      for (const name of tricky) {
        const enc = encodeCollection(name);
        expect(enc.startsWith('%')).toBe(true);
        expect(enc.includes(':')).toBe(false);
        expect(decodeCollection(enc)).toBe(name);
        encoded.add(enc);
      }
      expect(encoded.size).toBe(tricky.length);
      expect(decodeCollection('%abc')).toBeUndefined(); // never produced: "abc" is stored raw
      expect(decodeCollection('%a%2Fb')).toBeUndefined();
      expect(decodeCollection('a:')).toBeUndefined();
    });

    test('("a::b","c"), ("a","b::c"), ("a:",":c") and ("a","::c") are four entries', async () => {
      const store = make();
      const base = fresh('alias');
      const pairs: [string, string][] = [
        [`${base}::b`, 'c'],
        [base, 'b::c'],
        [`${base}:`, ':c'],
        [base, '::c'],
      ];
      for (const [i, [collection, key]] of pairs.entries()) await store.put(key, { i }, { collection });
      for (const [i, [collection, key]] of pairs.entries()) {
        expect(await store.get(key, { collection })).toEqual({ i });
      }
      expect((await store.keys(base)).keys.sort()).toEqual(['::c', 'b::c']);
      const all = await store.collections();
      for (const [collection] of pairs) expect(all).toContain(collection);
      expect(await raw.exists(`${prefix}${base}::b::c`)).toBe(1);
      expect(await raw.exists(`${prefix}%${base}%3A%3Ab::c`)).toBe(1);
    });

    test('glob characters in names match only themselves in keys() and destroyCollection()', async () => {
      const store = make();
      const star = `${fresh('glob')}*`;
      const other = `${star.slice(0, -1)}x`;
      await store.put('k', { a: 1 }, { collection: star });
      await store.put('k', { b: 2 }, { collection: other });
      await store.put('[a]?', { c: 3 }, { collection: `[x]${star}` });
      expect((await store.keys(star)).keys).toEqual(['k']);
      expect((await store.keys(`[x]${star}`)).keys).toEqual(['[a]?']);
      expect(await store.destroyCollection(star)).toBe(true);
      expect(await store.get('k', { collection: other })).toEqual({ b: 2 });
      expect(await store.destroyCollection(star)).toBe(false);
    });
  });

  describe('round trips', () => {
    test('get, put, take, putIfAbsent, delete, getMany, putMany, deleteMany (100 keys): one command each', async () => {
      const client = new Redis(backend.url);
      const store = make({ client });
      const collection = fresh('rt');
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      // Load the scripts into the server's cache (a cold cache costs one NOSCRIPT reply, once).
      await store.putMany(
        [
          ['w1', {}],
          ['w2', {}],
        ],
        { collection, ttl: 1 },
      );
      await store.deleteMany(['w1', 'w2'], { collection });
      const counter = countRoundTrips(client);
      try {
        const expectOne = async (op: () => Promise<unknown>, commands: number, names?: string[]) => {
          counter.reset();
          await op();
          expect(counter.counts.roundTrips).toBe(1);
          expect(counter.counts.commands).toBe(commands);
          if (names) expect(counter.counts.names).toEqual(names);
        };
        const entries = keys.map((k, i) => [k, { i }] as const);
        await expectOne(() => store.putMany(entries, { collection }), 1, ['mset']);
        await expectOne(() => store.putMany(entries, { collection, ttl: 60 }), 1, ['evalsha']);
        expect(await raw.pttl(`${prefix}${collection}::k7`)).toBeGreaterThan(59_000);
        expect(await store.get('k7', { collection })).toEqual({ i: 7 });
        await expectOne(() => store.getMany(keys, { collection }), 1, ['mget']);
        await expectOne(() => store.ttlMany(keys, { collection }), 1, ['mget']);
        await expectOne(() => store.get('k1', { collection }), 1, ['get']);
        await expectOne(() => store.put('k1', { a: 1 }, { collection, ttl: 5 }), 1, ['set']);
        await expectOne(() => store.take('k1', { collection }), 1, ['getdel']);
        await expectOne(() => store.putIfAbsent('k1', { a: 1 }, { collection }), 1, ['set']);
        await expectOne(() => store.delete('k1', { collection }), 1, ['evalsha']);
        await expectOne(async () => expect(await store.deleteMany(keys, { collection })).toBe(99), 1, [
          'evalsha',
        ]);
      } finally {
        client.disconnect();
      }
    });
  });

  test('bulk operations over 2,500 keys are split into commands of 1,000 keys, still one round trip', async () => {
    const client = new Redis(backend.url);
    const store = make({ client });
    const collection = fresh('big');
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);
    await store.putMany(
      [
        ['w1', {}],
        ['w2', {}],
      ],
      { collection, ttl: 1 },
    );
    await store.deleteMany(['w1', 'w2'], { collection });
    const counter = countRoundTrips(client);
    try {
      const entries = keys.map((k, i) => [k, { i }] as const);
      for (const [op, names] of [
        [() => store.putMany(entries, { collection }), ['mset', 'mset', 'mset']],
        [() => store.putMany(entries, { collection, ttl: 60 }), ['evalsha', 'evalsha', 'evalsha']],
        [() => store.getMany(keys, { collection }), ['mget', 'mget', 'mget']],
      ] as const) {
        counter.reset();
        await op();
        expect(counter.counts.roundTrips).toBe(1);
        if (names) expect(counter.counts.names).toEqual(names);
      }
      expect(counter.counts.names.filter((n) => n === 'mget')).toHaveLength(3);
      const values = await store.getMany(keys, { collection });
      expect(values.map((v) => v?.i)).toEqual(keys.map((_, i) => i));
      counter.reset();
      expect(await store.deleteMany(keys, { collection })).toBe(2500);
      expect(counter.counts.roundTrips).toBe(1);
      expect(counter.counts.names).toEqual(['evalsha', 'evalsha', 'evalsha']);
    } finally {
      client.disconnect();
    }
  });

  describe('key prefixes', () => {
    test('two prefixes on one database are separate stores', async () => {
      const a = make({ keyPrefix: `${prefix}a:` });
      const b = make({ keyPrefix: `${prefix}b:` });
      const collection = fresh('pfx');
      await a.put('k', { from: 'a' }, { collection });
      expect(await b.get('k', { collection })).toBeUndefined();
      expect((await b.keys(collection)).keys).toEqual([]);
      expect(await b.collections()).not.toContain(collection);
      expect(await a.collections()).toContain(collection);
      expect(await b.destroyCollection(collection)).toBe(false);
      expect(await a.get('k', { collection })).toEqual({ from: 'a' });
    });

    test("a client's own ioredis keyPrefix is honoured by every operation, scans included", async () => {
      const client = new Redis(backend.url, { keyPrefix: `drv-${prefix}` });
      const store = make({ client, keyPrefix: 'app:' });
      const collection = fresh('drv');
      try {
        await store.putMany(
          [
            ['a', { a: 1 }],
            ['b', { b: 2 }],
            ['c', { c: 3 }],
          ],
          { collection, ttl: 60 },
        );
        expect(await raw.exists(`drv-${prefix}app:${collection}::a`)).toBe(1);
        expect(await store.getMany(['a', 'b', 'x'], { collection })).toEqual([{ a: 1 }, { b: 2 }, undefined]);
        expect((await store.keys(collection)).keys.sort()).toEqual(['a', 'b', 'c']);
        expect(await store.collections()).toContain(collection);
        expect(await store.take('a', { collection })).toEqual({ a: 1 });
        expect(await store.deleteMany(['b'], { collection })).toBe(1);
        expect(await store.destroyCollection(collection)).toBe(true);
        expect(await raw.exists(`drv-${prefix}app:${collection}::c`)).toBe(0);
      } finally {
        client.disconnect();
      }
    });
  });

  describe('keys() paging', () => {
    test('small pages over a collection larger than one SCAN batch return every key once', async () => {
      const store = make({ scanCount: 10 });
      const collection = fresh('paging');
      const keys = Array.from({ length: 257 }, (_, i) => `key-${i}`);
      await store.putMany(
        keys.map((k) => [k, { k }] as const),
        { collection },
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.keys(collection, { limit: 7, cursor });
        expect(page.keys.length).toBeLessThanOrEqual(7);
        seen.push(...page.keys);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 1000);
      expect(seen.sort()).toEqual([...keys].sort());
    });

    test('a cursor that no page returned is refused', async () => {
      const store = make();
      await expect(store.keys('c', { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('concurrency', () => {
    test('200 concurrent writers and readers on the same keys read only values some writer wrote', async () => {
      const a = make();
      const b = make();
      const collection = fresh('race');
      const keys = ['k0', 'k1', 'k2', 'k3'];
      const written = new Set<string>();
      const reads: (JsonObject | undefined)[] = [];
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const store = i % 2 === 0 ? a : b;
          const key = keys[i % keys.length]!;
          if (i % 3 === 0) {
            const value = { writer: i, key, pad: 'x'.repeat(i * 10) };
            written.add(JSON.stringify(value));
            await store.put(key, value, { collection });
          } else if (i % 3 === 1) {
            reads.push(await store.get(key, { collection }));
          } else {
            reads.push(...(await store.getMany(keys, { collection })));
          }
        }),
      );
      for (const value of reads) if (value !== undefined) expect(written).toContain(JSON.stringify(value));
      for (const key of keys) expect(written).toContain(JSON.stringify(await a.get(key, { collection })));
    });

    test('200 gets started together leave in one socket write and each gets its own document', async () => {
      const client = new Redis(backend.url);
      try {
        const store = make({ client });
        const collection = fresh('corked');
        const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
        await store.putMany(
          keys.map((k, i) => [k, { i }] as const),
          { collection },
        );
        const socket = client.stream as unknown as Record<
          '_write' | '_writev',
          (...args: never[]) => unknown
        >;
        let writes = 0;
        for (const method of ['_write', '_writev'] as const) {
          const original = socket[method]!.bind(socket);
          socket[method] = (...args: never[]) => {
            writes++;
            return original(...args);
          };
        }
        const values = await Promise.all(keys.map((k) => store.get(k, { collection })));
        expect(values).toEqual(keys.map((_, i) => ({ i })));
        expect(writes).toBe(1);
        // A single operation is not held back: it is written on the next tick.
        writes = 0;
        expect(await store.get('k7', { collection })).toEqual({ i: 7 });
        expect(writes).toBe(1);
      } finally {
        client.disconnect();
      }
    });

    test('take is exactly-once across two instances for 20 keys × 20 callers', async () => {
      const a = make();
      const b = make();
      const collection = fresh('take');
      const keys = Array.from({ length: 20 }, (_, i) => `code-${i}`);
      await a.putMany(
        keys.map((k) => [k, { k }] as const),
        { collection, ttl: 60 },
      );
      const results = await Promise.all(
        keys.flatMap((k) => Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).take(k, { collection }))),
      );
      const got = results.filter((r) => r !== undefined).map((r) => r.k);
      expect(got.sort()).toEqual([...keys].sort());
    });
  });

  describe('clients and errors', () => {
    test("close() leaves a caller's client open; a store's own client is closed", async () => {
      const client = new Redis(backend.url);
      try {
        const store = new RedisStore({ client, keyPrefix: prefix });
        await store.put('k', { a: 1 }, { collection: fresh() });
        await store.close();
        expect(await client.ping()).toBe('PONG');
        await expect(store.get('k')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      } finally {
        client.disconnect();
      }
    });

    test("a caller's client that its owner closed gives StoreConnectionError, not a hang", async () => {
      const client = new Redis(backend.url);
      await client.ping();
      await client.quit();
      const store = make({ client, connectTimeoutMs: 500 });
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreConnectionError);
      await expect(store.get('k')).rejects.toThrow(/closed by its owner/);
    });

    test('a non-string value under our key is a DeserializationError; bad names are refused', async () => {
      const store = make();
      const collection = fresh('wrongtype');
      await raw.hset(`${prefix}${collection}::h`, 'f', 'v');
      await expect(store.get('h', { collection })).rejects.toBeInstanceOf(DeserializationError);
      await raw.set(`${prefix}${collection}::junk`, 'not json');
      await expect(store.get('junk', { collection })).rejects.toBeInstanceOf(DeserializationError);
      await expect(store.get('', { collection })).rejects.toBeInstanceOf(InvalidKeyError);
    });

    test('unreachable at start: StoreConnectionError naming host:port, no password, within connectTimeoutMs', async () => {
      const port = await spareRedisPort();
      const store = make({ url: `redis://user:s3cret-pw@127.0.0.1:${port}/0`, connectTimeoutMs: 800 });
      const started = Date.now();
      const err = await store.put('k', { token: 'value-secret' }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      const shown = inspect(err, { depth: 10 });
      expect(shown).not.toContain('s3cret-pw');
      expect(shown).not.toContain('value-secret');
      expect(elapsed).toBeLessThan(10_000); // bounded by connectTimeoutMs, not the 10 s default
    });

    test('options are checked', () => {
      expect(() => new RedisStore({ url: 'http://x' })).toThrow(StoreSetupError);
      expect(() => new RedisStore({ url: backend.url, clusterNodes: ['a:1'] })).toThrow(StoreSetupError);
      expect(() => new RedisStore({ connectTimeoutMs: 0 })).toThrow(StoreSetupError);
      expect(() => new RedisStore({ clusterNodes: [] })).toThrow(StoreSetupError);
    });

    test('cull() returns 0: Redis expires entries natively', async () => {
      const store = make();
      expect(store.capabilities.cull).toBe(true);
      expect(await store.cull()).toBe(0);
    });
  });
});
