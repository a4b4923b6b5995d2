/**
 * The error hierarchy of oauth-kv. Every error is an {@link OAuthKVError} with a stable `code`
 * string, so callers can branch on `err.code` even across package copies. Messages help the reader
 * but never contain a stored value, a secret or key material.
 *
 * @example
 * ```ts
 * import { InvalidTTLError, MemoryStore } from 'oauth-kv';
 *
 * try {
 *   await new MemoryStore().put('k', { a: 1 }, { ttl: -1 });
 * } catch (err) {
 *   if (err instanceof InvalidTTLError) console.log(err.code); // "INVALID_TTL"
 * }
 * ```
 * @module
 */

/**
 * The stable codes carried by {@link OAuthKVError.code}.
 *
 * @example
 * ```ts
 * import type { OAuthKVErrorCode } from 'oauth-kv';
 * const retryable: OAuthKVErrorCode[] = ['STORE_CONNECTION', 'STORE_TIMEOUT'];
 * ```
 */
export type OAuthKVErrorCode =
  | 'SERIALIZATION_ERROR'
  | 'DESERIALIZATION_ERROR'
  | 'INVALID_KEY'
  | 'INVALID_TTL'
  | 'STORE_CONNECTION'
  | 'STORE_TIMEOUT'
  | 'STORE_SETUP'
  | 'STORE_OPERATION'
  | 'STORE_CLOSED'
  | 'READ_ONLY'
  | 'NOT_SUPPORTED'
  | 'VALUE_TOO_LARGE'
  | 'VALIDATION_ERROR'
  | 'ENCRYPTION_ERROR'
  | 'DECRYPTION_ERROR'
  | 'RECORD_BINDING'
  | 'REMOTE_FETCH';

/**
 * Base class of every error oauth-kv throws.
 *
 * @example
 * ```ts
 * import { OAuthKVError } from 'oauth-kv';
 *
 * try { await store.get(''); } catch (err) {
 *   if (err instanceof OAuthKVError) console.log(err.code); // "INVALID_KEY"
 * }
 * ```
 */
export class OAuthKVError extends Error {
  /** A stable, machine-readable code for the kind of failure. */
  readonly code: OAuthKVErrorCode;

  constructor(code: OAuthKVErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * Whether the same operation may succeed if tried again: `true` only for
   * {@link StoreConnectionError} and {@link StoreTimeoutError}. The retry wrapper retries exactly these.
   */
  get retryable(): boolean {
    return false;
  }
}

/**
 * A value is not a plain JSON object, or holds something that would not survive a JSON round trip.
 * `path` names the offending member (`$.tokens[2].expires`). Nothing was written.
 *
 * @example
 * ```ts
 * import { SerializationError } from 'oauth-kv';
 *
 * try { await store.put('k', { at: Number.NaN }); } catch (err) {
 *   if (err instanceof SerializationError) console.log(err.path); // "$.at"
 * }
 * ```
 */
export class SerializationError extends OAuthKVError {
  /** JSONPath-like location of the offending member, `$` for the value itself. */
  readonly path: string;

  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super('SERIALIZATION_ERROR', `${message} (at ${path})`, options);
    this.path = path;
  }
}

/**
 * A stored document could not be read back (corrupted, truncated, or not in a known format).
 *
 * @example
 * ```ts
 * import { DeserializationError } from 'oauth-kv';
 *
 * try { await store.get('k'); } catch (err) {
 *   if (err instanceof DeserializationError) console.error('corrupted entry', err.message);
 * }
 * ```
 */
export class DeserializationError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DESERIALIZATION_ERROR', message, options);
  }
}

/**
 * A key or collection name is not a non-empty, well-formed Unicode string.
 *
 * @example
 * ```ts
 * import { InvalidKeyError } from 'oauth-kv';
 *
 * await store.get('').catch((err) => err instanceof InvalidKeyError); // true
 * ```
 */
export class InvalidKeyError extends OAuthKVError {
  constructor(message: string) {
    super('INVALID_KEY', message);
  }
}

/**
 * A TTL is not a finite number of seconds greater than zero. Nothing was written.
 *
 * @example
 * ```ts
 * import { InvalidTTLError } from 'oauth-kv';
 *
 * await store.put('k', {}, { ttl: 0 }).catch((err) => err instanceof InvalidTTLError); // true
 * ```
 */
export class InvalidTTLError extends OAuthKVError {
  constructor(message: string) {
    super('INVALID_TTL', message);
  }
}

/**
 * The backend could not be reached or dropped the connection. The operation may succeed if
 * retried later (see the retry wrapper).
 *
 * @example
 * ```ts
 * import { StoreConnectionError } from 'oauth-kv';
 *
 * try { await store.get('k'); } catch (err) {
 *   if (err instanceof StoreConnectionError) console.warn('backend down, will retry');
 * }
 * ```
 */
export class StoreConnectionError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown; code?: 'STORE_CONNECTION' | 'STORE_TIMEOUT' }) {
    super(options?.code ?? 'STORE_CONNECTION', message, options);
  }

  /** Always `true`: connection loss, timeouts, serialization failures and deadlocks may pass. */
  override get retryable(): boolean {
    return true;
  }
}

/**
 * An operation did not complete within its time limit. A kind of {@link StoreConnectionError},
 * so retry policies treat it the same way.
 *
 * @example
 * ```ts
 * import { StoreTimeoutError } from 'oauth-kv';
 *
 * try { await store.get('k'); } catch (err) {
 *   if (err instanceof StoreTimeoutError) console.warn(err.message);
 * }
 * ```
 */
export class StoreTimeoutError extends StoreConnectionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'STORE_TIMEOUT' });
  }
}

/**
 * The backend is reachable but not set up for use: a missing table the store may not create,
 * a directory it cannot write, an invalid table name.
 *
 * @example
 * ```ts
 * import { StoreSetupError } from 'oauth-kv';
 *
 * try { await store.get('k'); } catch (err) {
 *   if (err instanceof StoreSetupError) console.error(err.message); // says what to create
 * }
 * ```
 */
export class StoreSetupError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_SETUP', message, options);
  }
}

/**
 * The backend refused or failed the operation for a reason that retrying will not fix: a
 * constraint, check or trigger rejected it, permission was denied, the data in the backend is not
 * what the store expects, or the driver failed in a way the store does not recognise. Never
 * retryable; the message names the operation, never a value or a password.
 *
 * @example
 * ```ts
 * import { StoreOperationError } from 'oauth-kv';
 *
 * try { await store.put('k', { a: 1 }); } catch (err) {
 *   if (err instanceof StoreOperationError) console.error(err.message, err.retryable); // false
 * }
 * ```
 */
export class StoreOperationError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_OPERATION', message, options);
  }
}

/**
 * The store was closed; create a new one to go on.
 *
 * @example
 * ```ts
 * import { StoreClosedError } from 'oauth-kv';
 *
 * await store.close();
 * await store.get('k').catch((err) => err instanceof StoreClosedError); // true
 * ```
 */
export class StoreClosedError extends OAuthKVError {
  constructor(message = 'The store is closed') {
    super('STORE_CLOSED', message);
  }
}

/**
 * A write was attempted through a read-only store.
 *
 * @example
 * ```ts
 * import { ReadOnlyError, withReadOnly } from 'oauth-kv';
 *
 * await withReadOnly(store).put('k', {}).catch((err) => err instanceof ReadOnlyError); // true
 * ```
 */
export class ReadOnlyError extends OAuthKVError {
  constructor(message = 'The store is read-only') {
    super('READ_ONLY', message);
  }
}

/**
 * An optional capability (`keys`, `collections`, `destroyCollection`, `cull`) was called on a
 * store whose `capabilities` do not announce it.
 *
 * @example
 * ```ts
 * import { NotSupportedError } from 'oauth-kv';
 *
 * if (!store.capabilities.cull) console.log('this backend expires entries natively');
 * await store.cull().catch((err) => err instanceof NotSupportedError);
 * ```
 */
export class NotSupportedError extends OAuthKVError {
  constructor(operation: string, store: string) {
    super('NOT_SUPPORTED', `${store} does not support ${operation}()`);
  }
}

/**
 * A value is larger than the limit a store or wrapper enforces. Nothing was written.
 *
 * @example
 * ```ts
 * import { ValueTooLargeError, withSizeLimit } from 'oauth-kv';
 *
 * const limited = withSizeLimit(store, { maxBytes: 64_000 });
 * await limited.put('k', { big: 'x'.repeat(1e6) }).catch((err) => err instanceof ValueTooLargeError);
 * ```
 */
export class ValueTooLargeError extends OAuthKVError {
  /** Size of the serialized value in bytes. */
  readonly size: number;
  /** The limit in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('VALUE_TOO_LARGE', `Value is ${size} bytes, over the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A value failed schema validation in a typed view, or an argument other than a value has the
 * wrong shape (an options argument that is not an object, a bad `keys()` limit or cursor).
 * `issues` lists what failed, by path (`$.client_id`, `options.limit`) and message, never the
 * value itself.
 *
 * @example
 * ```ts
 * import { type TypedCollection, ValidationError } from 'oauth-kv';
 *
 * declare const clients: TypedCollection<{ client_id: string }>;
 * try { await clients.put('c1', JSON.parse('{"client_id": 42}')); } catch (err) {
 *   if (err instanceof ValidationError) console.log(err.issues);
 * }
 * ```
 */
export class ValidationError extends OAuthKVError {
  /** What failed: a message and, where known, the path inside the value. */
  readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: string }>;

  constructor(message: string, issues: ReadonlyArray<{ message: string; path?: string }>) {
    super('VALIDATION_ERROR', message);
    this.issues = issues;
  }
}

/**
 * A value could not be encrypted (for example an invalid key was configured).
 *
 * @example
 * ```ts
 * import { EncryptionError } from 'oauth-kv';
 *
 * await store.put('k', {}).catch((err) => err instanceof EncryptionError);
 * ```
 */
export class EncryptionError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ENCRYPTION_ERROR', message, options);
  }
}

/**
 * A stored value could not be decrypted: wrong key, tampered token, unknown format version, or a
 * plaintext value where an encrypted one was required.
 *
 * @example
 * ```ts
 * import { DecryptionError } from 'oauth-kv';
 *
 * try { await store.get('k'); } catch (err) {
 *   if (err instanceof DecryptionError) console.error('cannot decrypt: rotate keys?');
 * }
 * ```
 */
export class DecryptionError extends OAuthKVError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DECRYPTION_ERROR', message, options);
  }
}

/**
 * An OAuth record was read under a key or collection other than the one it was written under
 * (copied or moved in the database by someone without the encryption key), or lacks the binding
 * the OAuth layer requires. The OAuth flows treat such a record as absent.
 *
 * @example
 * ```ts
 * import { RecordBindingError } from 'oauth-kv';
 * import { OAuthStateStore } from 'oauth-kv/mcp';
 *
 * const state = new OAuthStateStore(store, {
 *   onRecordRefused: (err) => {
 *     if (err instanceof RecordBindingError) console.warn(err.code); // "RECORD_BINDING": a record was moved
 *   },
 * });
 * ```
 */
export class RecordBindingError extends OAuthKVError {
  constructor(message: string) {
    super('RECORD_BINDING', message);
  }
}

/**
 * A request oauth-kv made to another server failed: a token introspection endpoint or a client
 * metadata document. `reason` says how; the message names the host at most, never a token, a
 * secret or the document. Nothing was cached as valid.
 *
 * @example
 * ```ts
 * import { RemoteFetchError } from 'oauth-kv';
 * import type { CachedTokenVerifier } from 'oauth-kv/mcp';
 *
 * declare const verifier: CachedTokenVerifier;
 * try { await verifier.verifyAccessToken(token); } catch (err) {
 *   if (err instanceof RemoteFetchError) console.warn(err.reason); // "timeout"
 * }
 * ```
 */
export class RemoteFetchError extends OAuthKVError {
  /**
   * `network` (unreachable), `timeout`, `status` (a non-2xx answer), `too-large`, `redirect`
   * (refused: not followed), `address` (a private, loopback or link-local address, refused),
   * `invalid` (not the JSON document expected).
   */
  readonly reason: 'network' | 'timeout' | 'status' | 'too-large' | 'redirect' | 'address' | 'invalid';

  constructor(reason: RemoteFetchError['reason'], message: string, options?: { cause?: unknown }) {
    super('REMOTE_FETCH', message, options);
    this.reason = reason;
  }

  /** `true` for `network` and `timeout`: the same request may succeed later. */
  override get retryable(): boolean {
    return this.reason === 'network' || this.reason === 'timeout';
  }
}
