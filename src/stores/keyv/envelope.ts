/**
 * How {@link KeyvStore} lays entries out in Keyv: the Keyv key of `(collection, key)` and the
 * envelope (py-key-value's document with the value as JSON text) stored as the Keyv value.
 * @module
 */
import type { RemovedEntry } from '../../base-store.js';
import { documentToEntry, formatIsoDate, type PreparedEntry, type StoredEntry } from '../../entry.js';
import { DeserializationError } from '../../errors.js';
import { isPlainObject } from '../../validation.js';

/** The oauth-kv envelope kept in Keyv: py-key-value's document with the value as JSON text. */
export interface Envelope {
  version: 1;
  value: string;
  created_at: string;
  expires_at?: string;
}

/** `(collection, key)` → one Keyv key; the collection part never holds `:`, so this is injective. */
export function keyvKey(collection: string, key: string): string {
  return `${collection.replace(/%/g, '%25').replace(/:/g, '%3A')}:${key}`;
}

/** Reverses {@link keyvKey}; `undefined` for a Keyv key this store did not write. */
export function parseKeyvKey(k: string): { collection: string; key: string } | undefined {
  const i = k.indexOf(':');
  if (i < 1) return undefined;
  const collection = k.slice(0, i).replace(/%(25|3A)/g, (_m, hex: string) => (hex === '25' ? '%' : ':'));
  return { collection, key: k.slice(i + 1) };
}

export function envelope(entry: PreparedEntry): Envelope {
  const doc: Envelope = { version: 1, value: entry.json, created_at: formatIsoDate(entry.createdAt) };
  if (entry.expiresAt !== undefined) doc.expires_at = formatIsoDate(entry.expiresAt);
  return doc;
}

/** Keyv's TTL (ms, at least 1) for a TTL in seconds, so the backend evicts too. */
export function ttlMs(ttl: number | undefined): number | undefined {
  return ttl === undefined ? undefined : Math.max(1, Math.ceil(ttl * 1000));
}

/** Decodes a Keyv value; a {@link DeserializationError} when it is not an envelope. */
export function readEnvelope(raw: unknown): StoredEntry {
  if (!isPlainObject(raw)) throw new DeserializationError('The Keyv value is not an oauth-kv envelope');
  return documentToEntry(raw);
}

/** {@link readEnvelope}, with an undecodable value returned as its error (one `getMany` position). */
export function readEnvelopeOrError(raw: unknown): StoredEntry | DeserializationError | undefined {
  if (raw === undefined || raw === null) return undefined;
  try {
    return readEnvelope(raw);
  } catch (err) {
    if (err instanceof DeserializationError) return err;
    throw err;
  }
}

/** What a removed envelope reports: its expiry; an unreadable one counts as an entry without expiry. */
export function removedFrom(raw: unknown): RemovedEntry {
  try {
    return { expiresAt: readEnvelope(raw).expiresAt };
  } catch {
    return { expiresAt: undefined };
  }
}
