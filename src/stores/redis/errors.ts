/**
 * How the Redis store turns what ioredis throws into oauth-kv errors. The policy, also in
 * docs/redis.md:
 *
 * | ioredis error | oauth-kv error | retryable |
 * |---|---|---|
 * | no reply within `commandTimeoutMs`, `Command timed out`, socket or connect timeout (`ETIMEDOUT`) | `StoreTimeoutError` | yes |
 * | connection refused, reset, closed or not found (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, `ENOTFOUND`, …), a command aborted by a closing connection, no reachable Cluster node, too many Cluster redirections (a `MOVED`/`ASK` storm) | `StoreConnectionError` | yes |
 * | server replies `LOADING`, `BUSY`, `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN`, `READONLY` (a failover), `NOREPLICAS`, `MOVED`, `ASK` | `StoreConnectionError` | yes |
 * | `NOAUTH`, `WRONGPASS`, `NOPERM`, a TLS handshake or certificate failure, connection options Node refuses (`ERR_SOCKET_BAD_PORT`, ...) | `StoreSetupError` | no |
 * | `WRONGTYPE` (a key of another Redis type where an entry belongs) on `take` or `putIfAbsent` | `StoreOperationError` | no |
 * | `WRONGTYPE` on `get`/`ttl` | `DeserializationError` (an unreadable entry; `getMany` reads it as missing, as `MGET` does) | no |
 * | `OOM` (`maxmemory` reached with a policy that cannot evict) | `StoreOperationError` | no |
 * | `NOSCRIPT` | the script is sent again with `EVAL`; never surfaces | - |
 * | `ERR` (a script or command error), `EXECABORT`, any other reply, any error not listed here | `StoreOperationError` | no |
 *
 * No error carries a command's arguments (ioredis attaches them, and they hold values) or a
 * password: a driver error is kept as `cause` only as a copy with its name, code and message.
 * @module
 */
import { sanitized, scrubbedMessage } from '../../backend/scrub.js';
import {
  OAuthKVError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';

export { scrub } from '../../backend/scrub.js';

/** Server replies that a later attempt may not get: loading, busy, failover, cluster changes. */
const RETRYABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'MASTERDOWN',
  'READONLY',
  'NOREPLICAS',
  'MOVED',
  'ASK',
]);
/** Server replies that say the credentials or ACLs are wrong. */
const SETUP_REPLIES = new Set(['NOAUTH', 'WRONGPASS', 'NOPERM']);
/** Socket error codes of a connection that failed or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a Unix socket path that does not exist
]);
/** ioredis errors of a connection that is closed or a Cluster that cannot route yet. */
const CONNECTION_NAMES = new Set(['MaxRetriesPerRequestError', 'AbortError', 'ClusterAllFailedError']);
const CONNECTION_MESSAGES =
  /^(Connection is closed|Stream isn't writeable|None of startup nodes is available|Too many Cluster redirections|Failed to refresh slots cache|Cluster isn't ready)/;

/** The code a Redis error reply starts with (`WRONGTYPE`, `ERR`, ...). */
export function replyCode(err: Error): string | undefined {
  if (err.name !== 'ReplyError') return undefined;
  return /^[A-Z]+/.exec(err.message)?.[0] ?? 'ERR';
}

/**
 * The oauth-kv error for what a Redis command threw. `address` is `host:port` (never a password);
 * `secrets` are strings that must not appear in any message (the configured password).
 */
export function mapRedisError(err: unknown, address: string, secrets: readonly string[]): OAuthKVError {
  if (err instanceof OAuthKVError) return err;
  if (!(err instanceof Error))
    return new StoreOperationError(`Redis at ${address} failed with a non-error value`);
  const reply = replyCode(err);
  if (reply !== undefined) {
    // A reply can quote the command's arguments (key names can be secrets): its code only.
    if (RETRYABLE_REPLIES.has(reply)) {
      return new StoreConnectionError(`Redis at ${address} cannot serve the command now (${reply}); retry`);
    }
    if (SETUP_REPLIES.has(reply)) {
      return new StoreSetupError(
        `Redis at ${address} refused the operation (${reply}): check credentials and ACLs`,
      );
    }
    if (reply === 'WRONGTYPE') {
      return new StoreOperationError(
        `A Redis key the store addresses at ${address} holds a value of another Redis type (WRONGTYPE)`,
      );
    }
    if (reply === 'OOM') {
      return new StoreOperationError(
        `Redis at ${address} is out of memory (OOM): raise maxmemory or use an eviction policy`,
      );
    }
    return new StoreOperationError(`Redis at ${address} replied with an error (${reply})`);
  }
  const code = errorCode(err);
  const cause = sanitized(err, secrets, describeConnectionError(err, secrets));
  if (
    err.message === 'Command timed out' ||
    err.message.startsWith('Socket timeout') ||
    code === 'ETIMEDOUT'
  ) {
    return new StoreTimeoutError(`Redis at ${address} did not answer in time; the outcome is unknown`, {
      cause,
    });
  }
  if (isTlsFailure(err)) {
    return new StoreSetupError(`TLS with Redis at ${address} failed (${code ?? 'TLS'})`, { cause });
  }
  if (
    code?.startsWith('ERR_SOCKET_BAD') ||
    code === 'ERR_INVALID_ARG_VALUE' ||
    code === 'ERR_INVALID_ARG_TYPE'
  ) {
    // Connection options Node refused (a port out of range, a bad host): waiting will not help.
    return new StoreSetupError(`Redis at ${address} cannot be connected to as configured (${code})`, {
      cause,
    });
  }
  if (
    CONNECTION_NAMES.has(err.name) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    CONNECTION_MESSAGES.test(err.message)
  ) {
    const reason = describeConnectionError(err, secrets);
    return new StoreConnectionError(`Lost the connection to Redis at ${address} (${reason})`, { cause });
  }
  return new StoreOperationError(`Redis at ${address} failed (${err.name})`, { cause });
}

/** A short, value-free description of a connection-level error. */
export function describeConnectionError(err: unknown, secrets: readonly string[]): string {
  if (!(err instanceof Error)) return 'unknown error';
  const reply = replyCode(err);
  if (reply !== undefined) return reply;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') {
    return 'connection closed while the command was in flight; its outcome is unknown';
  }
  const code = errorCode(err);
  const message = scrubbedMessage(err, secrets);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

function errorCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function isTlsFailure(err: Error): boolean {
  const code = errorCode(err) ?? '';
  return /^ERR_TLS_|^ERR_SSL_|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code);
}
