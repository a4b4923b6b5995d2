/**
 * The PostgreSQL store's pool and setup: the options (every bad one a `StoreSetupError`, a
 * connection string checked without ever being quoted), a pool created lazily (or the caller's),
 * the table checked and created once, and each statement run with its errors mapped by `./errors.ts`.
 * @module
 */
import type { PoolConfig } from 'pg';
import { options as check, Lazy, loadPeer } from '../../backend/kit.js';
import type { BaseStoreOptions } from '../../base-store.js';
import { type OAuthKVError, StoreSetupError } from '../../errors.js';
import { mapPgError } from './errors.js';
import { checkIdentifier, DEFAULT_TABLE, literal, qualify, statementPrefix } from './names.js';
import { ddlStatements, type Operation, type Statements, statements } from './sql.js';

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
 * Options of `PostgresStore`. Give exactly one of `url`, `pool` or `poolConfig`.
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

/** The options once checked. */
export interface PgSettings {
  readonly options: PostgresStoreOptions;
  readonly table: string;
  readonly schema: string | undefined;
  /** The quoted, possibly schema-qualified table name. */
  readonly qualified: string;
  readonly createTable: boolean;
  readonly connectTimeoutMs: number;
  readonly cullIntervalMs: number | undefined;
  /** Prepared-statement name prefix; `undefined` when statements are unnamed. */
  readonly prepare: string | undefined;
  /** `host:port` of the server; never user or password. */
  readonly where: string;
  readonly secrets: readonly string[];
}

const STORE = 'PostgresStore';
/** Longest timer Node honours (a larger delay fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Checks the constructor argument of the PostgreSQL store. */
export function checkPostgresOptions(target: unknown): PgSettings {
  const options: PostgresStoreOptions =
    typeof target === 'string'
      ? { url: target }
      : check.object(STORE, 'options', target as PostgresStoreOptions);
  const sources = [options.url, options.pool, options.poolConfig].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new StoreSetupError(`${STORE} needs exactly one of url, pool or poolConfig`);
  if (options.url !== undefined) checkConnectionString(check.string(STORE, 'url', options.url), 'url');
  if (options.poolConfig !== undefined) {
    check.object(STORE, 'poolConfig', options.poolConfig);
    const cs = options.poolConfig.connectionString;
    if (cs !== undefined)
      checkConnectionString(
        check.string(STORE, 'poolConfig.connectionString', cs),
        'poolConfig.connectionString',
      );
  }
  if (options.pool !== undefined && typeof (options.pool as { query?: unknown })?.query !== 'function') {
    throw new StoreSetupError(`${STORE} pool must have a query() method (a pg.Pool)`);
  }
  const table = checkIdentifier(options.table ?? DEFAULT_TABLE, 'table');
  const schema = options.schema === undefined ? undefined : checkIdentifier(options.schema, 'schema');
  const qualified = qualify(table, schema);
  const connectTimeoutMs = timer(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? options.poolConfig?.connectionTimeoutMillis,
    10_000,
  );
  const cullIntervalMs =
    options.cullIntervalMs === undefined ? undefined : timer('cullIntervalMs', options.cullIntervalMs, 0);
  const prepared = check.boolean(STORE, 'preparedStatements', options.preparedStatements, true);
  const config = options.pool
    ? poolOptions(options.pool)
    : options.url !== undefined
      ? { connectionString: options.url }
      : options.poolConfig;
  return {
    options,
    table,
    schema,
    qualified,
    createTable: check.boolean(STORE, 'createTable', options.createTable, true),
    connectTimeoutMs,
    cullIntervalMs,
    prepare: prepared ? statementPrefix(qualified) : undefined,
    where: describeServer(config),
    secrets: secretsOf(options),
  };
}

/** The pool of one store, the table set up once, and statements with mapped errors. */
export class PgConnection {
  readonly #settings: PgSettings;
  readonly #sql: Statements;
  readonly #isClosed: () => boolean;
  /** The pool once the table is known to exist; forgotten when the table disappears. */
  readonly #ready: Lazy<PostgresPool>;
  /** A pool the store created (created once, ended by `close()`). */
  #owned: Lazy<OwnedPool> | undefined;

  constructor(settings: PgSettings, isClosed: () => boolean) {
    this.#settings = settings;
    this.#sql = statements(settings.qualified);
    this.#isClosed = isClosed;
    this.#ready = new Lazy(() => this.#setup());
    const given = settings.options.pool;
    if (given === undefined) this.#owned = new Lazy(() => this.#createPool());
  }

  /** Runs one statement on a ready pool (setting up on first use); its rows. */
  async query(op: Operation, values: unknown[]): Promise<unknown[]> {
    const pool = await this.#ready.get();
    const text = this.#sql[op];
    const prepare = this.#settings.prepare;
    try {
      const result =
        prepare === undefined
          ? await pool.query(text, values)
          : await pool.query({ name: prepare + op, text, values });
      return result.rows;
    } catch (err) {
      if ((err as { code?: unknown }).code === '42P01') {
        // The table was dropped under us: the next operation runs the setup again (and creates it
        // when createTable allows).
        this.#ready.reset();
        throw new StoreSetupError(this.#missingTableMessage(op));
      }
      throw this.#map(err, op);
    }
  }

  /** Ends a pool the store created; a pool passed in stays open. */
  async close(): Promise<void> {
    const owned = this.#owned?.reset();
    const pool = await owned?.catch(() => undefined);
    if (pool !== undefined) await pool.end().catch(() => {});
  }

  #map(err: unknown, op: string): OAuthKVError {
    const s = this.#settings;
    return mapPgError(err, {
      where: s.where,
      op,
      table: s.qualified,
      connectTimeoutMs: s.connectTimeoutMs,
      secrets: s.secrets,
    });
  }

  async #setup(): Promise<PostgresPool> {
    const { options, qualified, table, schema, createTable } = this.#settings;
    const pool: PostgresPool = options.pool ?? (await (this.#owned as Lazy<OwnedPool>).get());
    let rows: unknown[];
    try {
      rows = (await pool.query(this.#sql.exists, [qualified])).rows;
    } catch (err) {
      throw this.#map(err, 'setup');
    }
    if ((rows[0] as { t: boolean } | undefined)?.t) return pool;
    const ddl = ddlStatements(table, schema);
    if (!createTable) throw new StoreSetupError(this.#missingTableMessage('setup'));
    try {
      // One simple-protocol query runs as one transaction: the advisory lock serialises concurrent
      // creators (CREATE TABLE IF NOT EXISTS alone can race on the catalog).
      await pool.query(
        `SELECT pg_advisory_xact_lock(hashtext(${literal(`oauth-kv:${qualified}`)}));\n${ddl.join(';\n')}`,
      );
    } catch (err) {
      const mapped = this.#map(err, 'setup');
      if (mapped instanceof StoreSetupError) {
        throw new StoreSetupError(`${mapped.message}. Create the table yourself with:\n${ddl.join(';\n')};`, {
          cause: mapped,
        });
      }
      throw mapped;
    }
    return pool;
  }

  async #createPool(): Promise<OwnedPool> {
    const pg = await loadPeer(STORE, 'pg', () => import('pg'));
    const Pool = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
    const { options, connectTimeoutMs } = this.#settings;
    const config = options.url !== undefined ? { connectionString: options.url } : options.poolConfig;
    const pool = new Pool({
      // TCP keepalive finds connections a NAT or load balancer dropped; an idle pool never keeps the
      // process alive. Both can be overridden in poolConfig.
      keepAlive: true,
      allowExitOnIdle: true,
      ...config,
      connectionTimeoutMillis: connectTimeoutMs,
    });
    // An idle client losing its connection (server restart) must not crash the process; the pool
    // drops that client and the next operation connects again.
    pool.on('error', () => {});
    if (this.#isClosed()) {
      await pool.end();
      throw new StoreSetupError(`${STORE} was closed while connecting`);
    }
    return pool as OwnedPool;
  }

  #missingTableMessage(op: string): string {
    const { table, schema, qualified, where, createTable } = this.#settings;
    const ddl = ddlStatements(table, schema).join(';\n');
    return (
      `The table ${qualified} does not exist in PostgreSQL at ${where} (during ${op}). ` +
      (createTable
        ? 'The next operation creates it again; to create it yourself run:\n'
        : 'createTable is false; create it with:\n') +
      `${ddl};`
    );
  }
}

interface OwnedPool extends PostgresPool {
  end(): Promise<void>;
}

function timer(name: string, value: unknown, fallback: number): number {
  const ms = check.positiveNumber(STORE, name, value, fallback);
  if (ms > MAX_TIMER_MS) {
    throw new StoreSetupError(
      `${STORE} ${name} must be a positive number of milliseconds (at most 2^31 - 1)`,
    );
  }
  return ms;
}

/**
 * Refuses, with a {@link StoreSetupError} that never quotes it, a connection string `pg` could not
 * parse (an invalid port or host, a malformed percent-encoding): `pg` would otherwise fail at the
 * first operation with a bare `TypeError` or `URIError`.
 */
function checkConnectionString(text: string, what: string): void {
  if (text.startsWith('/')) return; // a Unix socket directory and database name
  const bad = (why: string) =>
    new StoreSetupError(`${STORE} ${what} is not a valid connection string (${why})`);
  let url: URL;
  try {
    // As pg-connection-string reads it: spaces and stray % encoded, an empty host allowed.
    let s = text;
    if (/ |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(s)) s = encodeURI(s).replace(/%25(\d\d)/g, '%$1');
    try {
      url = new URL(s, 'postgres://base');
    } catch {
      url = new URL(s.replace('@/', '@___DUMMY___/'), 'postgres://base');
    }
  } catch {
    throw bad('check the host, the port and the percent-encoding');
  }
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.hostname);
  } catch {
    throw bad('malformed percent-encoding in the user, password or host');
  }
}

function poolOptions(pool: PostgresPool): PoolConfig | undefined {
  const options = (pool as { options?: unknown }).options;
  return typeof options === 'object' && options !== null ? (options as PoolConfig) : undefined;
}

/** Passwords given in the options, which no error may show. */
function secretsOf(options: PostgresStoreOptions): string[] {
  const out: string[] = [];
  const add = (text: unknown) => {
    if (typeof text === 'string' && text.length > 0) out.push(text);
  };
  for (const cs of [options.url, options.poolConfig?.connectionString]) {
    if (cs === undefined) continue;
    try {
      const password = new URL(cs).password;
      add(password);
      add(decodeURIComponent(password));
    } catch {
      // checked before; an unparsable string has no password part to hide
    }
  }
  add(options.poolConfig?.password);
  return out;
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
