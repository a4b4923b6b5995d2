/**
 * `oauth-kv/backend`: what an author of a custom backend needs. {@link BaseStore} (validation,
 * serialization and expiry decided once; a backend implements only its primitives), the py-key-value
 * document helpers, and the backend kit (lazy peer import, lazily created client, bounded
 * concurrency, sleep, option checks).
 *
 * @example
 * ```ts
 * import { BaseStore, loadPeer, Lazy } from 'oauth-kv/backend';
 * ```
 * @module
 */
export {
  BaseStore,
  type BaseStoreOptions,
  type BatchTiming,
  DEFAULT_KEYS_LIMIT,
  type RemovedEntry,
} from '../base-store.js';
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
} from '../entry.js';
export { Lazy, loadPeer, mapLimit, options, sleep } from './kit.js';
