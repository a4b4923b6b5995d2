import { readFileSync } from 'node:fs';
import type { Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { parseIsoDate } from '../src/entry.js';
import {
  DeserializationError,
  type OAuthKVError,
  StoreClosedError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
  ValidationError,
  ValueTooLargeError,
} from '../src/errors.js';
import { firestoreError } from '../src/stores/firestore/connection.js';
import {
  decodeFirestoreId,
  encodeFirestoreId,
  FirestoreStore,
  type FirestoreStoreOptions,
} from '../src/stores/firestore/index.js';
import { findBackend } from './harness/backends.js';
import { decryptPyKeyValue, type EmulatorProject, emulatorProject } from './helpers/firestore-emulator.js';

const backend = await findBackend('firestore');
if (backend.available) process.env.FIRESTORE_EMULATOR_HOST ??= backend.url;
const project: EmulatorProject | undefined = backend.available
  ? emulatorProject(backend.url, 'oakv-fs')
  : undefined;
afterAll(async () => {
  await project?.dispose();
  await backend.stop();
});

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/vectors/py-key-value/firestore-documents.json', import.meta.url), 'utf8'),
) as Array<{ path: string; document: Record<string, unknown>; fernet_key: string; value: unknown }>;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/;

describe.skipIf(!backend.available)(`FirestoreStore on the emulator ${backend.description}`, () => {
  const p = project as EmulatorProject;
  const projectId = p?.projectId;

  describeConformance('FirestoreStore', {
    createStore: () => new FirestoreStore({ projectId }),
    persistent: true,
    sharedBacking: true,
    // Firestore holds at most 1 MiB per document, names and fields included: 1 MB values fit.
    largeValueBytes: 1_000_000,
  });

  describeConformance('FirestoreStore with rootPath and ttlField', {
    createStore: () => new FirestoreStore({ projectId, rootPath: 'tenants/conformance', ttlField: 'ttl_at' }),
    persistent: true,
    sharedBacking: true,
    largeValueBytes: 1_000_000,
    modelRuns: 10,
  });

  const stores: FirestoreStore[] = [];
  const make = (options: ConstructorParameters<typeof FirestoreStore>[0] = {}) => {
    const s = new FirestoreStore({ projectId, ...options });
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  let n = 0;
  const fresh = (label = 'c') => `fs-${label}-${++n}-${Date.now().toString(36)}`;

  describe('py-key-value layout', () => {
    test('an entry is the document {collection}/{key} with version, value as a JSON string and ISO dates', async () => {
      const s = make();
      const collection = fresh();
      const before = Date.now();
      await s.put(
        'client-1',
        { client_id: 'client-1', uris: ['https://a.example/cb'] },
        { collection, ttl: 60 },
      );
      const snap = await p.raw.doc(`${collection}/client-1`).get();
      expect(snap.exists).toBe(true);
      const doc = snap.data() as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual(['created_at', 'expires_at', 'value', 'version']);
      expect(doc.version).toBe(1);
      expect(typeof doc.value).toBe('string');
      expect(JSON.parse(doc.value as string)).toEqual({
        client_id: 'client-1',
        uris: ['https://a.example/cb'],
      });
      expect(doc.created_at).toMatch(ISO_UTC);
      expect(doc.expires_at).toMatch(ISO_UTC);
      const created = parseIsoDate(doc.created_at as string) as number;
      expect(created).toBeGreaterThanOrEqual(before - 1);
      expect(parseIsoDate(doc.expires_at as string)).toBe(created + 60_000);

      await s.put('client-1', { again: true }, { collection });
      const rewritten = (await p.raw.doc(`${collection}/client-1`).get()).data() as Record<string, unknown>;
      expect(Object.keys(rewritten).sort()).toEqual(['created_at', 'value', 'version']);
    });

    test('reads the document Python wrote (vector), byte for byte through Fernet', async () => {
      const vector = vectors[0]!;
      const [collection, key] = vector.path.split('/') as [string, string];
      await p.raw.doc(vector.path).set(vector.document);
      const expiresAt = parseIsoDate(vector.document.expires_at as string) as number;
      // A fixed clock half an hour before the vector's expiry keeps the test independent of today.
      const s = make({ clock: () => expiresAt - 1_800_000 });
      const stored = await s.get(key, { collection });
      expect(stored).toEqual(JSON.parse(vector.document.value as string));
      expect(decryptPyKeyValue(stored as { __encrypted_data__: string }, vector.fernet_key)).toEqual(
        vector.value,
      );
      const { ttl } = await s.ttl(key, { collection });
      expect(ttl).toBeCloseTo(1800, 3);
      expect((await s.keys(collection)).keys).toEqual([key]);
      expect(await s.collections()).toContain(collection);

      const later = make({ clock: () => expiresAt });
      expect(await later.get(key, { collection })).toBeUndefined();
      expect(await later.putIfAbsent(key, { replaced: true }, { collection })).toBe(true);
    });

    test('a Python reader finds what we write: plain names are the raw ids', async () => {
      const s = make();
      const collection = 'mcp-oauth-proxy-clients';
      await s.put('mcp_1234', { client_id: 'mcp_1234' }, { collection });
      const ids = (await p.raw.collection(collection).listDocuments()).map((d) => d.id);
      expect(ids).toContain('mcp_1234');
      await s.delete('mcp_1234', { collection });
    });

    test('an unreadable document is a DeserializationError for reads; delete still removes it', async () => {
      const s = make();
      const collection = fresh();
      await p.raw.doc(`${collection}/bad`).set({ version: 1, value: 'not json' });
      await p.raw.doc(`${collection}/novalue`).set({ version: 1 });
      await expect(s.get('bad', { collection })).rejects.toBeInstanceOf(DeserializationError);
      await expect(s.take('bad', { collection })).rejects.toBeInstanceOf(DeserializationError);
      expect((await p.raw.doc(`${collection}/bad`).get()).exists).toBe(true);
      await expect(s.get('novalue', { collection })).rejects.toBeInstanceOf(DeserializationError);
      // In getMany an unreadable document fails only its own position.
      await s.putMany(
        [
          ['good-1', { n: 1 }],
          ['good-2', { n: 2 }],
        ],
        { collection },
      );
      expect(await s.getMany(['good-1', 'novalue', 'bad', 'good-2'], { collection })).toEqual([
        { n: 1 },
        undefined,
        undefined,
        { n: 2 },
      ]);
      await s.deleteMany(['good-1', 'good-2'], { collection });
      expect(await s.delete('bad', { collection })).toBe(true);
      expect(await s.deleteMany(['novalue', 'missing'], { collection })).toBe(1);
      expect((await p.raw.collection(collection).get()).empty).toBe(true);
    });

    test('dates written as Firestore Timestamps by another tool are read too', async () => {
      const { Timestamp } = await import('@google-cloud/firestore');
      const s = make();
      const collection = fresh();
      const expires = Date.now() + 120_000;
      await p.raw.doc(`${collection}/k`).set({
        version: 1,
        value: { as: 'map' },
        created_at: Timestamp.now(),
        expires_at: Timestamp.fromMillis(expires),
      });
      const { value, ttl } = await s.ttl('k', { collection });
      expect(value).toEqual({ as: 'map' });
      expect(ttl).toBeGreaterThan(100);
    });
  });

  describe('names Firestore cannot hold as ids', () => {
    test('the encoding is reversible, leaves plain names alone and marks every encoded one', () => {
      const plain = ['client-1', 'mcp_9272', 'a::b', '%2F', 'Grüße', '_x_', '__a__b', 'x'.repeat(1500)];
      for (const name of plain) expect(encodeFirestoreId(name)).toBe(name);
      const cases: Array<[string, string]> = [
        ['https://app.example/cb', '~ehttps:%2F%2Fapp.example%2Fcb'],
        ['.', '~e.'],
        ['..', '~e..'],
        ['__reserved__', '~e__reserved__'],
        ['~tilde', '~e~tilde'],
        ['a%2Fb/c', '~ea%252Fb%2Fc'],
      ];
      for (const [name, id] of cases) {
        expect(encodeFirestoreId(name)).toBe(id);
        expect(decodeFirestoreId(id)).toBe(name);
      }
      const long = '/'.repeat(600);
      expect(encodeFirestoreId(long)).toMatch(/^~h[0-9a-f]{64}$/);
      expect(decodeFirestoreId(encodeFirestoreId(long))).toBeUndefined();
      expect(encodeFirestoreId('é'.repeat(751))).toMatch(/^~h/);
    });

    test('encoded keys land on their documents and keys() returns the original names', async () => {
      const s = make();
      const collection = fresh();
      const long = `${'é'.repeat(800)}/tail`;
      const keys = ['https://app.example/client.json', '..', '__x__', '~t', long, 'plain'];
      await s.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection },
      );
      const ids = (await p.raw.collection(collection).listDocuments()).map((d) => d.id).sort();
      expect(ids).toEqual(keys.map(encodeFirestoreId).sort());
      const hashed = (await p.raw.doc(`${collection}/${encodeFirestoreId(long)}`).get()).data();
      expect(hashed?.key).toBe(long);
      expect((await s.keys(collection)).keys.sort()).toEqual([...keys].sort());
      expect(await s.getMany(keys, { collection })).toEqual(keys.map((_, i) => ({ i })));
    });

    test('over-long collection names are hashed and still listed by collections()', async () => {
      const s = make();
      const collection = `${fresh()}-${'c'.repeat(1600)}`;
      await s.put('k', { a: 1 }, { collection });
      expect(await s.get('k', { collection })).toEqual({ a: 1 });
      expect(await s.collections()).toContain(collection);
      expect(await s.destroyCollection(collection)).toBe(true);
      expect(await s.collections()).not.toContain(collection);
    });
  });

  describe('rootPath', () => {
    test('keeps every collection under one document; collections() and cull() look only there', async () => {
      let now = Date.now();
      const s = make({ rootPath: 'apps/one', clock: () => now });
      const outside = fresh('outside');
      await p.raw
        .doc(`${outside}/k`)
        .set({ version: 1, value: '{}', expires_at: '2000-01-01T00:00:00+00:00' });
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection, ttl: 10 });
      expect((await p.raw.doc(`apps/one/${collection}/k`).get()).exists).toBe(true);
      expect((await p.raw.doc(`${collection}/k`).get()).exists).toBe(false);
      const listed = await s.collections();
      expect(listed).toContain(collection);
      expect(listed).not.toContain(outside);
      now += 11_000;
      expect(await s.cull()).toBe(1);
      expect((await p.raw.doc(`${outside}/k`).get()).exists).toBe(true);
    });

    test('bad options are a StoreSetupError; a foreign keys() cursor is a ValidationError', async () => {
      const bad: unknown[] = [
        { maxAttempts: 0 },
        { maxAttempts: 1.5 },
        { operationTimeoutMs: Number.NaN },
        { operationTimeoutMs: -1 },
        { operationTimeoutMs: 2 ** 31 }, // beyond what a timer can wait
        { projectId: '' },
        { databaseId: 7 },
        { settings: 'project' },
        { firestore: {} },
        { ttlField: 5 },
      ];
      for (const options of bad) {
        expect(
          () => new FirestoreStore({ projectId, ...(options as FirestoreStoreOptions) }),
          JSON.stringify(options),
        ).toThrow(StoreSetupError);
      }
      expect(() => new FirestoreStore('p' as unknown as FirestoreStoreOptions)).toThrow(StoreSetupError);
      const s = make();
      await expect(s.keys('c', { cursor: 'a/b' })).rejects.toBeInstanceOf(ValidationError);
    });

    test('settings the Firestore client refuses are a StoreSetupError on first use', async () => {
      const s = new FirestoreStore({ settings: { projectId: 5 as unknown as string } });
      stores.push(s);
      const err = await s.get('k').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      expect((err as StoreSetupError).retryable).toBe(false);
      expect((err as Error).cause).toBeInstanceOf(Error);
    });

    test('an invalid rootPath or ttlField is a StoreSetupError', () => {
      for (const rootPath of ['apps', 'apps/one/x', '/apps/one', 'apps//x/y', 'a/..', 'a/__b__', '__a__/b']) {
        expect(() => new FirestoreStore({ projectId, rootPath })).toThrow(StoreSetupError);
      }
      for (const ttlField of ['expires_at', 'value', 'a.b', '', 'x y']) {
        expect(() => new FirestoreStore({ projectId, ttlField })).toThrow(StoreSetupError);
      }
    });
  });

  describe('ttlField', () => {
    test('a Timestamp at the expiry is written next to expires_at, and only for entries with a TTL', async () => {
      const s = make({ ttlField: 'expire_at' });
      const collection = fresh();
      await s.put('ttl', { a: 1 }, { collection, ttl: 300 });
      await s.put('forever', { a: 2 }, { collection });
      const doc = (await p.raw.doc(`${collection}/ttl`).get()).data() as Record<string, unknown>;
      const ts = doc.expire_at as { toMillis(): number };
      expect(ts.toMillis()).toBe(parseIsoDate(doc.expires_at as string));
      const forever = (await p.raw.doc(`${collection}/forever`).get()).data() as Record<string, unknown>;
      expect(forever.expire_at).toBeUndefined();
      await s.putMany([['m', { a: 3 }]], { collection, ttl: 60 });
      expect((await p.raw.doc(`${collection}/m`).get()).get('expire_at')).toBeDefined();
    });
  });

  describe('exactly-once with conditional writes (no transactions)', () => {
    const race = <T>(
      n: number,
      a: FirestoreStore,
      b: FirestoreStore,
      fn: (s: FirestoreStore, i: number) => Promise<T>,
    ) => Promise.all(Array.from({ length: n }, (_, i) => fn(i % 2 === 0 ? a : b, i)));

    test('putIfAbsent over an expired document: one of 50 callers replaces it, with only its own fields', async () => {
      const [a, b] = [make({ ttlField: 'ttl_at' }), make({ ttlField: 'ttl_at' })];
      const collection = fresh();
      await p.raw.doc(`${collection}/k`).set({
        version: 1,
        value: '{"old":true}',
        created_at: '2000-01-01T00:00:00+00:00',
        expires_at: '2000-01-01T00:05:00+00:00',
        ttl_at: new Date(0),
        stray: 'written by another tool',
      });
      const results = await race(50, a, b, (s, i) => s.putIfAbsent('k', { writer: i }, { collection }));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      const doc = (await p.raw.doc(`${collection}/k`).get()).data() as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual(['created_at', 'value', 'version']);
      expect(JSON.parse(doc.value as string)).toEqual({ writer: winners[0] });
    });

    test('delete returns true for exactly one of 50 concurrent callers', async () => {
      const [a, b] = [make(), make()];
      const collection = fresh();
      await a.put('k', { v: 1 }, { collection, ttl: 300 });
      const results = await race(50, a, b, (s) => s.delete('k', { collection }));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await p.raw.doc(`${collection}/k`).get()).exists).toBe(false);
    });

    test('deleteMany racing deleteMany and take counts every entry exactly once', async () => {
      const [a, b] = [make(), make()];
      const collection = fresh();
      const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
      await a.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection, ttl: 300 },
      );
      const [many1, many2, taken] = await Promise.all([
        a.deleteMany(keys, { collection }),
        b.deleteMany([...keys].reverse(), { collection }),
        Promise.all(keys.map((k, i) => (i % 2 === 0 ? b : a).take(k, { collection }))),
      ]);
      const takes = taken.filter((v) => v !== undefined).length;
      expect(many1 + many2 + takes).toBe(keys.length);
      expect((await p.raw.collection(collection).limit(1).get()).empty).toBe(true);
    });

    test('deleteMany deletes an entry rewritten after its read, and counts it once', async () => {
      const s = make();
      const collection = fresh();
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      await s.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection },
      );
      // Concurrent rewrites make the batch's preconditions fail; the per-key path still deletes all.
      const [count] = await Promise.all([
        s.deleteMany(keys, { collection }),
        ...keys.map((k) => p.raw.doc(`${collection}/${k}`).update({ value: '{"rewritten":true}' })),
      ]);
      expect(count).toBe(keys.length);
      expect((await p.raw.collection(collection).limit(1).get()).empty).toBe(true);
    });

    test('a caller that runs out of attempts gets a StoreConnectionError, never a precondition error', async () => {
      const [a, b] = [make({ maxAttempts: 1 }), make({ maxAttempts: 1 })];
      const collection = fresh();
      await a.put('k', { v: 1 }, { collection, ttl: 300 });
      const settled = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take('k', { collection })),
      );
      const won = settled.filter((r) => r.status === 'fulfilled' && r.value !== undefined);
      expect(won).toHaveLength(1);
      for (const r of settled) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(StoreConnectionError);
          expect((r.reason as StoreConnectionError).code).toBe('STORE_CONNECTION');
          expect((r.reason as Error).message).toMatch(/kept changing/);
        }
      }
    });
  });

  describe('increment', () => {
    test('an increment rewrites only value: created_at, expires_at, the TTL field and stray fields stay', async () => {
      const s = make({ ttlField: 'ttl_at' });
      const collection = fresh();
      expect(await s.increment('n', 2, { collection, ttl: 300 })).toBe(2);
      await p.raw.doc(`${collection}/n`).update({ stray: 'written by another tool' });
      const before = (await p.raw.doc(`${collection}/n`).get()).data() as Record<string, unknown>;
      expect(before.expires_at).toMatch(ISO_UTC);
      expect(await s.increment('n', 5, { collection, ttl: 10 })).toBe(7);
      const after = (await p.raw.doc(`${collection}/n`).get()).data() as Record<string, unknown>;
      expect(after).toEqual({ ...before, value: '{"count":7}' });
    });

    test('50 concurrent increments over an expired document with stray fields: 1..50, a fresh document', async () => {
      const [a, b] = [make({ ttlField: 'ttl_at' }), make({ ttlField: 'ttl_at' })];
      const collection = fresh();
      await p.raw.doc(`${collection}/n`).set({
        version: 1,
        value: '{"count":1000}',
        created_at: '2000-01-01T00:00:00+00:00',
        expires_at: '2000-01-01T00:05:00+00:00',
        ttl_at: new Date(0),
        stray: 'written by another tool',
      });
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? a : b).increment('n', 1, { collection, ttl: 300 }),
        ),
      );
      expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const doc = (await p.raw.doc(`${collection}/n`).get()).data() as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual(['created_at', 'expires_at', 'ttl_at', 'value', 'version']);
      expect(doc.value).toBe('{"count":50}');
    });

    test('increment is bounded by operationTimeoutMs, not maxAttempts: 30 callers with maxAttempts 1 all count', async () => {
      const [a, b] = [make({ maxAttempts: 1 }), make({ maxAttempts: 1 })];
      const collection = fresh();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).increment('n', 1, { collection })),
      );
      expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    });

    test('an unreadable document is refused and kept', async () => {
      const s = make();
      const collection = fresh();
      await p.raw.doc(`${collection}/n`).set({ version: 1, value: 'not json', created_at: 'x' });
      await expect(s.increment('n', 1, { collection })).rejects.toBeInstanceOf(DeserializationError);
      expect((await p.raw.doc(`${collection}/n`).get()).get('value')).toBe('not json');
    });
  });

  describe('bulk operations beyond one batch', () => {
    test('putMany, getMany and deleteMany over 1,201 entries (three batches)', async () => {
      const s = make();
      const collection = fresh();
      const keys = Array.from({ length: 1201 }, (_, i) => `k${i}`);
      await s.putMany(
        keys.map((k, i) => [k, { i }] as const),
        { collection, ttl: 600 },
      );
      const got = await s.getMany(keys, { collection });
      expect(got.every((v, i) => v?.i === i)).toBe(true);
      expect(await s.deleteMany([...keys, 'missing'], { collection })).toBe(1201);
      expect((await p.raw.collection(collection).limit(1).get()).empty).toBe(true);
    }, 60_000);

    test('cull deletes only expired documents, across collections, in batches', async () => {
      let now = Date.now();
      const s = make({ rootPath: `cull/${fresh()}`, clock: () => now });
      const one = fresh();
      const two = fresh();
      await s.putMany(
        Array.from({ length: 520 }, (_, i) => [`e${i}`, { i }] as const),
        { collection: one, ttl: 5 },
      );
      await s.put('e', { x: 1 }, { collection: two, ttl: 5 });
      await s.put('keep', { x: 2 }, { collection: two, ttl: 600 });
      await s.put('forever', { x: 3 }, { collection: one });
      now += 6_000;
      expect(await s.cull()).toBe(521);
      expect(await s.cull()).toBe(0);
      expect((await s.keys(one)).keys).toEqual(['forever']);
      expect((await s.keys(two)).keys).toEqual(['keep']);
    }, 60_000);
  });

  describe('limits and failures', () => {
    test('a value over the 1 MiB document limit is a ValueTooLargeError and nothing is written', async () => {
      const s = make();
      const collection = fresh();
      const err = await s
        .put('big', { blob: 'x'.repeat(1_100_000) }, { collection })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValueTooLargeError);
      expect((err as ValueTooLargeError).limit).toBeLessThan(1_048_576);
      await expect(
        s.putMany(
          [
            ['small', { a: 1 }],
            ['big', { blob: 'x'.repeat(1_100_000) }],
          ],
          { collection },
        ),
      ).rejects.toBeInstanceOf(ValueTooLargeError);
      expect(await s.getMany(['small', 'big'], { collection })).toEqual([undefined, undefined]);
    });

    test('an unreachable server is a StoreConnectionError within operationTimeoutMs', async () => {
      const { Firestore } = await import('@google-cloud/firestore');
      // The client reads the emulator address when it is constructed.
      const saved = process.env.FIRESTORE_EMULATOR_HOST;
      process.env.FIRESTORE_EMULATOR_HOST = '127.0.0.1:1';
      const firestore = new Firestore({ projectId });
      process.env.FIRESTORE_EMULATOR_HOST = saved;
      // Not terminated: the Firestore client keeps retrying in the background and rejects its own
      // internal promises once terminated; the worker's exit ends it.
      const s = new FirestoreStore({ firestore, operationTimeoutMs: 1500 });
      const err = await s.get('secret-code', { collection: 'c' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreConnectionError);
      expect((err as Error).message).not.toContain('secret-code');
      await expect(s.put('k', { secret: 'v' }, { collection: 'c' })).rejects.toBeInstanceOf(
        StoreConnectionError,
      );
      await expect(s.take('k', { collection: 'c' })).rejects.toBeInstanceOf(StoreConnectionError);
      await s.close();
    }, 30_000);

    test('error policy: transient gRPC statuses are retryable, everything else is permanent', async () => {
      // Real errors from the emulator, as the client reports them (a GoogleError with a numeric code).
      const tooBig = await p.raw
        .doc(`${fresh()}/big`)
        .set({ x: 'y'.repeat(1_600_000) })
        .catch((e: unknown) => e);
      expect((tooBig as { code?: number }).code).toBe(3); // INVALID_ARGUMENT
      const missing = await p.raw
        .doc(`${fresh()}/missing`)
        .update({ x: 1 })
        .catch((e: unknown) => e);
      expect((missing as { code?: number }).code).toBe(5); // NOT_FOUND
      for (const [err, type] of [
        [tooBig, StoreOperationError],
        [missing, StoreSetupError], // outside our own conditional writes: no such database
      ] as const) {
        const mapped = firestoreError('set', err);
        expect(mapped).toBeInstanceOf(type);
        expect(mapped.retryable).toBe(false);
        expect(mapped.cause).toBe(err);
        expect(mapped.message).not.toContain('big'); // never the document path (keys may be secrets)
      }
      // Every status code (the emulator cannot be made to return most of them).
      const status = (code: number) =>
        Object.assign(new Error(`${code} STATUS: projects/p/documents/c/secret-key`), { code });
      const expected: Record<number, [new (...a: never[]) => OAuthKVError, boolean]> = {
        1: [StoreConnectionError, true], // CANCELLED
        2: [StoreOperationError, false], // UNKNOWN: unknown is never retried
        3: [StoreOperationError, false], // INVALID_ARGUMENT
        4: [StoreTimeoutError, true], // DEADLINE_EXCEEDED
        5: [StoreSetupError, false], // NOT_FOUND (no such database)
        6: [StoreOperationError, false], // ALREADY_EXISTS
        7: [StoreSetupError, false], // PERMISSION_DENIED
        8: [StoreConnectionError, true], // RESOURCE_EXHAUSTED (quota, rate limits)
        9: [StoreOperationError, false], // FAILED_PRECONDITION (e.g. a missing index)
        10: [StoreConnectionError, true], // ABORTED (contention)
        11: [StoreOperationError, false], // OUT_OF_RANGE
        12: [StoreOperationError, false], // UNIMPLEMENTED
        13: [StoreConnectionError, true], // INTERNAL
        14: [StoreConnectionError, true], // UNAVAILABLE
        15: [StoreOperationError, false], // DATA_LOSS
        16: [StoreSetupError, false], // UNAUTHENTICATED
        409: [StoreConnectionError, true], // ABORTED over REST
      };
      for (const [code, [type, retryable]] of Object.entries(expected)) {
        const mapped = firestoreError('get', status(Number(code)));
        expect(mapped, `code ${code}`).toBeInstanceOf(type);
        expect(mapped.retryable, `code ${code}`).toBe(retryable);
        expect(mapped.message).not.toContain('secret-key');
      }
      // A client error without a status (argument validation, a bug) is permanent too.
      const plain = firestoreError('get', new TypeError('Value for argument "documentPath" is not valid'));
      expect(plain).toBeInstanceOf(StoreOperationError);
      expect(plain.retryable).toBe(false);
    });

    test('close() leaves a client passed in open and refuses further calls', async () => {
      const firestore: Firestore = p.client();
      const s = new FirestoreStore({ firestore });
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      await s.close();
      await expect(s.get('k', { collection })).rejects.toBeInstanceOf(StoreClosedError);
      expect((await firestore.doc(`${collection}/k`).get()).exists).toBe(true);
    });

    test('close() terminates a client the store created', async () => {
      const s = new FirestoreStore({ projectId });
      await s.put('k', { a: 1 }, { collection: fresh() });
      await s.close();
      await s.close();
      await expect(s.get('k')).rejects.toBeInstanceOf(StoreClosedError);
    });
  });
});
