/**
 * oauth-kv: durable, encrypted key-value storage for OAuth state.
 *
 * The root entry holds what users call: the contract, errors, `MemoryStore`, the wrappers and Fernet.
 * What a custom backend needs (`BaseStore`, document helpers, the backend kit) is in `oauth-kv/backend`.
 * Backends with drivers live in subpaths (`oauth-kv/file`, `oauth-kv/postgres`, ...), so importing
 * this module never loads a database driver.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'oauth-kv';
 * const store = new MemoryStore();
 * await store.put('k', { hello: 'world' });
 * ```
 * @module
 */
export { DEFAULT_KEYS_LIMIT } from './base-store.js';
export {
  type AsyncKeyValue,
  COUNTER_FIELD,
  type CollectionOptions,
  DEFAULT_COLLECTION,
  type JsonObject,
  type JsonValue,
  type KeysOptions,
  type KeysPage,
  type PutOptions,
  type StoreCapabilities,
  type TtlResult,
} from './contract.js';
export { type CreateStoreOptions, createStore } from './create-store.js';
// Named, not `export *`: the build redirects these modules to the internal dist/core.js, which exports more.
export {
  Fernet,
  type FernetDecrypted,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKey,
} from './crypto/fernet.js';
export {
  deriveFastMcpStorageKey,
  deriveFernetKey,
  FASTMCP_STORAGE_SALT,
  type FastMcpKeySource,
  generateFernetKey,
  PBKDF2_ITERATIONS,
} from './crypto/keys.js';
export {
  DecryptionError,
  DeserializationError,
  EncryptionError,
  InvalidKeyError,
  InvalidTTLError,
  NotSupportedError,
  OAuthKVError,
  type OAuthKVErrorCode,
  ReadOnlyError,
  RecordBindingError,
  RemoteFetchError,
  SerializationError,
  StoreClosedError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
  ValidationError,
  ValueTooLargeError,
} from './errors.js';
export { DERIVE_SECRETS, deriveStoreSecrets, type SecretSource } from './secrets.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { MAX_TTL_SECONDS } from './validation.js';
// Wrapping is `withX(store, options)`, stacked with `compose`/`layer`. The wrapper classes are
// exported as types only (what `withX` returns); WrapperStore and InterceptingWrapper are the bases
// for writing your own.
export { InterceptingWrapper, type StoreCall, type StoreOperation, WrapperStore } from './wrappers/base.js';
export { type CacheOptions, type CacheWrapper, withCache } from './wrappers/cache.js';
export { compose, type Layer, layer } from './wrappers/compose.js';
export {
  BOUND_MARKER_FIELD,
  ENCRYPTED_DATA_FIELD,
  ENCRYPTION_VERSION,
  ENCRYPTION_VERSION_FIELD,
  type EncryptedValue,
} from './wrappers/encrypted-form.js';
export {
  type EncryptionOptions,
  type EncryptionWrapper,
  type ReencryptOptions,
  reencrypt,
  withEncryption,
} from './wrappers/encryption.js';
export {
  type FallbackInfo,
  type FallbackOptions,
  type FallbackWrapper,
  withFallback,
} from './wrappers/fallback.js';
export {
  type NamespaceMode,
  type NamespaceOptions,
  type NamespaceWrapper,
  withNamespace,
} from './wrappers/namespace.js';
export { type ReadOnlyOptions, type ReadOnlyWrapper, withReadOnly } from './wrappers/read-only.js';
export {
  isRetryableError,
  type RetryInfo,
  type RetryOptions,
  type RetryWrapper,
  withRetry,
} from './wrappers/retry.js';
export { type SizeLimitOptions, type SizeLimitWrapper, withSizeLimit } from './wrappers/size-limit.js';
export {
  type OperationStatistics,
  type StatisticsSnapshot,
  type StatisticsWrapper,
  withStatistics,
} from './wrappers/statistics.js';
export { type TimeoutOptions, type TimeoutWrapper, withTimeout } from './wrappers/timeout.js';
export {
  type TtlPolicy,
  type TtlPolicyOptions,
  type TtlPolicyWrapper,
  withTtlPolicy,
} from './wrappers/ttl.js';
export {
  type TypedCollection,
  type TypedCollectionOptions,
  type TypedPutOptions,
  type TypedTtlResult,
  typedCollection,
} from './wrappers/typed.js';
