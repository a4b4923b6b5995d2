/**
 * How the PostgreSQL store turns what `pg` throws into oauth-kv errors. The policy, also in
 * docs/postgres.md:
 *
 * | `pg` error (SQLSTATE or driver) | oauth-kv error | retryable |
 * |---|---|---|
 * | connection refused, reset, lost, host not found (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, …); class `08` connection exceptions; `57P01`–`57P03` admin/crash shutdown, cannot connect now; `57P05` idle session timeout; `53300` too many connections | `StoreConnectionError` | yes |
 * | `40001` serialization failure, `40P01` deadlock, `40003` completion unknown, `55P03` lock not available | `StoreConnectionError` | yes |
 * | no connection within `connectTimeoutMs`, `query_timeout`, `57014` statement cancelled (`statement_timeout`) | `StoreTimeoutError` | yes |
 * | class `28` authentication, `3D000` no database, `3F000` no schema, class `42` (no table, no privilege `42501`, a table of another shape), `0A000`, TLS failures, a connection string or pool option the driver refuses | `StoreSetupError` | no |
 * | `25006` read-only transaction (hot standby) | `ReadOnlyError` | no |
 * | `22P02`, `22P05`, `22021`, `22023` on a write | `SerializationError` | no |
 * | `54000` (a key past the index row limit) on a write | `InvalidKeyError` | no |
 * | class `23` constraint or check violation (`23514`, `23505`, …), class `P0` trigger exceptions (`P0001` `RAISE`), other class `22` data exceptions, `53xxx` other than `53300`, `XX` internal errors, any other SQLSTATE, a pool its owner ended, any error not listed here | `StoreOperationError` | no |
 *
 * Messages name the server (`host:port`), the operation and the SQLSTATE; they never hold row data
 * (the server's `detail` and `where`, and a trigger's own message, are dropped) or a password. A
 * driver error is kept as `cause` only as a copy with its name, code and scrubbed message.
 * @module
 */
import { sanitized, scrub } from '../../backend/scrub.js';
import {
  InvalidKeyError,
  OAuthKVError,
  ReadOnlyError,
  SerializationError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';

/** What a mapped error names: where, which operation, which table; and what it must never show. */
export interface PgErrorContext {
  /** `host:port` of the server. */
  readonly where: string;
  /** The operation (`get`, `setup`, ...). */
  readonly op: string;
  /** The quoted table name. */
  readonly table: string;
  readonly connectTimeoutMs: number;
  /** Passwords the store knows. */
  readonly secrets: readonly string[];
}

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
const RETRYABLE_STATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57P05',
  '53300',
  '40001',
  '40P01',
  '40003',
  '55P03',
]);
const VALUE_STATES = new Set(['22P02', '22P05', '22021', '22023']);
const WRITES = new Set(['put', 'putMany', 'putIfAbsent']);

/** The oauth-kv error for what a statement (or getting a connection) threw. */
export function mapPgError(err: unknown, ctx: PgErrorContext): OAuthKVError {
  if (err instanceof OAuthKVError) return err;
  const at = `PostgreSQL at ${ctx.where}`;
  if (!(err instanceof Error))
    return new StoreOperationError(`${at} failed ${ctx.op} with a non-error value`);
  const e = err as Error & { code?: unknown; severity?: unknown; constraint?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return mapSqlState(
      code,
      scrub(e.message, ctx.secrets),
      typeof e.constraint === 'string' ? e.constraint : undefined,
      ctx,
    );
  }
  const cause = sanitized(err, ctx.secrets);
  const message = cause.message;
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new StoreConnectionError(`Cannot reach ${at} during ${ctx.op} (${code})`, { cause });
  }
  if (/\bSSL\b|\bTLS\b|certificate/i.test(message) || (code !== undefined && /CERT|SSL|TLS/.test(code))) {
    return new StoreSetupError(`TLS with ${at} failed during ${ctx.op} (${code ?? message})`, { cause });
  }
  if (/timeout/i.test(message) && /connect|timeout expired/i.test(message)) {
    return new StoreTimeoutError(
      `No connection to ${at} within ${ctx.connectTimeoutMs} ms during ${ctx.op} (${message})`,
      { cause },
    );
  }
  if (/Query read timeout/i.test(message)) {
    return new StoreTimeoutError(`${at} did not answer ${ctx.op} in time`, { cause });
  }
  if (
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof URIError ||
    code?.startsWith('ERR_SOCKET_BAD') ||
    /\bSASL\b|password must be/i.test(message)
  ) {
    // Options the driver refused when connecting: a bad port, host, encoding or password type.
    return new StoreSetupError(`${at} cannot be connected to as configured (${message})`, { cause });
  }
  if (/Connection terminated|not queryable|Connection ended|socket/i.test(message)) {
    return new StoreConnectionError(`Lost the connection to ${at} during ${ctx.op} (${message})`, { cause });
  }
  if (/pool after calling end/i.test(message)) {
    return new StoreOperationError(`The pool for ${at} was ended by its owner (during ${ctx.op})`, { cause });
  }
  return new StoreOperationError(`${at} failed ${ctx.op} (${err.name})`, { cause });
}

function mapSqlState(
  code: string,
  message: string,
  constraint: string | undefined,
  ctx: PgErrorContext,
): OAuthKVError {
  const at = `PostgreSQL at ${ctx.where}`;
  const cls = code.slice(0, 2);
  const { op } = ctx;
  // The server's primary message holds no row data for these classes; `detail` and `where`
  // (which can) are never copied, and the driver error is not attached as `cause`.
  if (code === '57014') return new StoreTimeoutError(`${at} cancelled ${op} (${code}: ${message})`);
  if (cls === '08' || code.startsWith('57P') || code === '53300') {
    if (code === '57P04') return new StoreSetupError(`${at} dropped the database (${code}: ${message})`);
    return new StoreConnectionError(`Lost the connection to ${at} during ${op} (${code}: ${message})`);
  }
  if (RETRYABLE_STATES.has(code)) {
    return new StoreConnectionError(`${at} aborted ${op}; retry it (${code}: ${message})`);
  }
  if (code === '25006') return new ReadOnlyError(`${at} is read-only (${code}: ${message})`);
  if (WRITES.has(op) && VALUE_STATES.has(code)) {
    return new SerializationError(`${at} refused the value during ${op} (${code})`, '$');
  }
  if (WRITES.has(op) && code === '54000') {
    return new InvalidKeyError(
      `${at} refused ${op}: the key or collection is too long for the primary-key index (${code})`,
    );
  }
  if (cls === '42' || cls === '28' || cls === '3F' || cls === '3D' || cls === '0A') {
    return new StoreSetupError(`${at} refused ${op} on ${ctx.table} (${code}: ${message})`);
  }
  if (cls === '23') {
    const name = constraint === undefined ? '' : ` "${constraint}"`;
    return new StoreOperationError(`A constraint${name} on ${ctx.table} refused ${op} at ${at} (${code})`);
  }
  if (cls === 'P0') {
    // A trigger's message is its author's text and may quote the row: the code only.
    return new StoreOperationError(
      `A trigger or rule on ${ctx.table} raised an exception during ${op} at ${at} (${code})`,
    );
  }
  return new StoreOperationError(`${at} failed ${op} (${code})`);
}
