/**
 * A PostgreSQL store on the `pg` driver, in the same table layout as Python's py-key-value, so a
 * TypeScript server and a Python (FastMCP) server can share one table. This file holds the store's
 * primitives; the pool and setup live in `./connection.ts`, the statements and row decoding in
 * `./sql.ts`, identifiers in `./names.ts` and the error policy in `./errors.ts`.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * const store = new PostgresStore('postgres://app@db.internal:5432/app');
 * await store.put('code-1', { client_id: 'c1' }, { collection: 'codes', ttl: 300 });
 * await store.take('code-1', { collection: 'codes' }); // exactly one caller gets it
 * await store.close();
 * ```
 * @module
 */
import { BaseStore, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { KeysPage, StoreCapabilities } from '../../contract.js';
import type { PreparedEntry, StoredEntry } from '../../entry.js';
import { DeserializationError } from '../../errors.js';
import { checkPostgresOptions, PgConnection, type PostgresStoreOptions } from './connection.js';
import { checkIdentifier, DEFAULT_TABLE, hasNul } from './names.js';
import { checkWritable, ddlStatements, rowToEntry, type ValueRow } from './sql.js';

export type { PostgresPool, PostgresQueryConfig, PostgresStoreOptions } from './connection.js';

/**
 * A durable, shared store on PostgreSQL. Every operation is one SQL statement; `take` is one
 * `DELETE … RETURNING` and `putIfAbsent` one `INSERT … ON CONFLICT`, so both are atomic across
 * processes and store instances. Rows use py-key-value's layout (`collection`, `key`, `value`
 * JSONB, `ttl`, `created_at`, `expires_at`); expired rows are invisible to every read and removed
 * by `cull()`.
 *
 * The `pg` driver is loaded on first use. A connection string or `poolConfig` makes the store
 * create a pool that `close()` ends; a `pool` passed in stays open.
 *
 * @example
 * ```ts
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * const store = new PostgresStore({ url: process.env.DATABASE_URL, cullIntervalMs: 600_000 });
 * await store.put('client-1', { client_id: 'client-1' }, { collection: 'mcp-oauth-proxy-clients' });
 * const client = await store.get('client-1', { collection: 'mcp-oauth-proxy-clients' });
 * ```
 */
export class PostgresStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
    increment: true,
  };

  readonly #db: PgConnection;
  #timer: ReturnType<typeof setInterval> | undefined;
  #culling = false;

  /**
   * @param options a connection string, or {@link PostgresStoreOptions}.
   * @throws StoreSetupError for any bad option: not exactly one of `url`, `pool`, `poolConfig`, an
   *   invalid table or schema name, a connection string `pg` cannot parse (never quoted), bad numbers.
   */
  constructor(options: string | PostgresStoreOptions) {
    const settings = checkPostgresOptions(options);
    super(settings.options);
    this.#db = new PgConnection(settings, () => this.closed);
    if (settings.cullIntervalMs !== undefined) {
      this.#timer = setInterval(() => void this.#backgroundCull(), settings.cullIntervalMs);
      this.#timer.unref?.();
    }
  }

  /**
   * The statements that create the table and its index, as py-key-value creates them.
   * Run them yourself when the store runs with `createTable: false`.
   *
   * @example
   * ```ts
   * console.log(PostgresStore.ddl({ schema: 'oauth' }).join(';\n'));
   * ```
   */
  static ddl(options: { table?: string | undefined; schema?: string | undefined } = {}): string[] {
    const table = checkIdentifier(options.table ?? DEFAULT_TABLE, 'table');
    const schema = options.schema === undefined ? undefined : checkIdentifier(options.schema, 'schema');
    return ddlStatements(table, schema);
  }

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    if (hasNul(collection) || hasNul(key)) return undefined;
    const rows = (await this.#db.query('get', [collection, key, this.#nowIso()])) as ValueRow[];
    return rows[0] === undefined ? undefined : rowToEntry(rows[0]);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    if (hasNul(collection)) return keys.map(() => undefined);
    const wanted = keys.filter((key) => !hasNul(key));
    if (wanted.length === 0) return keys.map(() => undefined);
    const rows = (await this.#db.query('getMany', [collection, wanted, this.#nowIso()])) as ValueRow[];
    const byKey = new Map<string, StoredEntry | DeserializationError>();
    for (const row of rows) byKey.set(row.key as string, readRow(row));
    return keys.map((key) => byKey.get(key));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    checkWritable(collection, key, entry);
    await this.#db.query('put', [
      collection,
      key,
      entry.json,
      entry.ttl ?? null,
      iso(entry.createdAt),
      entry.expiresAt === undefined ? null : iso(entry.expiresAt),
    ]);
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ): Promise<void> {
    for (const [key, entry] of entries) checkWritable(collection, key, entry);
    await this.#db.query('putMany', [
      collection,
      entries.map(([key]) => key),
      entries.map(([, entry]) => entry.json),
      timing.ttl ?? null,
      iso(timing.createdAt),
      timing.expiresAt === undefined ? null : iso(timing.expiresAt),
    ]);
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    return (await this.removeEntries(collection, [key]))[0];
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    if (hasNul(collection)) return keys.map(() => undefined);
    const wanted = keys.filter((key) => !hasNul(key));
    if (wanted.length === 0) return keys.map(() => undefined);
    // Every matching row is deleted, expired or not; the base decides from `e` which were live.
    const rows = (await this.#db.query('delete', [collection, wanted])) as {
      key: string;
      e: number | null;
    }[];
    const removed = new Map(rows.map((row) => [row.key, { expiresAt: row.e ?? undefined }]));
    return keys.map((key) => removed.get(key));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    if (hasNul(collection) || hasNul(key)) return undefined;
    const rows = (await this.#db.query('take', [collection, key])) as ValueRow[];
    return rows[0] === undefined ? undefined : rowToEntry(rows[0]);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    checkWritable(collection, key, entry);
    // The statement replaces an expired row in the same atomic step; the base cannot split that.
    const rows = await this.#db.query('putIfAbsent', [
      collection,
      key,
      entry.json,
      entry.ttl ?? null,
      iso(entry.createdAt),
      entry.expiresAt === undefined ? null : iso(entry.expiresAt),
      this.#nowIso(),
    ]);
    return rows.length > 0;
  }

  protected override async incrementEntry(
    collection: string,
    key: string,
    by: number,
    created: PreparedEntry,
  ): Promise<number | undefined> {
    checkWritable(collection, key, created);
    const rows = (await this.#db.query('increment', [
      collection,
      key,
      created.json,
      created.ttl ?? null,
      iso(created.createdAt),
      created.expiresAt === undefined ? null : iso(created.expiresAt),
      this.#nowIso(),
      by,
    ])) as { n: number | null }[];
    const n = rows[0]?.n;
    return n === null || n === undefined ? undefined : Number(n);
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    if (hasNul(collection) || (cursor !== undefined && hasNul(cursor)))
      return { keys: [], cursor: undefined };
    const rows =
      cursor === undefined
        ? await this.#db.query('keys', [collection, this.#nowIso(), limit + 1])
        : await this.#db.query('keysAfter', [collection, cursor, this.#nowIso(), limit + 1]);
    const keys = (rows as { key: string }[]).slice(0, limit).map((row) => row.key);
    return { keys, cursor: rows.length > limit ? keys[keys.length - 1] : undefined };
  }

  protected override async listCollections(): Promise<string[]> {
    const rows = await this.#db.query('collections', [this.#nowIso()]);
    return (rows as { collection: string }[]).map((row) => row.collection);
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    if (hasNul(collection)) return false;
    const rows = await this.#db.query('destroyCollection', [collection, this.#nowIso()]);
    return Number((rows[0] as { n: number } | undefined)?.n ?? 0) > 0;
  }

  protected override async removeExpired(): Promise<number> {
    const rows = await this.#db.query('cull', [this.#nowIso()]);
    return Number((rows[0] as { n: number } | undefined)?.n ?? 0);
  }

  /** `SELECT 1 FROM <table> LIMIT 0`: the server answers, the table exists and may be read. */
  protected override async pingStore(): Promise<void> {
    await this.#db.query('ping', []);
  }

  protected override async closeStore(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#db.close();
  }

  #nowIso(): string {
    return iso(this.now());
  }

  async #backgroundCull(): Promise<void> {
    if (this.#culling || this.closed) return;
    this.#culling = true;
    try {
      await this.cull();
    } catch {
      // A background cull retries at the next tick; reads hide expired rows meanwhile.
    } finally {
      this.#culling = false;
    }
  }
}

/** A row of a bulk read: its entry, or the error of that row alone. */
function readRow(row: ValueRow): StoredEntry | DeserializationError {
  try {
    return rowToEntry(row);
  } catch (err) {
    if (err instanceof DeserializationError) return err;
    throw err;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
