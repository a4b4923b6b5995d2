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
import type {
  CollectionReference,
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  Settings,
} from '@google-cloud/firestore';
import { options as check, mapLimit } from '../../backend/kit.js';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import { COUNTER_FIELD, type KeysPage, type StoreCapabilities } from '../../contract.js';
import { isExpired, type PreparedEntry, type StoredEntry } from '../../entry.js';
import { type DeserializationError, StoreSetupError, ValidationError } from '../../errors.js';
import { applied, CHANGED, type Client, FirestoreConnection } from './connection.js';
import {
  buildDocument,
  chunks,
  MAX_BATCH,
  RESERVED_FIELDS,
  readDate,
  readSnapshot,
  readSnapshotOrError,
  removedFrom,
  versionOf,
} from './documents.js';
import { cullCollection, destroyCollection, hasLiveEntry } from './maintenance.js';
import { decodeFirestoreId, encodeName, isValidId, nameOf } from './names.js';

export { decodeFirestoreId, encodeFirestoreId } from './names.js';

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

/** Most conditional deletes of one `deleteMany` in flight at once, when its batch met a conflict. */
const DELETE_CONCURRENCY = 32;
/** The longest delay a timer honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

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
    increment: true,
  };

  readonly #connection: FirestoreConnection;
  readonly #rootPath: string | undefined;
  readonly #ttlField: string | undefined;

  constructor(options: FirestoreStoreOptions = {}) {
    const opts: FirestoreStoreOptions = check.object('FirestoreStore', 'options', options);
    super(opts);
    const given = opts.firestore;
    if (given !== undefined && typeof (given as { collection?: unknown }).collection !== 'function') {
      throw new StoreSetupError('FirestoreStore option firestore must be a Firestore client');
    }
    const settings: Settings = { ...check.object('FirestoreStore', 'settings', opts.settings) };
    if (opts.projectId !== undefined) {
      settings.projectId = check.string('FirestoreStore', 'projectId', opts.projectId);
    }
    if (opts.databaseId !== undefined) {
      settings.databaseId = check.string('FirestoreStore', 'databaseId', opts.databaseId);
    }
    if (opts.rootPath !== undefined) {
      const segments = check.string('FirestoreStore', 'rootPath', opts.rootPath).split('/');
      if (segments.length % 2 !== 0 || !segments.every(isValidId)) {
        throw new StoreSetupError(
          'FirestoreStore option rootPath must be a document path: an even number of valid ids, e.g. "services/mcp"',
        );
      }
    }
    this.#rootPath = opts.rootPath;
    const ttlField = opts.ttlField;
    if (
      ttlField !== undefined &&
      (typeof ttlField !== 'string' ||
        !/^[A-Za-z_][A-Za-z0-9_]*$/.test(ttlField) ||
        RESERVED_FIELDS.has(ttlField))
    ) {
      throw new StoreSetupError(
        'FirestoreStore option ttlField must be a simple field name ([A-Za-z_][A-Za-z0-9_]*) other than the document fields version, value, created_at, expires_at, key, collection',
      );
    }
    this.#ttlField = ttlField;
    const attempts = check.integer('FirestoreStore', 'maxAttempts', opts.maxAttempts, 20);
    const timeoutMs = check.positiveNumber(
      'FirestoreStore',
      'operationTimeoutMs',
      opts.operationTimeoutMs,
      60_000,
    );
    if (timeoutMs > MAX_TIMER_MS) {
      throw new StoreSetupError(
        `FirestoreStore option operationTimeoutMs must be at most ${MAX_TIMER_MS} ms`,
      );
    }
    this.#connection = new FirestoreConnection(given, settings, attempts, timeoutMs);
  }

  // ---- primitives ----------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const { db } = await this.#connection.client();
    const snapshot = await this.#call('get', () => this.#doc(db, collection, key).get());
    return readSnapshot(snapshot);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    const { db } = await this.#connection.client();
    const refs = keys.map((key) => this.#doc(db, collection, key));
    const snapshots = await this.#call('getAll', () => db.getAll(...refs));
    const byPath = new Map(snapshots.map((s) => [s.ref.path, s]));
    return refs.map((ref) => readSnapshotOrError(byPath.get(ref.path)));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const client = await this.#connection.client();
    const ref = this.#doc(client.db, collection, key);
    const data = this.#document(client, ref, collection, key, entry);
    await this.#call('set', () => ref.set(data));
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    const client = await this.#connection.client();
    const { db } = client;
    const writes = entries.map(([key, entry]) => {
      const ref = this.#doc(db, collection, key);
      return [ref, this.#document(client, ref, collection, key, entry)] as const;
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
    const { db } = await this.#connection.client();
    const ref = this.#doc(db, collection, key);
    return this.#call('delete', () => this.#removeDocument(ref, undefined));
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const { db } = await this.#connection.client();
    const refs = keys.map((key) => this.#doc(db, collection, key));
    const chunked = await this.#call('batch delete', () =>
      Promise.all(chunks(refs, MAX_BATCH).map((chunk) => this.#removeChunk(db, chunk))),
    );
    return chunked.flat();
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const { db } = await this.#connection.client();
    const ref = this.#doc(db, collection, key);
    return this.#call('take', () =>
      this.#connection.contended('take', async () => {
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
    const client = await this.#connection.client();
    const { db } = client;
    const ref = this.#doc(db, collection, key);
    const data = this.#document(client, ref, collection, key, entry);
    return this.#call('putIfAbsent', () =>
      this.#connection.contended('putIfAbsent', async () => {
        // create() fails atomically when the document exists.
        if (await applied(ref.create(data))) return true;
        const snapshot = await ref.get();
        if (!snapshot.exists) return CHANGED; // deleted meanwhile: create it again
        // An unreadable document throws here and is kept.
        const existing = readSnapshot(snapshot);
        if (existing !== undefined && !isExpired(existing, this.now())) return false;
        // Replace the expired version read, in one atomic commit: the delete's precondition lets
        // exactly one caller through, and create() fails if anyone wrote the document in between.
        const replaced = await applied(
          db.batch().delete(ref, versionOf(snapshot)).create(ref, data).commit(),
        );
        return replaced ? true : CHANGED;
      }),
    );
  }

  /**
   * A read and one write conditioned on the version read, like `take`: add to `value.count` and
   * update only `value` (so `created_at`, `expires_at` and the TTL field stay), or create the
   * counter from `created` when it is absent, or replace an expired one in one atomic commit. A
   * write that lost a race reads again. Every lost race means another increment of the document
   * succeeded, so the callers always progress; one increment retries until it wins or
   * `operationTimeoutMs` passes, not `maxAttempts` times (N concurrent callers need up to N
   * attempts). Firestore transactions are not used: under 100 concurrent callers the emulator's
   * pessimistic locks did not finish within a minute.
   */
  protected override async incrementEntry(
    collection: string,
    key: string,
    by: number,
    created: PreparedEntry,
  ): Promise<number | undefined> {
    const client = await this.#connection.client();
    const { db } = client;
    const ref = this.#doc(db, collection, key);
    const fresh = this.#document(client, ref, collection, key, created);
    return this.#call('increment', () =>
      this.#connection.contended(
        'increment',
        async () => {
          const snapshot = await ref.get();
          if (!snapshot.exists) return (await applied(ref.create(fresh))) ? by : CHANGED;
          // An unreadable document throws here and is kept.
          const existing = readSnapshot(snapshot);
          if (existing === undefined || isExpired(existing, this.now())) {
            const replaced = await applied(
              db.batch().delete(ref, versionOf(snapshot)).create(ref, fresh).commit(),
            );
            return replaced ? by : CHANGED;
          }
          const current = existing.value[COUNTER_FIELD];
          if (typeof current !== 'number') return undefined;
          const count = current + by;
          const json = JSON.stringify({ ...existing.value, [COUNTER_FIELD]: count });
          return (await applied(ref.update({ value: json }, versionOf(snapshot)))) ? count : CHANGED;
        },
        Number.POSITIVE_INFINITY,
      ),
    );
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    if (cursor !== undefined && (cursor === '' || cursor.includes('/'))) {
      throw new ValidationError('keys() cursor must be the string a previous page returned', [
        { message: 'not a cursor of this store', path: 'cursor' },
      ]);
    }
    const { db, mod } = await this.#connection.client();
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
    const { db } = await this.#connection.client();
    const refs = await this.#call('listCollections', () =>
      this.#rootPath === undefined ? db.listCollections() : db.doc(this.#rootPath).listCollections(),
    );
    const now = this.now();
    const names = await Promise.all(
      refs.map(async (ref) => {
        if (!(await hasLiveEntry(this.#connection, ref, now))) return undefined;
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
    const { db } = await this.#connection.client();
    return destroyCollection(this.#connection, db, this.#collection(db, collection), this.now());
  }

  protected override async removeExpired(): Promise<number> {
    const { db } = await this.#connection.client();
    const refs = await this.#call('listCollections', () =>
      this.#rootPath === undefined ? db.listCollections() : db.doc(this.#rootPath).listCollections(),
    );
    let removed = 0;
    for (const ref of refs) removed += await cullCollection(this.#connection, db, ref, this.now());
    return removed;
  }

  protected override async closeStore(): Promise<void> {
    await this.#connection.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.#connection.call(operation, fn);
  }

  #collection(db: Firestore, collection: string): CollectionReference {
    const id = encodeName(collection).id;
    return this.#rootPath === undefined ? db.collection(id) : db.doc(this.#rootPath).collection(id);
  }

  #doc(db: Firestore, collection: string, key: string): DocumentReference {
    return this.#collection(db, collection).doc(encodeName(key).id);
  }

  #document(client: Client, ref: DocumentReference, collection: string, key: string, entry: PreparedEntry) {
    const field = this.#ttlField;
    const ttl =
      field === undefined
        ? undefined
        : { field, timestamp: (ms: number) => client.mod.Timestamp.fromMillis(ms) };
    return buildDocument(ref, collection, key, entry, ttl);
  }

  /**
   * Deletes one document with a precondition on the version read (`first`, else a fresh read),
   * re-reading after a conflict; reports what it removed (the base decides whether it was live).
   */
  #removeDocument(
    ref: DocumentReference,
    first: DocumentSnapshot | undefined,
  ): Promise<RemovedEntry | undefined> {
    let given = first;
    return this.#connection.contended('delete', async () => {
      const snapshot = given ?? (await ref.get());
      given = undefined;
      if (!snapshot.exists) return undefined;
      if (!(await applied(ref.delete(versionOf(snapshot))))) return CHANGED;
      return removedFrom(snapshot);
    });
  }

  /**
   * Deletes up to 500 documents: one read, then one batch of deletes each conditioned on the
   * version read. If another writer changed one of them meanwhile, the batch fails whole and each
   * document is deleted on its own (conditionally, re-reading after a conflict). Reports what each
   * deletion removed.
   */
  async #removeChunk(db: Firestore, refs: DocumentReference[]): Promise<(RemovedEntry | undefined)[]> {
    const snapshots = await db.getAll(...refs);
    const existing = snapshots.filter((snapshot) => snapshot.exists);
    if (existing.length === 0) return refs.map(() => undefined);
    const batch = db.batch();
    for (const snapshot of existing) batch.delete(snapshot.ref, versionOf(snapshot));
    if (await applied(batch.commit())) {
      return snapshots.map((snapshot) => (snapshot.exists ? removedFrom(snapshot) : undefined));
    }
    return mapLimit(snapshots, DELETE_CONCURRENCY, (snapshot) =>
      snapshot.exists ? this.#removeDocument(snapshot.ref, snapshot) : Promise.resolve(undefined),
    );
  }
}
