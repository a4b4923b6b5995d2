/**
 * oauth-kv: durable, encrypted key-value storage for OAuth state.
 *
 * The root entry holds the contract, errors, the base store, `MemoryStore`, and the wrappers.
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
export { BaseStore, type BaseStoreOptions, DEFAULT_KEYS_LIMIT } from './base-store.js';
export {
  type AsyncKeyValue,
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
export * from './crypto/fernet.js';
export * from './crypto/keys.js';
export {
  documentToEntry,
  type EntryDocument,
  entryToDocument,
  entryToDocumentJson,
  formatIsoDate,
  isExpired,
  type PreparedEntry,
  parseIsoDate,
  type StoredEntry,
} from './entry.js';
export * from './errors.js';
export { DERIVE_SECRETS, deriveStoreSecrets, type SecretSource } from './secrets.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export {
  isPlainObject,
  MAX_TTL_SECONDS,
  parseJsonObject,
  serializeValue,
  validateName,
  validateTtl,
} from './validation.js';
export { InterceptingWrapper, type StoreCall, type StoreOperation, WrapperStore } from './wrappers/base.js';
export * from './wrappers/cache.js';
export * from './wrappers/compose.js';
export * from './wrappers/encryption.js';
export * from './wrappers/fallback.js';
export * from './wrappers/namespace.js';
export * from './wrappers/read-only.js';
export * from './wrappers/retry.js';
export * from './wrappers/size-limit.js';
export * from './wrappers/statistics.js';
export * from './wrappers/timeout.js';
export * from './wrappers/ttl.js';
export * from './wrappers/typed.js';
