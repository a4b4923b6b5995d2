/**
 * A PostgreSQL store on the `pg` driver, in the same table layout as Python's py-key-value, so a
 * TypeScript server and a Python (FastMCP) server can share one table.
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
import { createHash } from 'node:crypto';
import type { PoolConfig } from 'pg';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { JsonObject, KeysPage, StoreCapabilities } from '../../contract.js';
import type { PreparedEntry, StoredEntry } from '../../entry.js';
import {
  DeserializationError,
  InvalidKeyError,
  OAuthKVError,
  ReadOnlyError,
  SerializationError,
  StoreConnectionError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';
import { isPlainObject, parseJsonObject } from '../../validation.js';

/**
 * The part of a `pg.Pool` the store uses: `query(text, values)`. A `pg.Pool` (or anything
 * compatible, such as `@neondatabase/serverless`'s `Pool`) passed in stays owned by the caller:
 * `close()` never ends it, and the caller attaches its own `'error'` listener.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', (err) => console.error('idle PostgreSQL client failed', err.message));
 * const store = new PostgresStore({ pool });
 * ```
 */
export interface PostgresPool {
  /**
   * Runs one statement with positional parameters (`$1`, `$2`, ...): given as text and values, or
   * as `{ name, text, values }` for a named prepared statement.
   */
  query(
    textOrConfig: string | PostgresQueryConfig,
    values?: unknown[],
  ): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * A statement as `pg` takes it: a `name` makes it a prepared statement that each connection
 * parses and plans once.
 *
 * @example
 * ```ts
 * const config: PostgresQueryConfig = { name: 'okv_get', text: 'SELECT 1 WHERE $1::int = 1', values: [1] };
 * ```
 */
export interface PostgresQueryConfig {
  /** Prepared-statement name, unique per statement text. */
  name?: string;
  /** The SQL. */
  text: string;
  /** Positional parameters. */
  values?: unknown[];
}

/**
 * Options of {@link PostgresStore}. Give exactly one of `url`, `pool` or `poolConfig`.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({
 *   url: process.env.DATABASE_URL,
 *   schema: 'oauth',
 *   table: 'kv_store',
 *   cullIntervalMs: 15 * 60_000,
 * });
 * ```
 */
export interface PostgresStoreOptions extends BaseStoreOptions {
  /** A connection string (`postgres://user:password@host:5432/db`); the store creates and owns a pool. */
  url?: string | undefined;
  /** A pool the caller owns; the store never ends it. */
  pool?: PostgresPool | undefined;
  /** Options of a `pg.Pool` the store creates and owns (`host`, `port`, `ssl`, `max`, ...). */
  poolConfig?: PoolConfig | undefined;
  /**
   * Table name (default `kv_store`, the py-key-value default): a plain identifier
   * (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters). It is quoted in SQL, so keep it lowercase to
   * share the table with Python, which does not quote it.
   */
  table?: string | undefined;
  /** Schema of the table, same rules as `table` (default: the first schema of `search_path`). */
  schema?: string | undefined;
  /**
   * Create the table and its expiry index when missing (default `true`). When `false` and the table
   * is missing, operations fail with a {@link StoreSetupError} that holds the statements to run.
   */
  createTable?: boolean | undefined;
  /**
   * Most milliseconds to wait for a connection of a pool the store creates (default 10 000).
   * An unreachable server fails with a {@link StoreConnectionError} within this time.
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Send the store's statements as named prepared statements, parsed and planned once per
   * connection (default `true`; about a third less latency per operation). Set `false` behind a
   * connection pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean | undefined;
  /**
   * When set, `cull()` runs in the background every this many milliseconds (the timer never keeps
   * the process alive and stops on `close()`). Default: off; expired rows stay invisible anyway.
   */
  cullIntervalMs?: number | undefined;
}

/** Default table name, the same as py-key-value's. */
const DEFAULT_TABLE = 'kv_store';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

interface Row {
  key?: string;
  value: unknown;
  e: number | null;
}

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
  };

  readonly #table: string;
  readonly #schema: string | undefined;
  /** The quoted, possibly schema-qualified table name. */
  readonly #qualified: string;
  readonly #createTable: boolean;
  readonly #connectTimeoutMs: number;
  readonly #userPool: PostgresPool | undefined;
  readonly #poolConfig: PoolConfig | undefined;
  readonly #where: string;
  readonly #sql: Statements;
  /** Prepared-statement name prefix, unique per table; `undefined` when statements are unnamed. */
  readonly #prepare: string | undefined;
  #pool: OwnedPool | undefined;
  #ready: Promise<PostgresPool> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #culling = false;

  /**
   * @param options a connection string, or {@link PostgresStoreOptions}.
   * @throws StoreSetupError for an invalid table or schema name, RangeError for bad numbers,
   *   TypeError when not exactly one of `url`, `pool`, `poolConfig` is given.
   */
  constructor(options: string | PostgresStoreOptions) {
    const opts: PostgresStoreOptions = typeof options === 'string' ? { url: options } : (options ?? {});
    super(opts);
    const sources = [opts.url, opts.pool, opts.poolConfig].filter((s) => s !== undefined).length;
    if (sources !== 1) {
      throw new TypeError('PostgresStore needs exactly one of `url`, `pool` or `poolConfig`');
    }
    if (opts.url !== undefined && (typeof opts.url !== 'string' || opts.url.length === 0)) {
      throw new TypeError('PostgresStore `url` must be a non-empty connection string');
    }
    if (opts.pool !== undefined && typeof opts.pool.query !== 'function') {
      throw new TypeError('PostgresStore `pool` must have a query() method (a pg.Pool)');
    }
    this.#table = checkIdentifier(opts.table ?? DEFAULT_TABLE, 'table');
    this.#schema = opts.schema === undefined ? undefined : checkIdentifier(opts.schema, 'schema');
    this.#qualified =
      this.#schema === undefined ? quote(this.#table) : `${quote(this.#schema)}.${quote(this.#table)}`;
    this.#createTable = opts.createTable ?? true;
    this.#connectTimeoutMs = positive(
      opts.connectTimeoutMs ?? opts.poolConfig?.connectionTimeoutMillis ?? 10_000,
      'connectTimeoutMs',
    );
    this.#userPool = opts.pool;
    this.#poolConfig = opts.url !== undefined ? { connectionString: opts.url } : opts.poolConfig;
    this.#where = describeServer(opts.pool ? poolOptions(opts.pool) : this.#poolConfig);
    this.#sql = statements(this.#qualified);
    this.#prepare = (opts.preparedStatements ?? true) ? `okv_${fnv1a(this.#qualified)}_` : undefined;
    if (opts.cullIntervalMs !== undefined) {
      const interval = positive(opts.cullIntervalMs, 'cullIntervalMs');
      this.#timer = setInterval(() => void this.#backgroundCull(), interval);
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

  // ---- primitives -----------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    if (hasNul(collection) || hasNul(key)) return undefined;
    const rows = await this.#query('get', [collection, key, this.#nowIso()]);
    return rows[0] === undefined ? undefined : toEntry(rows[0] as Row);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | undefined)[]> {
    if (hasNul(collection)) return keys.map(() => undefined);
    const wanted = keys.filter((key) => !hasNul(key));
    if (wanted.length === 0) return keys.map(() => undefined);
    const rows = await this.#query('getMany', [collection, wanted, this.#nowIso()]);
    const byKey = new Map<string, StoredEntry>();
    for (const row of rows as Row[]) byKey.set(row.key as string, toEntry(row));
    return keys.map((key) => byKey.get(key));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    checkWritable(collection, key, entry);
    await this.#query('put', [
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
    await this.#query('putMany', [
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
    const rows = (await this.#query('delete', [collection, wanted])) as { key: string; e: number | null }[];
    const removed = new Map(rows.map((row) => [row.key, { expiresAt: row.e ?? undefined }]));
    return keys.map((key) => removed.get(key));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    if (hasNul(collection) || hasNul(key)) return undefined;
    const rows = await this.#query('take', [collection, key]);
    return rows[0] === undefined ? undefined : toEntry(rows[0] as Row);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    checkWritable(collection, key, entry);
    const rows = await this.#query('putIfAbsent', [
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

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    if (hasNul(collection) || (cursor !== undefined && hasNul(cursor)))
      return { keys: [], cursor: undefined };
    const rows = await this.#query('keys', [collection, cursor ?? null, this.#nowIso(), limit + 1]);
    const keys = (rows as { key: string }[]).slice(0, limit).map((row) => row.key);
    return { keys, cursor: rows.length > limit ? keys[keys.length - 1] : undefined };
  }

  protected override async listCollections(): Promise<string[]> {
    const rows = await this.#query('collections', [this.#nowIso()]);
    return (rows as { collection: string }[]).map((row) => row.collection);
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    if (hasNul(collection)) return false;
    const rows = await this.#query('destroyCollection', [collection, this.#nowIso()]);
    return Number((rows[0] as { n: number } | undefined)?.n ?? 0) > 0;
  }

  protected override async removeExpired(): Promise<number> {
    const rows = await this.#query('cull', [this.#nowIso()]);
    return Number((rows[0] as { n: number } | undefined)?.n ?? 0);
  }

  protected override async closeStore(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) await pool.end().catch(() => {});
  }

  // ---- internals ------------------------------------------------------------------------------

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

  /** Runs one statement on a ready pool (setting up on first use) and maps driver errors. */
  async #query(op: Exclude<keyof Statements, 'exists'>, values: unknown[]): Promise<unknown[]> {
    const pool = await this.#connect();
    const text = this.#sql[op];
    try {
      const result =
        this.#prepare === undefined
          ? await pool.query(text, values)
          : await pool.query({ name: this.#prepare + op, text, values });
      return result.rows;
    } catch (err) {
      if ((err as { code?: unknown }).code === '42P01') {
        // The table was dropped under us: the next operation runs the setup again (and creates it
        // when createTable allows).
        this.#ready = undefined;
        throw new StoreSetupError(this.#missingTableMessage(op));
      }
      throw this.#mapError(err, op);
    }
  }

  /** Resolves once the driver is loaded and the table exists. Concurrent callers share one setup. */
  #connect(): Promise<PostgresPool> {
    if (this.#ready === undefined) {
      const ready = this.#setup();
      this.#ready = ready;
      // A failed setup (server down, missing table) is retried by the next operation.
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = undefined;
      });
    }
    return this.#ready;
  }

  async #setup(): Promise<PostgresPool> {
    const pool = this.#userPool ?? (await this.#ownPool());
    let rows: unknown[];
    try {
      rows = (await pool.query(this.#sql.exists, [this.#qualified])).rows;
    } catch (err) {
      throw this.#mapError(err, 'setup');
    }
    if ((rows[0] as { t: boolean } | undefined)?.t) return pool;
    const ddl = ddlStatements(this.#table, this.#schema);
    if (!this.#createTable) throw new StoreSetupError(this.#missingTableMessage('setup'));
    try {
      // One simple-protocol query runs as one transaction: the advisory lock serialises concurrent
      // creators (CREATE TABLE IF NOT EXISTS alone can race on the catalog).
      await pool.query(
        `SELECT pg_advisory_xact_lock(hashtext(${literal(`oauth-kv:${this.#qualified}`)}));\n${ddl.join(';\n')}`,
      );
    } catch (err) {
      const mapped = this.#mapError(err, 'setup');
      if (mapped instanceof StoreSetupError) {
        throw new StoreSetupError(`${mapped.message}. Create the table yourself with:\n${ddl.join(';\n')};`, {
          cause: mapped,
        });
      }
      throw mapped;
    }
    return pool;
  }

  async #ownPool(): Promise<PostgresPool> {
    if (this.#pool !== undefined) return this.#pool;
    let pg: typeof import('pg');
    try {
      pg = await import('pg');
    } catch (err) {
      throw new StoreSetupError('PostgresStore needs the `pg` package: npm install pg', { cause: err });
    }
    const Pool = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
    const pool = new Pool({
      // TCP keepalive finds connections a NAT or load balancer dropped; an idle pool never keeps the
      // process alive. Both can be overridden in poolConfig.
      keepAlive: true,
      allowExitOnIdle: true,
      ...this.#poolConfig,
      connectionTimeoutMillis: this.#connectTimeoutMs,
    });
    // An idle client losing its connection (server restart) must not crash the process; the pool
    // drops that client and the next operation connects again.
    pool.on('error', () => {});
    if (this.closed) {
      await pool.end();
      throw new StoreSetupError('PostgresStore was closed while connecting');
    }
    this.#pool = pool as OwnedPool;
    return this.#pool;
  }

  #missingTableMessage(op: string): string {
    const ddl = ddlStatements(this.#table, this.#schema).join(';\n');
    return (
      `The table ${this.#qualified} does not exist in PostgreSQL at ${this.#where} (during ${op}). ` +
      (this.#createTable
        ? 'The next operation creates it again; to create it yourself run:\n'
        : 'createTable is false; create it with:\n') +
      `${ddl};`
    );
  }

  /** Turns a driver error into an oauth-kv error. Never copies row data or the password. */
  #mapError(err: unknown, op: string): Error {
    if (err instanceof OAuthKVError) return err;
    if (!(err instanceof Error)) return new StoreConnectionError(`PostgreSQL ${op} failed at ${this.#where}`);
    const e = err as Error & { code?: unknown; severity?: unknown; errors?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const at = `PostgreSQL at ${this.#where}`;
    if (code !== undefined && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return this.#mapSqlState(code, e.message, op);
    }
    if (code !== undefined && NETWORK_CODES.has(code)) {
      return new StoreConnectionError(`Cannot reach ${at} during ${op} (${code})`, { cause: err });
    }
    const message = e.message ?? '';
    if (/\bSSL\b|\bTLS\b|certificate/i.test(message) || (code !== undefined && /CERT|SSL|TLS/.test(code))) {
      return new StoreSetupError(`TLS with ${at} failed during ${op} (${code ?? message})`, { cause: err });
    }
    if (/timeout/i.test(message) && /connect|timeout expired/i.test(message)) {
      return new StoreTimeoutError(
        `No connection to ${at} within ${this.#connectTimeoutMs} ms during ${op} (${message})`,
        { cause: err },
      );
    }
    if (/Query read timeout/i.test(message)) {
      return new StoreTimeoutError(`${at} did not answer ${op} in time`, { cause: err });
    }
    if (
      /Connection terminated|not queryable|Connection ended|pool after calling end|ECONNRESET|socket/i.test(
        message,
      )
    ) {
      return new StoreConnectionError(`Lost the connection to ${at} during ${op} (${message})`, {
        cause: err,
      });
    }
    return err;
  }

  #mapSqlState(code: string, message: string, op: string): Error {
    const at = `PostgreSQL at ${this.#where}`;
    const cls = code.slice(0, 2);
    // The server's primary message holds no row data for these classes; `detail` and `where`
    // (which can) are never copied, and the driver error is not attached as `cause`.
    if (cls === '08' || code === '57P01' || code === '57P02' || code === '57P03' || cls === '53') {
      return new StoreConnectionError(`Lost the connection to ${at} during ${op} (${code}: ${message})`);
    }
    if (code === '57014') return new StoreTimeoutError(`${at} cancelled ${op} (${code}: ${message})`);
    if (code === '40001' || code === '40P01' || code === '55P03') {
      return new StoreConnectionError(`${at} aborted ${op}; retry it (${code}: ${message})`);
    }
    if (code === '25006') return new ReadOnlyError(`${at} is read-only (${code}: ${message})`);
    if (code === '22P05' || code === '22021' || code === '22P02' || code === '22023') {
      return new SerializationError(`${at} refused the value during ${op} (${code})`, '$');
    }
    if (code === '54000') {
      return new InvalidKeyError(
        `${at} refused ${op}: the key or collection is too long for the primary-key index (${code})`,
      );
    }
    if (cls === '42' || cls === '3F' || cls === '3D' || cls === '28' || cls === '0A') {
      return new StoreSetupError(`${at} refused ${op} on ${this.#qualified} (${code}: ${message})`);
    }
    return new StoreConnectionError(`${at} failed ${op} (${code})`);
  }
}

// ---- SQL --------------------------------------------------------------------------------------

interface OwnedPool extends PostgresPool {
  end(): Promise<void>;
}

interface Statements {
  exists: string;
  get: string;
  getMany: string;
  put: string;
  putMany: string;
  delete: string;
  take: string;
  putIfAbsent: string;
  keys: string;
  collections: string;
  destroyCollection: string;
  cull: string;
}

const LIVE = '(expires_at IS NULL OR expires_at > $3::timestamptz)';
const EXPIRES_MS = '(extract(epoch FROM expires_at) * 1000)::float8 AS e';
const UPSERT =
  'ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl, ' +
  'created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at';
const COLUMNS = '(collection, key, value, ttl, created_at, expires_at)';

function statements(t: string): Statements {
  return {
    exists: 'SELECT to_regclass($1) IS NOT NULL AS t',
    get: `SELECT value, ${EXPIRES_MS} FROM ${t} WHERE collection = $1 AND key = $2 AND ${LIVE}`,
    getMany: `SELECT key, value, ${EXPIRES_MS} FROM ${t} WHERE collection = $1 AND key = ANY($2::text[]) AND ${LIVE}`,
    put: `INSERT INTO ${t} ${COLUMNS} VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ${UPSERT}`,
    putMany:
      `INSERT INTO ${t} ${COLUMNS} SELECT $1, k, v::jsonb, $4::float8, $5::timestamptz, $6::timestamptz ` +
      `FROM UNNEST($2::text[], $3::text[]) AS u(k, v) ${UPSERT}`,
    delete: `DELETE FROM ${t} WHERE collection = $1 AND key = ANY($2::text[]) RETURNING key, ${EXPIRES_MS}`,
    take: `DELETE FROM ${t} WHERE collection = $1 AND key = $2 RETURNING value, ${EXPIRES_MS}`,
    putIfAbsent:
      `INSERT INTO ${t} AS t ${COLUMNS} VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ` +
      `${UPSERT} WHERE t.expires_at IS NOT NULL AND t.expires_at <= $7::timestamptz RETURNING 1 AS w`,
    keys:
      `SELECT key FROM ${t} WHERE collection = $1 AND ($2::text IS NULL OR key > $2::text) AND ${LIVE} ` +
      'ORDER BY key LIMIT $4::int',
    collections:
      `SELECT DISTINCT collection FROM ${t} WHERE expires_at IS NULL OR expires_at > $1::timestamptz ` +
      'ORDER BY collection',
    destroyCollection:
      `WITH d AS (DELETE FROM ${t} WHERE collection = $1 RETURNING expires_at) ` +
      'SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > $2::timestamptz)::int AS n FROM d',
    cull:
      `WITH d AS (DELETE FROM ${t} WHERE expires_at <= $1::timestamptz RETURNING 1) ` +
      'SELECT count(*)::int AS n FROM d',
  };
}

function ddlStatements(table: string, schema: string | undefined): string[] {
  const t = schema === undefined ? quote(table) : `${quote(schema)}.${quote(table)}`;
  // py-key-value's index name; past PostgreSQL's 63-byte identifier limit it uses a hash instead.
  let indexName = `idx_${table}_expires_at`;
  if (indexName.length > 63) {
    indexName = `idx_${createHash('sha256').update(table).digest('hex').slice(0, 16)}_exp`;
  }
  const index = quote(indexName);
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (collection TEXT NOT NULL, key TEXT NOT NULL, value JSONB NOT NULL, ` +
      'ttl DOUBLE PRECISION, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, PRIMARY KEY (collection, key))',
    `CREATE INDEX IF NOT EXISTS ${index} ON ${t}(expires_at) WHERE expires_at IS NOT NULL`,
  ];
}

// ---- helpers ----------------------------------------------------------------------------------

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOENT', // a Unix socket path that does not exist
]);

function checkIdentifier(name: unknown, what: 'table' | 'schema'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new StoreSetupError(
      `PostgresStore ${what} must match [A-Za-z_][A-Za-z0-9_]* and be at most 63 characters`,
    );
  }
  return name;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function positive(value: number, what: string): number {
  // setTimeout and setInterval fire at once past 2^31 - 1 ms.
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2_147_483_647) {
    throw new RangeError(
      `PostgresStore ${what} must be a positive number of milliseconds (at most 2^31 - 1)`,
    );
  }
  return value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A short, stable hex hash (FNV-1a, 32 bits) for prepared-statement names. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/** PostgreSQL TEXT and JSONB cannot hold U+0000: refuse before anything is sent. */
function checkWritable(collection: string, key: string, entry: PreparedEntry): void {
  if (hasNul(collection)) {
    throw new InvalidKeyError('PostgreSQL cannot store a collection name containing U+0000');
  }
  if (hasNul(key)) throw new InvalidKeyError('PostgreSQL cannot store a key containing U+0000');
  // JSON.stringify writes U+0000 as \u0000; an even run of backslashes before it means a real escape.
  if (entry.json.includes('\\u0000') && /(?<!\\)(?:\\\\)*\\u0000/.test(entry.json)) {
    throw new SerializationError(
      'PostgreSQL JSONB cannot hold the character U+0000 in a string',
      findNul(entry.value, '$') ?? '$',
    );
  }
}

function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return hasNul(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const member = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (hasNul(k)) return member;
      const found = findNul(v, member);
      if (found) return found;
    }
  }
  return undefined;
}

function toEntry(row: Row): StoredEntry {
  let value: JsonObject | undefined;
  if (isPlainObject(row.value)) value = row.value as JsonObject;
  else if (typeof row.value === 'string') value = parseJsonObject(row.value);
  if (value === undefined) {
    throw new DeserializationError('A PostgreSQL row holds a value that is not a JSON object');
  }
  return { value, expiresAt: row.e === null || row.e === undefined ? undefined : Number(row.e) };
}

function poolOptions(pool: PostgresPool): PoolConfig | undefined {
  const options = (pool as { options?: unknown }).options;
  return typeof options === 'object' && options !== null ? (options as PoolConfig) : undefined;
}

/** `host:port` of the server, from the config or connection string; never user or password. */
function describeServer(config: PoolConfig | undefined): string {
  let host = config?.host;
  let port: string | number | undefined = config?.port;
  if (config?.connectionString) {
    try {
      const url = new URL(config.connectionString);
      host ??= url.searchParams.get('host') || decodeURIComponent(url.hostname) || undefined;
      port ??= url.searchParams.get('port') || url.port || undefined;
    } catch {
      // Not a URL (a libpq keyword string): fall back to the defaults below.
    }
  }
  host ||= process.env.PGHOST || 'localhost';
  port ||= process.env.PGPORT || 5432;
  return `${host}:${port}`;
}
