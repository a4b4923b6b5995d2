/**
 * The documents of {@link FirestoreStore}: py-key-value's layout (`version`, `value` as JSON text,
 * ISO-8601 `created_at` / `expires_at`), written and read back, with Firestore's size limit.
 * @module
 */
import type {
  DocumentData,
  DocumentReference,
  DocumentSnapshot,
  Precondition,
  Timestamp,
} from '@google-cloud/firestore';
import type { RemovedEntry } from '../../base-store.js';
import {
  documentToEntry,
  formatIsoDate,
  type PreparedEntry,
  parseIsoDate,
  type StoredEntry,
} from '../../entry.js';
import { DeserializationError, StoreOperationError, ValueTooLargeError } from '../../errors.js';
import { encodeName } from './names.js';

/** Firestore's limits: 500 writes per batch, 1 MiB per document. */
export const MAX_BATCH = 500;
const MAX_DOCUMENT_BYTES = 1_048_576;
/** Fields of the py-key-value document; `ttlField` may not reuse them. */
export const RESERVED_FIELDS = new Set(['version', 'value', 'created_at', 'expires_at', 'key', 'collection']);

/**
 * The py-key-value document of an entry, plus the names when their ids are hashes and, with a
 * `ttlField`, the expiry as a Timestamp. A {@link ValueTooLargeError} when it would not fit.
 */
export function buildDocument(
  ref: DocumentReference,
  collection: string,
  key: string,
  entry: PreparedEntry,
  ttl: { field: string; timestamp: (ms: number) => Timestamp } | undefined,
): DocumentData {
  const data: DocumentData = {
    version: 1,
    value: entry.json,
    created_at: formatIsoDate(entry.createdAt),
  };
  if (entry.expiresAt !== undefined) {
    data.expires_at = formatIsoDate(entry.expiresAt);
    if (ttl !== undefined) data[ttl.field] = ttl.timestamp(entry.expiresAt);
  }
  if (encodeName(key).hashed) data.key = key;
  if (encodeName(collection).hashed) data.collection = collection;
  const size = documentSize(ref.path, data);
  if (size > MAX_DOCUMENT_BYTES) {
    const valueBytes = Buffer.byteLength(entry.json);
    throw new ValueTooLargeError(valueBytes, valueBytes - (size - MAX_DOCUMENT_BYTES));
  }
  return data;
}

/** Reads a document into an entry; `undefined` when it does not exist. */
export function readSnapshot(snapshot: DocumentSnapshot): StoredEntry | undefined {
  if (!snapshot.exists) return undefined;
  const data = snapshot.data() as DocumentData;
  return documentToEntry({
    value: data.value,
    created_at: isoField(data.created_at),
    expires_at: isoField(data.expires_at),
  });
}

/** {@link readSnapshot}, with an unreadable document returned as its error (one `getMany` position). */
export function readSnapshotOrError(
  snapshot: DocumentSnapshot | undefined,
): StoredEntry | DeserializationError | undefined {
  if (snapshot === undefined) return undefined;
  try {
    return readSnapshot(snapshot);
  } catch (err) {
    if (err instanceof DeserializationError) return err;
    throw err;
  }
}

/**
 * What deleting this (existing) document removed: its expiry, for the base to decide whether it
 * was live. An unreadable document is deleted too and counts as an entry without expiry.
 */
export function removedFrom(snapshot: DocumentSnapshot): RemovedEntry {
  const read = readSnapshotOrError(snapshot);
  return read === undefined || read instanceof DeserializationError ? {} : { expiresAt: read.expiresAt };
}

/** Epoch ms of a date field (an ISO string, or a Timestamp written by another tool). */
export function readDate(raw: unknown): number | undefined {
  const iso = isoField(raw);
  return typeof iso === 'string' ? parseIsoDate(iso) : undefined;
}

/** The precondition "still the version of this snapshot". */
export function versionOf(snapshot: DocumentSnapshot): Precondition {
  const lastUpdateTime = snapshot.updateTime;
  // Firestore gives every existing document an update time; without one, exactly-once is not kept.
  if (lastUpdateTime === undefined) {
    throw new StoreOperationError('Firestore returned a document without an update time');
  }
  return { lastUpdateTime };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Dates are ISO strings; a Timestamp written by another tool is accepted too. */
function isoField(raw: unknown): unknown {
  if (
    raw !== null &&
    typeof raw === 'object' &&
    typeof (raw as { toMillis?: unknown }).toMillis === 'function'
  ) {
    return formatIsoDate((raw as { toMillis(): number }).toMillis());
  }
  return raw;
}

/** Firestore's documented storage size of a document (name + fields + 32 bytes). */
function documentSize(path: string, data: DocumentData): number {
  let size = 16 + 32;
  for (const segment of path.split('/')) size += Buffer.byteLength(segment) + 1;
  for (const [field, value] of Object.entries(data)) {
    size += Buffer.byteLength(field) + 1;
    size += typeof value === 'string' ? Buffer.byteLength(value) + 1 : 8;
  }
  return size;
}
