/**
 * A Google Cloud Firestore store on `@google-cloud/firestore`, in the same document layout as
 * Python's py-key-value, so a TypeScript server and a Python (FastMCP) server can share one
 * database.
 *
 * @example
 * ```ts
 * import { FirestoreStore } from 'oauth-kv/firestore';
 *
 * const store = new FirestoreStore({ projectId: 'my-project', rootPath: 'oauth/state' });
 * await store.put('code-1', { client_id: 'c1' }, { collection: 'codes', ttl: 300 });
 * await store.take('code-1', { collection: 'codes' }); // exactly one caller gets it
 * await store.close();
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import type {
  CollectionReference,
  DocumentData,
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  Precondition,
  Settings,
} from '@google-cloud/firestore';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { KeysPage, StoreCapabilities } from '../../contract.js';
import {
  documentToEntry,
  formatIsoDate,
  type PreparedEntry,
  parseIsoDate,
  type StoredEntry,
} from '../../entry.js';
import {
  DeserializationError,
  OAuthKVError,
  StoreConnectionError,
  StoreSetupError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../../errors.js';

type FirestoreModule = typeof import('@google-cloud/firestore');

/**
 * Options of {@link FirestoreStore}. Give a `firestore` client you own, or `settings` (and/or the
 * `projectId` / `databaseId` shorthands) for a client the store creates and terminates on `close()`.
 *
 * @example
 * ```ts
 * const store = new FirestoreStore({
 *   projectId: 'my-project',
 *   databaseId: '(default)',
 *   rootPath: 'services/mcp-server', // every collection lives under this document
 *   ttlField: 'expires_at_ts', // enable Firestore's TTL policy on this field
 * });
 * ```
 */
export interface FirestoreStoreOptions extends BaseStoreOptions {
  /** A client the caller owns; `close()` never terminates it. */
  firestore?: Firestore | undefined;
  /**
   * Settings of a client the store creates on first use and terminates on `close()`
   * (`projectId`, `databaseId`, `keyFilename`, `credentials`, `preferRest`, ...). With
   * `FIRESTORE_EMULATOR_HOST` set, the client talks to the emulator.
   */
  settings?: Settings | undefined;
  /** Shorthand for `settings.projectId`. */
  projectId?: string | undefined;
  /** Shorthand for `settings.databaseId` (default database: `(default)`). */
  databaseId?: string | undefined;
  /**
   * A document path (`"services/mcp"`, an even number of segments) under which every collection
   * lives as a subcollection. Default: collections at the database root, like py-key-value.
   * Use it when the database holds other data: `collections()` and `cull()` only look under it.
   */
  rootPath?: string | undefined;
  /**
   * Name of a Firestore Timestamp field written alongside `expires_at` on entries with a TTL, so a
   * Firestore TTL policy can delete expired documents natively (see docs/firestore.md for the
   * `gcloud firestore fields ttls update` command). Default: none.
   */
  ttlField?: string | undefined;
  /**
   * Most attempts of one `take` / `putIfAbsent` / `delete` (and of each key of `deleteMany`) while
   * other writers keep changing the same document, before it fails with a
   * {@link StoreConnectionError} (default 20). Each attempt is a read and one write conditioned on
   * the version read; an attempt only fails because another writer's write to that document
   * succeeded meanwhile, so a race of many callers needs at most two attempts per caller.
   */
  maxAttempts?: number | undefined;
  /**
   * Most milliseconds one operation may take before it fails with a {@link StoreTimeoutError}
   * (default 60 000). The Firestore client retries an unreachable server for a long time (or, for
   * writes, indefinitely); this bounds it. A write that timed out may still be applied later.
   */
  operationTimeoutMs?: number | undefined;
}

/** Firestore's limits: 500 writes per batch, 1,500 bytes per id, 1 MiB per document. */
const MAX_BATCH = 500;
const MAX_ID_BYTES = 1500;
const MAX_DOCUMENT_BYTES = 1_048_576;
/** Most conditional deletes of one `deleteMany` in flight at once, when its batch met a conflict. */
const DELETE_CONCURRENCY = 32;
/** An attempt's outcome when the document changed since it was read: read it again. */
const CHANGED: unique symbol = Symbol('changed');
/**
 * gRPC codes of a conditional write that lost a race: FAILED_PRECONDITION (the document is not the
 * version read), ALREADY_EXISTS (`create` of an existing document), NOT_FOUND (it is gone).
 */
const CONFLICT_CODES = new Set([5, 6, 9]);
/** Fields of the py-key-value document; `ttlField` may not reuse them. */
const RESERVED_FIELDS = new Set(['version', 'value', 'created_at', 'expires_at', 'key', 'collection']);
const RESERVED_ID = /^__.*__$/s;
/** Prefix of every encoded name: `~e` + escaped name, or `~h` + SHA-256 of an over-long name. */
const ESCAPED = '~e';
const HASHED = '~h';

interface EncodedName {
  /** The Firestore id. */
  id: string;
  /** `true` when the id is a hash: the original name is stored in the document. */
  hashed: boolean;
}

/**
 * Encodes a collection or key as a Firestore id. Names Firestore accepts as ids stay identical
 * (so Python sees the same document); names it refuses — containing `/`, exactly `.` or `..`,
 * matching `__.*__`, over 1,500 UTF-8 bytes — and names that start with `~` (so that no plain name
 * looks like an encoded one) are encoded: `~e` followed by the name with `%` → `%25` and `/` → `%2F`;
 * if that is still over 1,500 bytes, `~h` followed by the hex SHA-256 of the name, and the
 * original name is kept in the document's `key` / `collection` field. The mapping is injective.
 *
 * @example
 * ```ts
 * import { encodeFirestoreId } from 'oauth-kv/firestore';
 * encodeFirestoreId('client-1'); // "client-1"
 * encodeFirestoreId('https://app.example/cb'); // "~ehttps:%2F%2Fapp.example%2Fcb"
 * encodeFirestoreId('..'); // "~e.."
 * ```
 */
export function encodeFirestoreId(name: string): string {
  return encodeName(name).id;
}

/**
 * Reverses {@link encodeFirestoreId} for plain and `~e` ids; returns `undefined` for a `~h` id,
 * whose original name is only in the document.
 *
 * @example
 * ```ts
 * import { decodeFirestoreId } from 'oauth-kv/firestore';
 * decodeFirestoreId('~ehttps:%2F%2Fapp.example%2Fcb'); // "https://app.example/cb"
 * ```
 */
export function decodeFirestoreId(id: string): string | undefined {
  if (id.startsWith(ESCAPED)) {
    return id.slice(ESCAPED.length).replace(/%(25|2F)/g, (_m, hex: string) => (hex === '25' ? '%' : '/'));
  }
  if (id.startsWith(HASHED)) return undefined;
  return id;
}

function encodeName(name: string): EncodedName {
  const plain =
    !name.includes('/') &&
    name !== '.' &&
    name !== '..' &&
    !RESERVED_ID.test(name) &&
    !name.startsWith('~') &&
    Buffer.byteLength(name) <= MAX_ID_BYTES;
  if (plain) return { id: name, hashed: false };
  const escaped = `${ESCAPED}${name.replace(/%/g, '%25').replace(/\//g, '%2F')}`;
  if (Buffer.byteLength(escaped) <= MAX_ID_BYTES) return { id: escaped, hashed: false };
  return { id: `${HASHED}${createHash('sha256').update(name).digest('hex')}`, hashed: true };
}

/**
 * A durable, shared store on Cloud Firestore (or its emulator), in py-key-value's layout: the
 * document `{collection}/{key}` with the fields `version`, `value` (the value as a JSON string),
 * `created_at` and `expires_at` (ISO-8601 strings). `take`, `putIfAbsent` and `delete` are a read
 * and one write conditioned on the version read (no transactions, no locks), so they are atomic
 * across processes and instances; `getMany` is one `getAll`; `putMany` / `deleteMany` commit at
 * most 500 writes per batch. Expired documents are invisible to every read, removed by `cull()`,
 * and with `ttlField` also by Firestore's own TTL policy.
 *
 * The driver is loaded on first use. A `firestore` client passed in stays open on `close()`.
 *
 * @example
 * ```ts
 * import { Firestore } from '@google-cloud/firestore';
 * import { FirestoreStore } from 'oauth-kv/firestore';
 *
 * const firestore = new Firestore({ projectId: 'my-project' });
 * const store = new FirestoreStore({ firestore, rootPath: 'oauth/state' });
 * await store.put('client-1', { client_id: 'client-1' }, { collection: 'mcp-oauth-proxy-clients' });
 * ```
 */
export class FirestoreStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
  };

  readonly #given: Firestore | undefined;
  readonly #settings: Settings;
  readonly #rootPath: string | undefined;
  readonly #ttlField: string | undefined;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  #client: Promise<{ db: Firestore; mod: FirestoreModule }> | undefined;

  constructor(options: FirestoreStoreOptions = {}) {
    super(options);
    this.#given = options.firestore;
    this.#settings = { ...options.settings };
    if (options.projectId !== undefined) this.#settings.projectId = options.projectId;
    if (options.databaseId !== undefined) this.#settings.databaseId = options.databaseId;
    if (options.rootPath !== undefined) {
      const segments = options.rootPath.split('/');
      if (segments.length % 2 !== 0 || segments.some((s) => s === '' || s === '.' || s === '..')) {
        throw new StoreSetupError(
          'rootPath must be a document path with an even number of non-empty segments, e.g. "services/mcp"',
        );
      }
    }
    this.#rootPath = options.rootPath;
    const ttlField = options.ttlField;
    if (
      ttlField !== undefined &&
      (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ttlField) || RESERVED_FIELDS.has(ttlField))
    ) {
      throw new StoreSetupError(
        'ttlField must be a simple field name ([A-Za-z_][A-Za-z0-9_]*) other than the document fields version, value, created_at, expires_at, key, collection',
      );
    }
    this.#ttlField = ttlField;
    const attempts = options.maxAttempts ?? 20;
    if (!Number.isSafeInteger(attempts) || attempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${String(attempts)}`);
    }
    this.#attempts = attempts;
    const timeoutMs = options.operationTimeoutMs ?? 60_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`operationTimeoutMs must be a positive number, got ${String(timeoutMs)}`);
    }
    this.#timeoutMs = timeoutMs;
  }

  // ---- primitives ----------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const { db } = await this.#connect();
    const snapshot = await this.#call('get', () => this.#doc(db, collection, key).get());
    return readSnapshot(snapshot);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | undefined)[]> {
    const { db } = await this.#connect();
    const refs = keys.map((key) => this.#doc(db, collection, key));
    const snapshots = await this.#call('getAll', () => db.getAll(...refs));
    const byPath = new Map(snapshots.map((s) => [s.ref.path, s]));
    return refs.map((ref) => {
      const snapshot = byPath.get(ref.path);
      return snapshot === undefined ? undefined : readSnapshot(snapshot);
    });
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const { db, mod } = await this.#connect();
    const ref = this.#doc(db, collection, key);
    const data = this.#document(mod, ref, collection, key, entry);
    await this.#call('set', () => ref.set(data));
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    const { db, mod } = await this.#connect();
    const writes = entries.map(([key, entry]) => {
      const ref = this.#doc(db, collection, key);
      return [ref, this.#document(mod, ref, collection, key, entry)] as const;
    });
    await this.#call('batch set', () =>
      Promise.all(
        chunks(writes, MAX_BATCH).map((chunk) => {
          const batch = db.batch();
          for (const [ref, data] of chunk) batch.set(ref, data);
          return batch.commit();
        }),
      ),
    );
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    const { db } = await this.#connect();
    const ref = this.#doc(db, collection, key);
    return this.#call('delete', () => this.#removeDocument(ref, undefined));
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const { db } = await this.#connect();
    const refs = keys.map((key) => this.#doc(db, collection, key));
    const chunked = await this.#call('batch delete', () =>
      Promise.all(chunks(refs, MAX_BATCH).map((chunk) => this.#removeChunk(db, chunk))),
    );
    return chunked.flat();
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const { db } = await this.#connect();
    const ref = this.#doc(db, collection, key);
    return this.#call('take', () =>
      this.#contended('take', async () => {
        const snapshot = await ref.get();
        if (!snapshot.exists) return undefined;
        // An unreadable document throws here and is kept.
        const entry = readSnapshot(snapshot);
        // Exactly one caller deletes the version it read; the others see the document changed.
        const deleted = await applied(ref.delete(versionOf(snapshot)));
        return deleted ? entry : CHANGED;
      }),
    );
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const { db, mod } = await this.#connect();
    const ref = this.#doc(db, collection, key);
    const data = this.#document(mod, ref, collection, key, entry);
    return this.#call('putIfAbsent', () =>
      this.#contended('putIfAbsent', async () => {
        // create() fails atomically when the document exists.
        if (await applied(ref.create(data))) return true;
        const snapshot = await ref.get();
        if (!snapshot.exists) return CHANGED; // deleted meanwhile: create it again
        // An unreadable document throws here and is kept.
        const existing = readSnapshot(snapshot);
        if (existing !== undefined && !this.#expired(existing)) return false;
        // Replace the expired version read, in one atomic commit: the delete's precondition lets
        // exactly one caller through, and create() fails if anyone wrote the document in between.
        const replaced = await applied(
          db.batch().delete(ref, versionOf(snapshot)).create(ref, data).commit(),
        );
        return replaced ? true : CHANGED;
      }),
    );
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    if (cursor !== undefined && (cursor === '' || cursor.includes('/'))) {
      throw new TypeError('keys() cursor must be the string a previous page returned');
    }
    const { db, mod } = await this.#connect();
    let query = this.#collection(db, collection)
      .orderBy(mod.FieldPath.documentId())
      .select('expires_at', 'key')
      .limit(limit);
    if (cursor !== undefined) query = query.startAfter(cursor);
    const snapshot = await this.#call('keys query', () => query.get());
    const now = this.now();
    const keys: string[] = [];
    for (const doc of snapshot.docs) {
      const expiresAt = readDate(doc.get('expires_at'));
      if (expiresAt !== undefined && expiresAt <= now) continue;
      keys.push(nameOf(doc.id, doc.get('key'), 'key'));
    }
    const last = snapshot.docs[snapshot.docs.length - 1];
    return { keys, cursor: snapshot.size === limit && last !== undefined ? last.id : undefined };
  }

  protected override async listCollections(): Promise<string[]> {
    const { db } = await this.#connect();
    const refs = await this.#call('listCollections', () =>
      this.#rootPath === undefined ? db.listCollections() : db.doc(this.#rootPath).listCollections(),
    );
    const names = await Promise.all(
      refs.map(async (ref) => {
        const decoded = decodeFirestoreId(ref.id);
        if (decoded !== undefined) return decoded;
        const first = await this.#call('collection name', () => ref.select('collection').limit(1).get());
        const stored = first.docs[0]?.get('collection');
        return typeof stored === 'string' ? stored : undefined;
      }),
    );
    return names.filter((n): n is string => n !== undefined);
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    const { db } = await this.#connect();
    const ref = this.#collection(db, collection);
    const now = this.now();
    let hadLive = false;
    // Each round deletes what it found, so the loop ends once the collection is empty.
    for (let round = 0; round < 1_000_000; round++) {
      const page = await this.#call('destroyCollection query', () =>
        ref.select('expires_at').limit(MAX_BATCH).get(),
      );
      if (page.empty) break;
      const batch = db.batch();
      for (const doc of page.docs) {
        const expiresAt = readDate(doc.get('expires_at'));
        if (expiresAt === undefined || expiresAt > now) hadLive = true;
        batch.delete(doc.ref);
      }
      await this.#call('destroyCollection batch', () => batch.commit());
      if (page.size < MAX_BATCH) break;
    }
    return hadLive;
  }

  protected override async removeExpired(): Promise<number> {
    const { db } = await this.#connect();
    const refs = await this.#call('listCollections', () =>
      this.#rootPath === undefined ? db.listCollections() : db.doc(this.#rootPath).listCollections(),
    );
    let removed = 0;
    for (const ref of refs) removed += await this.#cullCollection(db, ref);
    return removed;
  }

  protected override async closeStore(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined || this.#given !== undefined) return;
    const { db } = await client.catch(() => ({ db: undefined }));
    // terminate() waits for pending calls, which never settle while the server is unreachable.
    await this.#bounded('terminate', async () => db?.terminate()).catch(() => undefined);
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Loads the driver and creates the client once. */
  #connect(): Promise<{ db: Firestore; mod: FirestoreModule }> {
    if (this.#client === undefined) {
      this.#client = (async () => {
        let mod: FirestoreModule;
        try {
          mod = await import('@google-cloud/firestore');
        } catch (err) {
          throw new StoreSetupError(
            'FirestoreStore needs the @google-cloud/firestore package: npm install @google-cloud/firestore',
            { cause: err },
          );
        }
        return { db: this.#given ?? new mod.Firestore(this.#settings), mod };
      })();
      this.#client.catch(() => {
        this.#client = undefined;
      });
    }
    return this.#client;
  }

  #collection(db: Firestore, collection: string): CollectionReference {
    const id = encodeName(collection).id;
    return this.#rootPath === undefined ? db.collection(id) : db.doc(this.#rootPath).collection(id);
  }

  #doc(db: Firestore, collection: string, key: string): DocumentReference {
    return this.#collection(db, collection).doc(encodeName(key).id);
  }

  /** The py-key-value document of an entry, plus the names when their ids are hashes. */
  #document(
    mod: FirestoreModule,
    ref: DocumentReference,
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): DocumentData {
    const data: DocumentData = {
      version: 1,
      value: entry.json,
      created_at: formatIsoDate(entry.createdAt),
    };
    if (entry.expiresAt !== undefined) {
      data.expires_at = formatIsoDate(entry.expiresAt);
      if (this.#ttlField !== undefined) data[this.#ttlField] = mod.Timestamp.fromMillis(entry.expiresAt);
    }
    if (encodeName(key).hashed) data.key = key;
    if (encodeName(collection).hashed) data.collection = collection;
    const size = documentSize(ref.path, data);
    if (size > MAX_DOCUMENT_BYTES) {
      const valueBytes = Buffer.byteLength(entry.json);
      throw new ValueTooLargeError(valueBytes, valueBytes - (size - MAX_DOCUMENT_BYTES));
    }
    return data;
  }

  #expired(entry: StoredEntry): boolean {
    return entry.expiresAt !== undefined && entry.expiresAt <= this.now();
  }

  /**
   * Runs `attempt` until it returns something other than {@link CHANGED}, at most `maxAttempts`
   * times, with a small random pause from the second retry on. Gives up early once the operation
   * time limit has passed (the caller has already been answered with a timeout).
   */
  async #contended<T>(operation: string, attempt: () => Promise<T | typeof CHANGED>): Promise<T> {
    const started = performance.now();
    for (let n = 0; n < this.#attempts; n++) {
      if (n > 1) await sleep(Math.random() * Math.min(2 ** n, 50));
      if (performance.now() - started > this.#timeoutMs) break;
      const outcome = await attempt();
      if (outcome !== CHANGED) return outcome;
    }
    throw new StoreConnectionError(
      `Firestore ${operation} failed: the document kept changing under other writers (${this.#attempts} attempts); the operation may be retried`,
    );
  }

  /**
   * Deletes one document with a precondition on the version read (`first`, else a fresh read),
   * re-reading after a conflict; `true` when it held an unexpired (or unreadable) entry.
   */
  #removeDocument(
    ref: DocumentReference,
    first: DocumentSnapshot | undefined,
  ): Promise<RemovedEntry | undefined> {
    let given = first;
    return this.#contended('delete', async () => {
      const snapshot = given ?? (await ref.get());
      given = undefined;
      if (!snapshot.exists) return undefined;
      if (!(await applied(ref.delete(versionOf(snapshot))))) return CHANGED;
      // An unreadable document is deleted too, and counts as an entry.
      return readSnapshotLenient(snapshot) ?? { expiresAt: undefined };
    });
  }

  /**
   * Deletes up to 500 documents: one read, then one batch of deletes each conditioned on the
   * version read. If another writer changed one of them meanwhile, the batch fails whole and each
   * document is deleted on its own (conditionally, re-reading after a conflict). Counts the
   * unexpired entries this call deleted.
   */
  async #removeChunk(db: Firestore, refs: DocumentReference[]): Promise<(RemovedEntry | undefined)[]> {
    const snapshots = await db.getAll(...refs);
    const existing = snapshots.filter((snapshot) => snapshot.exists);
    if (existing.length === 0) return refs.map(() => undefined);
    const batch = db.batch();
    for (const snapshot of existing) batch.delete(snapshot.ref, versionOf(snapshot));
    if (await applied(batch.commit())) {
      // An unreadable document is deleted too, and counts as an entry.
      return snapshots.map((snapshot) =>
        snapshot.exists ? (readSnapshotLenient(snapshot) ?? { expiresAt: undefined }) : undefined,
      );
    }
    return mapLimit(snapshots, DELETE_CONCURRENCY, (snapshot) =>
      snapshot.exists ? this.#removeDocument(snapshot.ref, snapshot) : Promise.resolve(undefined),
    );
  }

  /** Deletes the expired documents of one collection, 500 per batch; how many. */
  async #cullCollection(db: Firestore, ref: CollectionReference): Promise<number> {
    const now = this.now();
    const cutoff = formatIsoDate(now);
    let removed = 0;
    let after: DocumentSnapshot | undefined;
    for (let round = 0; round < 1_000_000; round++) {
      let query = ref.where('expires_at', '<=', cutoff).orderBy('expires_at').limit(MAX_BATCH);
      if (after !== undefined) query = query.startAfter(after);
      const page = await this.#call('cull query', () => query.get());
      if (page.empty) break;
      after = page.docs[page.docs.length - 1];
      const expired = page.docs.filter((doc) => {
        const expiresAt = readDate(doc.get('expires_at'));
        return expiresAt !== undefined && expiresAt <= now;
      });
      if (expired.length > 0) {
        // The precondition keeps an entry rewritten since the query; such a batch is retried one by one.
        const batch = db.batch();
        for (const doc of expired) batch.delete(doc.ref, { lastUpdateTime: doc.updateTime });
        try {
          await batch.commit();
          removed += expired.length;
        } catch (err) {
          if (grpcCode(err) !== 9 /* FAILED_PRECONDITION */) throw this.#wrap('cull batch', err);
          const results = await Promise.allSettled(
            expired.map((doc) => doc.ref.delete({ lastUpdateTime: doc.updateTime })),
          );
          removed += results.filter((r) => r.status === 'fulfilled').length;
        }
      }
      if (page.size < MAX_BATCH) break;
    }
    return removed;
  }

  /** Runs a Firestore call and maps its failures onto the oauth-kv error hierarchy. */
  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#bounded(operation, fn);
    } catch (err) {
      throw this.#wrap(operation, err);
    }
  }

  /** Runs a Firestore call with the operation time limit. */
  async #bounded<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreTimeoutError(`Firestore ${operation} did not complete within ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  #wrap(operation: string, err: unknown): Error {
    if (err instanceof OAuthKVError) return err;
    const code = grpcCode(err);
    const what = `Firestore ${operation} failed`;
    // gRPC messages can quote document paths (keys may be secrets such as authorization codes), so
    // they are kept out of messages; the status name says what happened.
    switch (code) {
      case 4: // DEADLINE_EXCEEDED
        return new StoreTimeoutError(`${what}: DEADLINE_EXCEEDED`, { cause: err });
      case 1: // CANCELLED
      case 2: // UNKNOWN
      case 8: // RESOURCE_EXHAUSTED
      case 10: // ABORTED
      case 13: // INTERNAL
      case 14: // UNAVAILABLE
        return new StoreConnectionError(`${what}: ${STATUS_NAMES[code]}; the operation may be retried`, {
          cause: err,
        });
      case 5: // NOT_FOUND (the database does not exist)
      case 7: // PERMISSION_DENIED
      case 16: // UNAUTHENTICATED
        return new StoreSetupError(
          `${what}: ${STATUS_NAMES[code]}; check the project, database and credentials`,
          { cause: err },
        );
      case 9: // FAILED_PRECONDITION (e.g. a missing index)
        return new StoreSetupError(`${what}: FAILED_PRECONDITION (a missing index?)`, { cause: err });
      case 3: // INVALID_ARGUMENT
        return new StoreSetupError(`${what}: INVALID_ARGUMENT`);
      default:
        return new StoreConnectionError(
          `${what}: ${code === undefined ? 'client error' : `gRPC status ${code}`}`,
          {
            cause: err,
          },
        );
    }
  }
}

const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** `true` when a conditional write was applied, `false` when it lost a race; other errors throw. */
async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    const code = grpcCode(err);
    if (code !== undefined && CONFLICT_CODES.has(code)) return false;
    throw err;
  }
}

/** The precondition "still the version of this snapshot". */
function versionOf(snapshot: DocumentSnapshot): Precondition {
  const lastUpdateTime = snapshot.updateTime;
  // Firestore gives every existing document an update time; without one, exactly-once is not kept.
  if (lastUpdateTime === undefined) {
    throw new StoreConnectionError('Firestore returned a document without an update time');
  }
  return { lastUpdateTime };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Maps `items` with at most `limit` calls of `fn` in flight; results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads a document into an entry; `undefined` when it does not exist. */
function readSnapshot(snapshot: DocumentSnapshot): StoredEntry | undefined {
  if (!snapshot.exists) return undefined;
  const data = snapshot.data() as DocumentData;
  return documentToEntry({
    value: data.value,
    created_at: isoField(data.created_at),
    expires_at: isoField(data.expires_at),
  });
}

/** Like {@link readSnapshot}, but `undefined` instead of throwing for an unreadable document. */
function readSnapshotLenient(snapshot: DocumentSnapshot): StoredEntry | undefined {
  try {
    return readSnapshot(snapshot);
  } catch (err) {
    if (err instanceof DeserializationError) return undefined;
    throw err;
  }
}

/** Dates are ISO strings; a Timestamp written by another tool is accepted too. */
function isoField(raw: unknown): unknown {
  if (
    raw !== null &&
    typeof raw === 'object' &&
    typeof (raw as { toMillis?: unknown }).toMillis === 'function'
  ) {
    return formatIsoDate((raw as { toMillis(): number }).toMillis());
  }
  return raw;
}

function readDate(raw: unknown): number | undefined {
  const iso = isoField(raw);
  return typeof iso === 'string' ? parseIsoDate(iso) : undefined;
}

/** The original name of a document or collection id (a hashed id keeps it in a field). */
function nameOf(id: string, stored: unknown, what: 'key' | 'collection'): string {
  const decoded = decodeFirestoreId(id);
  if (decoded !== undefined) return decoded;
  if (typeof stored === 'string') return stored;
  throw new DeserializationError(`A document with a hashed id has no "${what}" field`);
}

/** Firestore's documented storage size of a document (name + fields + 32 bytes). */
function documentSize(path: string, data: DocumentData): number {
  let size = 16 + 32;
  for (const segment of path.split('/')) size += Buffer.byteLength(segment) + 1;
  for (const [field, value] of Object.entries(data)) {
    size += Buffer.byteLength(field) + 1;
    size += typeof value === 'string' ? Buffer.byteLength(value) + 1 : 8;
  }
  return size;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
