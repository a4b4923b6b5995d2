/**
 * `oauth-kv/backend`: what an author of a custom backend needs. {@link BaseStore} (validation,
 * serialization and expiry decided once; a backend implements only its primitives), the py-key-value
 * document helpers, the shared validators and stored-JSON reader, and the backend kit (lazy peer import, lazily created client, bounded
 * concurrency, sleep, option checks, driver errors scrubbed of secrets before they are kept as `cause`).
 *
 * @example
 * ```ts
 * import { BaseStore, loadPeer, Lazy } from 'oauth-kv/backend';
 * ```
 * @module
 */
export { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../base-store.js';
export {
  decodeEntryDocument,
  decodeEntryValue,
  documentToEntry,
  type EntryDocument,
  entryToDocument,
  entryToDocumentJson,
  formatIsoDate,
  isExpired,
  isUnreadableEntry,
  type PreparedEntry,
  parseIsoDate,
  type StoredEntry,
  type UnreadableEntry,
} from '../entry.js';
export { parseStoredJson } from '../stored-json.js';
export { isPlainObject, parseJsonObject, serializeValue, validateName, validateTtl } from '../validation.js';
export { Lazy, loadPeer, mapLimit, options, sleep } from './kit.js';
export { sanitized, scrub, scrubbedMessage } from './scrub.js';
