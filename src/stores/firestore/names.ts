/**
 * The reversible id encoding of {@link FirestoreStore}: collection and key names Firestore accepts
 * as ids stay identical (so Python sees the same documents); the others are escaped or hashed.
 * See `docs/firestore.md`.
 * @module
 */
import { createHash } from 'node:crypto';
import { DeserializationError } from '../../errors.js';

/** Firestore's limit on an id: 1,500 UTF-8 bytes. */
const MAX_ID_BYTES = 1500;
const RESERVED_ID = /^__.*__$/s;
/** Prefix of every encoded name: `~e` + escaped name, or `~h` + SHA-256 of an over-long name. */
const ESCAPED = '~e';
const HASHED = '~h';

/** A name's Firestore id, and whether it is a hash (the original name is then kept in the document). */
export interface EncodedName {
  /** The Firestore id. */
  id: string;
  /** `true` when the id is a hash: the original name is stored in the document. */
  hashed: boolean;
}

/**
 * Encodes a collection or key as a Firestore id. Names Firestore accepts as ids stay identical
 * (so Python sees the same document); names it refuses — containing `/`, exactly `.` or `..`,
 * matching `__.*__`, over 1,500 UTF-8 bytes — and names that start with `~` (so that no plain name
 * looks like an encoded one) are encoded: `~e` followed by the name with `%` → `%25` and `/` → `%2F`;
 * if that is still over 1,500 bytes, `~h` followed by the hex SHA-256 of the name, and the
 * original name is kept in the document's `key` / `collection` field. The mapping is injective.
 *
 * @example
 * ```ts
 * import { encodeFirestoreId } from 'oauth-kv/firestore';
 * encodeFirestoreId('client-1'); // "client-1"
 * encodeFirestoreId('https://app.example/cb'); // "~ehttps:%2F%2Fapp.example%2Fcb"
 * encodeFirestoreId('..'); // "~e.."
 * ```
 */
export function encodeFirestoreId(name: string): string {
  return encodeName(name).id;
}

/**
 * Reverses {@link encodeFirestoreId} for plain and `~e` ids; returns `undefined` for a `~h` id,
 * whose original name is only in the document.
 *
 * @example
 * ```ts
 * import { decodeFirestoreId } from 'oauth-kv/firestore';
 * decodeFirestoreId('~ehttps:%2F%2Fapp.example%2Fcb'); // "https://app.example/cb"
 * ```
 */
export function decodeFirestoreId(id: string): string | undefined {
  if (id.startsWith(ESCAPED)) {
    return id.slice(ESCAPED.length).replace(/%(25|2F)/g, (_m, hex: string) => (hex === '25' ? '%' : '/'));
  }
  if (id.startsWith(HASHED)) return undefined;
  return id;
}

/** {@link encodeFirestoreId}, telling whether the id is a hash. */
export function encodeName(name: string): EncodedName {
  if (isValidId(name) && !name.startsWith('~')) return { id: name, hashed: false };
  const escaped = `${ESCAPED}${name.replace(/%/g, '%25').replace(/\//g, '%2F')}`;
  if (Buffer.byteLength(escaped) <= MAX_ID_BYTES) return { id: escaped, hashed: false };
  return { id: `${HASHED}${createHash('sha256').update(name).digest('hex')}`, hashed: true };
}

/** `true` when Firestore accepts `segment` as a document or collection id as it is. */
export function isValidId(segment: string): boolean {
  return (
    segment.length > 0 &&
    !segment.includes('/') &&
    segment !== '.' &&
    segment !== '..' &&
    !RESERVED_ID.test(segment) &&
    Buffer.byteLength(segment) <= MAX_ID_BYTES
  );
}

/** The original name of a document or collection id (a hashed id keeps it in a field). */
export function nameOf(id: string, stored: unknown, what: 'key' | 'collection'): string {
  const decoded = decodeFirestoreId(id);
  if (decoded !== undefined) return decoded;
  if (typeof stored === 'string') return stored;
  throw new DeserializationError(`A document with a hashed id has no "${what}" field`);
}
