/**
 * The Keyv {@link KeyvStore} talks to (the one passed in, or one built around an adapter on first
 * use) and the error policy for what Keyv and its adapter throw.
 * @module
 */
import type { Keyv, KeyvStoreAdapter } from 'keyv';
import { Lazy, loadPeer } from '../../backend/kit.js';
import { OAuthKVError, StoreConnectionError, StoreOperationError, StoreTimeoutError } from '../../errors.js';

/** What a `KeyvStore` accepts: a Keyv instance, a Keyv storage adapter, or a `Map`. */
export type KeyvSource = Keyv | KeyvStoreAdapter | Map<unknown, unknown>;

export function isKeyv(value: unknown): value is Keyv {
  const v = value as { getRaw?: unknown; hooks?: unknown; opts?: { store?: unknown } } | null;
  return typeof v?.getRaw === 'function' && typeof v.hooks === 'object' && v.opts?.store !== undefined;
}

/** `true` when the source can enumerate its entries (Keyv's iterator). */
export function canIterate(source: KeyvSource): boolean {
  return isKeyv(source)
    ? typeof source.iterator === 'function'
    : source instanceof Map || typeof (source as KeyvStoreAdapter).iterator === 'function';
}

/**
 * The Keyv of a source, created once: a Keyv instance is used as it is; an adapter (or `Map`) is
 * wrapped in a `Keyv` with `namespace` and `throwOnErrors: true`, the `keyv` package loaded then.
 */
export function keyvOf(source: KeyvSource, namespace: string): Lazy<Keyv> {
  return new Lazy(async () => {
    if (isKeyv(source)) return source;
    const mod = await loadPeer('KeyvStore', 'keyv', () => import('keyv'));
    const keyv = new mod.Keyv({ store: source, namespace, throwOnErrors: true });
    // Keyv 5 builds iterator() only for adapters it knows by dialect; any adapter with an
    // iterator works the same way.
    const adapter = source as KeyvStoreAdapter;
    if (keyv.iterator === undefined && typeof adapter.iterator === 'function') {
      keyv.iterator = keyv.generateIterator(adapter.iterator.bind(adapter));
    }
    return keyv;
  });
}

/** System error codes of a network failure that may pass: the operation may be retried. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
/** Error classes of the `redis` client (under `@keyv/redis`) that mean the connection is down. */
const CONNECTION_CLASSES = new Set([
  'ClientOfflineError',
  'ClientClosedError',
  'SocketClosedUnexpectedlyError',
  'ReconnectStrategyError',
]);
const TIMEOUT_CLASSES = new Set(['ConnectionTimeoutError', 'SocketTimeoutError']);
/** `@keyv/redis` throws this, with no code or cause, when it cannot connect. */
const NOT_CONNECTED = 'Redis client is not connected';

/**
 * Maps what Keyv or its adapter threw onto the error policy. An adapter's errors are unknown to
 * oauth-kv, so they are a permanent {@link StoreOperationError} unless clearly a lost connection:
 * a network error code anywhere in the cause chain (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`,
 * `ENOTFOUND`, ...; `ETIMEDOUT` → {@link StoreTimeoutError}), or one of the `redis` client's
 * connection errors. The adapter's error is kept as the cause.
 */
export function keyvError(operation: string, err: unknown): OAuthKVError {
  if (err instanceof OAuthKVError) return err;
  const kind = connectionKind(err, 0, new Set());
  if (kind?.timeout) {
    return new StoreTimeoutError(`Keyv ${operation} failed: ${kind.what}`, { cause: err });
  }
  if (kind !== undefined) {
    return new StoreConnectionError(`Keyv ${operation} failed: ${kind.what}; the operation may be retried`, {
      cause: err,
    });
  }
  return new StoreOperationError(`Keyv ${operation} failed (the adapter's error is the cause)`, {
    cause: err,
  });
}

function connectionKind(
  err: unknown,
  depth: number,
  seen: Set<unknown>,
): { what: string; timeout: boolean } | undefined {
  if (err === null || typeof err !== 'object' || depth > 8 || seen.has(err)) return undefined;
  seen.add(err);
  const { code, cause, errors, message } = err as {
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
    message?: unknown;
  };
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return { what: code, timeout: true };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return { what: code, timeout: false };
  const className = (err as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && TIMEOUT_CLASSES.has(className)) {
    return { what: className, timeout: true };
  }
  if (typeof className === 'string' && CONNECTION_CLASSES.has(className)) {
    return { what: className, timeout: false };
  }
  if (typeof message === 'string' && message.startsWith(NOT_CONNECTED)) {
    return { what: 'not connected', timeout: false };
  }
  for (const next of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = connectionKind(next, depth + 1, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}
