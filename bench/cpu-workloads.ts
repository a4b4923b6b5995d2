/**
 * The CPU-bound workloads measured both by instruction count (bench/callgrind.ts, under
 * `valgrind --tool=callgrind`) and by time (bench/core.bench.ts, paired): Fernet against the
 * `fernet` npm package, validating a typical OAuth token document, MemoryStore get/put and their
 * bulk forms, the encryption wrapper, and the py-key-value document path of the Redis store
 * (serialize on putMany, parse and check on getMany) against the plain way of doing the same.
 *
 * Every value is fixed (no random bytes), so two runs execute the same code on the same data.
 * `setup()` returns one operation; it may return a promise.
 */
import { BaseStore, type BatchTiming, type RemovedEntry } from '../src/base-store.js';
import type { JsonObject, StoreCapabilities } from '../src/contract.js';
import { Fernet } from '../src/crypto/fernet.js';
import { documentToEntry, entryToDocumentJson, type PreparedEntry, type StoredEntry } from '../src/entry.js';
import { MemoryStore } from '../src/stores/memory.js';
import { snapshotValue } from '../src/validation.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { fernetNpm } from '../test/helpers/fernet-npm.js';
import { oneKbValue, pykvDocument, pykvStamps, pykvValue } from './lib.js';

/** A fixed Fernet key (32 bytes, base64url). */
export const WORKLOAD_KEY = 'cw_0ruEjQ4I3hcJhTMnR2Mld2Z9wODyDD8tnYwNDUDs=';

/** A typical OAuth token document (the upstream tokens an MCP proxy keeps), about 700 bytes. */
export function tokenDocument(i = 0): JsonObject {
  return {
    access_token: `ya29.a0AfB_byC${'x'.repeat(120)}${i}`,
    refresh_token: `1//0gLq${'r'.repeat(90)}`,
    id_token: `eyJhbGciOiJSUzI1NiJ9.${'i'.repeat(200)}.sig`,
    token_type: 'Bearer',
    expires_in: 3599,
    expires_at: 1_795_347_000,
    scope: 'openid profile email offline_access https://www.googleapis.com/auth/drive.readonly',
    client_id: 'https://app.example/client.json',
    resource: ['https://mcp.example/mcp'],
    claims: { sub: '110169484474386276334', email_verified: true, iat: 1_795_343_400 },
  };
}

const KEYS = Array.from({ length: 100 }, (_, i) => `token-${i}`);
const COLLECTION = 'mcp-upstream-tokens';

/**
 * The Redis store's document path without Redis: documents are py-key-value JSON text in a Map,
 * written with `entryToDocumentJson` and read with `documentToEntry`, exactly as RedisStore does.
 */
export class DocumentMapStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: false,
    collections: false,
    destroyCollection: false,
    cull: false,
    atomic: true,
  };
  readonly docs = new Map<string, string>();

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const doc = this.docs.get(`${collection}::${key}`);
    return doc === undefined ? undefined : documentToEntry(doc);
  }
  protected override async readEntries(collection: string, keys: readonly string[]) {
    return keys.map((key) => {
      const doc = this.docs.get(`${collection}::${key}`);
      return doc === undefined ? undefined : documentToEntry(doc);
    });
  }
  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    this.docs.set(`${collection}::${key}`, entryToDocumentJson(entry, { key, collection }));
  }
  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    for (const [key, entry] of entries) {
      this.docs.set(`${collection}::${key}`, entryToDocumentJson(entry, { key, collection }));
    }
  }
  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const doc = this.docs.get(`${collection}::${key}`);
    this.docs.delete(`${collection}::${key}`);
    return doc === undefined ? undefined : { expiresAt: documentToEntry(doc).expiresAt };
  }
  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const doc = this.docs.get(`${collection}::${key}`);
    this.docs.delete(`${collection}::${key}`);
    return doc === undefined ? undefined : documentToEntry(doc);
  }
  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    if (this.docs.has(`${collection}::${key}`)) return false;
    await this.writeEntry(collection, key, entry);
    return true;
  }
}

/** The plain way (what the raw-driver floors of bench/redis.bench.ts do): stringify / parse + one date check. */
const rawDocs = new Map<string, string>();
function rawPutMany(entries: ReadonlyArray<readonly [string, JsonObject]>, ttl: number): void {
  const stamps = pykvStamps(Date.now(), ttl * 1000);
  for (const [key, value] of entries) {
    rawDocs.set(`${COLLECTION}::${key}`, pykvDocument(COLLECTION, key, value, stamps));
  }
}
function rawGetMany(keys: readonly string[]): unknown[] {
  const now = Date.now();
  return keys.map((key) => {
    const text = rawDocs.get(`${COLLECTION}::${key}`);
    return text === undefined ? undefined : pykvValue(text, now);
  });
}

/** One CPU-bound operation to measure. */
export interface Workload {
  description: string;
  setup(): Promise<() => unknown>;
  /** Operations under callgrind: `warmup` uncounted, then segments of `n` (default 2000 and 300). */
  callgrind?: { warmup: number; n: number };
}

export const WORKLOADS: Record<string, Workload> = {
  'fernet-ours': {
    callgrind: { warmup: 1000, n: 200 },
    description: 'oauth-kv Fernet encrypt + decrypt of a 1 KB text',
    async setup() {
      const f = new Fernet(WORKLOAD_KEY);
      const text = JSON.stringify(oneKbValue());
      return () => f.decryptText(f.encrypt(text));
    },
  },
  'fernet-npm': {
    description: '`fernet` npm package encrypt + decrypt of the same 1 KB text',
    callgrind: { warmup: 100, n: 20 },
    async setup() {
      const secret = new fernetNpm.Secret(WORKLOAD_KEY);
      const text = JSON.stringify(oneKbValue());
      return () => {
        const token = new fernetNpm.Token({ secret, ttl: 0 }).encode(text);
        return new fernetNpm.Token({ secret, ttl: 0, token }).decode();
      };
    },
  },
  'validate-token': {
    description: 'validate + copy + serialize one OAuth token document (snapshotValue, what every put does)',
    async setup() {
      const doc = tokenDocument();
      return () => snapshotValue(doc);
    },
  },
  'json-stringify-token': {
    description: 'floor for validate-token: JSON.stringify of the same document',
    async setup() {
      const doc = tokenDocument();
      return () => JSON.stringify(doc);
    },
  },
  'memory-get': {
    description: 'MemoryStore.get of one token document',
    async setup() {
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      await store.put('token-0', tokenDocument(), { collection: COLLECTION, ttl: 3600 });
      return () => store.get('token-0', { collection: COLLECTION });
    },
  },
  'memory-put': {
    description: 'MemoryStore.put of one token document with a TTL',
    async setup() {
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      const doc = tokenDocument();
      return () => store.put('token-0', doc, { collection: COLLECTION, ttl: 3600 });
    },
  },
  'memory-getMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'MemoryStore.getMany of 100 token documents',
    async setup() {
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      await store.putMany(
        KEYS.map((k, i) => [k, tokenDocument(i)]),
        { collection: COLLECTION, ttl: 3600 },
      );
      return () => store.getMany(KEYS, { collection: COLLECTION });
    },
  },
  'memory-putMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'MemoryStore.putMany of 100 token documents with a TTL',
    async setup() {
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      const entries = KEYS.map((k, i) => [k, tokenDocument(i)] as const);
      return () => store.putMany(entries, { collection: COLLECTION, ttl: 3600 });
    },
  },
  'doc-getMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'getMany(100) through BaseStore over py-key-value documents (RedisStore without Redis)',
    async setup() {
      const store = new DocumentMapStore();
      await store.putMany(
        KEYS.map((k, i) => [k, tokenDocument(i)]),
        { collection: COLLECTION, ttl: 3600 },
      );
      return () => store.getMany(KEYS, { collection: COLLECTION });
    },
  },
  'doc-putMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'putMany(100) through BaseStore to py-key-value documents (RedisStore without Redis)',
    async setup() {
      const store = new DocumentMapStore();
      const entries = KEYS.map((k, i) => [k, tokenDocument(i)] as const);
      return () => store.putMany(entries, { collection: COLLECTION, ttl: 3600 });
    },
  },
  'raw-getMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'floor for doc-getMany100: JSON.parse + one Date.parse per document',
    async setup() {
      rawPutMany(
        KEYS.map((k, i) => [k, tokenDocument(i)]),
        3600,
      );
      return () => rawGetMany(KEYS);
    },
  },
  'raw-putMany100': {
    callgrind: { warmup: 200, n: 30 },
    description: 'floor for doc-putMany100: JSON.stringify of each document',
    async setup() {
      const entries = KEYS.map((k, i) => [k, tokenDocument(i)] as const);
      return () => rawPutMany(entries, 3600);
    },
  },
  'wrapper-putget': {
    callgrind: { warmup: 1000, n: 200 },
    description: 'EncryptionWrapper put + get of the 1 KB value over MemoryStore',
    async setup() {
      const store = withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: [WORKLOAD_KEY] });
      const value = oneKbValue();
      return async () => {
        await store.put('client', value, { collection: 'bench' });
        return store.get('client', { collection: 'bench' });
      };
    },
  },
};

/** A ratio reported from the workloads: count(a) / (count(b) * bTimes). */
export interface WorkloadRatio {
  label: string;
  a: string;
  b: string;
  /** How many operations of `b` one of `a` is compared with (default 1). */
  bTimes?: number;
  target?: string;
}

export const WORKLOAD_RATIOS: readonly WorkloadRatio[] = [
  { label: 'fernet npm / oauth-kv Fernet', a: 'fernet-npm', b: 'fernet-ours', target: '>= 10' },
  { label: 'validate token / JSON.stringify', a: 'validate-token', b: 'json-stringify-token' },
  { label: 'wrapper put+get / bare Fernet', a: 'wrapper-putget', b: 'fernet-ours', target: '<= 3' },
  { label: 'getMany(100) documents / raw parse', a: 'doc-getMany100', b: 'raw-getMany100' },
  {
    label: 'putMany(100) documents / raw stringify',
    a: 'doc-putMany100',
    b: 'raw-putMany100',
  },
  { label: 'MemoryStore getMany(100) / 100 gets', a: 'memory-getMany100', b: 'memory-get', bTimes: 100 },
  { label: 'MemoryStore putMany(100) / 100 puts', a: 'memory-putMany100', b: 'memory-put', bTimes: 100 },
];
