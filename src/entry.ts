/**
 * The stored entry and its document form, compatible with py-key-value's `ManagedEntry`
 * (`version`, `value`, `key`, `collection`, `created_at`, `expires_at`).
 * @module
 */
import type { JsonObject } from './contract.js';
import { DeserializationError } from './errors.js';
import { formatJsonPath, readStoredJson, readStoredObject, storedJsonError } from './stored-json.js';
import { isPlainObject } from './validation.js';

/**
 * An entry as a backend hands it to the base store: the value plus its timestamps in epoch
 * milliseconds. The value object is owned by the receiver (backends return a fresh object).
 *
 * @example
 * ```ts
 * import type { StoredEntry } from 'oauth-kv/backend';
 * const entry: StoredEntry = { value: { a: 1 }, createdAt: Date.now(), expiresAt: Date.now() + 60_000 };
 * ```
 */
export interface StoredEntry {
  /** The stored JSON object. */
  value: JsonObject;
  /** When the entry was written, epoch ms (absent when the backend does not know). */
  createdAt?: number | undefined;
  /** When the entry expires, epoch ms; absent for no expiry. */
  expiresAt?: number | undefined;
}

/**
 * An entry ready to be written: validated, serialized once, with its timestamps computed.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { entryToDocumentJson, type PreparedEntry } from 'oauth-kv/backend';
 *
 * // A backend's writeEntry primitive:
 * async function writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
 *   await writeFile(`/data/${collection}/${key}.json`, entryToDocumentJson(entry, { key, collection }));
 * }
 * ```
 */
export interface PreparedEntry {
  /** The value object as the caller passed it (do not keep a reference; use `json`). */
  readonly value: JsonObject;
  /** The value as compact JSON text. */
  readonly json: string;
  /** Write time, epoch ms. */
  readonly createdAt: number;
  /** Expiry, epoch ms; `undefined` for no expiry. */
  readonly expiresAt: number | undefined;
  /** The TTL in seconds the caller asked for; `undefined` for no expiry. */
  readonly ttl: number | undefined;
}

/**
 * The py-key-value document of an entry. `value` is an object (Redis, files) or a JSON string
 * (Firestore).
 *
 * @example
 * ```ts
 * import type { EntryDocument } from 'oauth-kv/backend';
 * const doc: EntryDocument = { version: 1, value: { a: 1 }, created_at: '2026-11-22T10:30:00+00:00' };
 * ```
 */
export interface EntryDocument {
  version: 1;
  value: JsonObject | string;
  key?: string;
  collection?: string;
  created_at?: string;
  expires_at?: string;
}

/**
 * `true` when the entry has an expiry at or before `now` (py-key-value's `expires_at <= now`).
 *
 * @example
 * ```ts
 * import { isExpired } from 'oauth-kv/backend';
 * isExpired({ expiresAt: Date.now() - 1 }); // true
 * ```
 */
export function isExpired(entry: { expiresAt?: number | undefined }, now: number = Date.now()): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}

/**
 * Formats epoch milliseconds the way Python's `datetime.isoformat()` formats an aware UTC time:
 * `2026-11-22T10:30:00.123000+00:00`, the fraction only when non-zero.
 *
 * @example
 * ```ts
 * import { formatIsoDate } from 'oauth-kv/backend';
 * formatIsoDate(Date.UTC(2026, 10, 22, 10, 30)); // "2026-11-22T10:30:00+00:00"
 * ```
 */
export function formatIsoDate(ms: number): string {
  // A batch shares its two dates (created, expires): the last two answers are kept, so putMany(100)
  // formats two dates instead of 200.
  if (ms === formatted.lastMs) return formatted.lastText;
  if (ms === formatted.prevMs) return formatted.prevText;
  const text = formatIsoDateNow(ms);
  formatted.prevMs = formatted.lastMs;
  formatted.prevText = formatted.lastText;
  formatted.lastMs = ms;
  formatted.lastText = text;
  return text;
}

/** The last two dates {@link formatIsoDate} formatted (NaN never matches: nothing cached yet). */
const formatted = { lastMs: Number.NaN, lastText: '', prevMs: Number.NaN, prevText: '' };

function formatIsoDateNow(ms: number): string {
  // One date formatted per write (two with a TTL): built by hand, about 4× faster than slicing
  // toISOString(), which matters next to a sub-millisecond Redis round trip.
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 1000 || year > 9999) {
    const iso = d.toISOString(); // rare: keep the exact ECMAScript form for odd years
    const millis = iso.slice(-4, -1);
    return millis === '000' ? `${iso.slice(0, -5)}+00:00` : `${iso.slice(0, -5)}.${millis}000+00:00`;
  }
  const base = `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  const millis = d.getUTCMilliseconds();
  if (millis === 0) return `${base}+00:00`;
  return `${base}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}000+00:00`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Parses an ISO-8601 date-time with an offset (`Z`, `+00:00`, `+0530`, microsecond fractions) into
 * epoch milliseconds. Returns `undefined` for anything else, including dates without an offset.
 *
 * @example
 * ```ts
 * import { parseIsoDate } from 'oauth-kv/backend';
 * parseIsoDate('2026-11-22T10:30:00.123456+00:00'); // 1795343400123
 * ```
 */
export function parseIsoDate(text: string): number | undefined {
  // The documents of one batch share their two dates: the last two answers are kept, so reading
  // getMany(100) parses two dates instead of 200 (comparing equal strings is cheaper than parsing).
  if (text === parsed.lastText) return parsed.lastMs;
  if (text === parsed.prevText) return parsed.prevMs;
  const ms = parseIsoDateNow(text);
  parsed.prevText = parsed.lastText;
  parsed.prevMs = parsed.lastMs;
  parsed.lastText = text;
  parsed.lastMs = ms;
  return ms;
}

/** The last two texts {@link parseIsoDate} read ('' is not a date: the right answer to start with). */
const parsed: { lastText: string; lastMs: number | undefined; prevText: string; prevMs: number | undefined } =
  {
    lastText: '',
    lastMs: undefined,
    prevText: '',
    prevMs: undefined,
  };

function parseIsoDateNow(text: string): number | undefined {
  const fast = parseCanonicalUtc(text);
  if (fast !== undefined) return fast;
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, offset] = m as unknown as [string, ...string[]];
  const millis = frac ? Math.floor(Number(`0.${frac}`) * 1000 + 1e-6) : 0;
  const check = new Date(
    Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), millis),
  );
  check.setUTCFullYear(Number(y)); // Date.UTC alone would map years below 100 to 19xx
  let utc = check.getTime();
  const outOfRange = Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59;
  if (outOfRange || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) {
    return undefined;
  }
  if (offset && offset !== 'Z' && offset !== 'z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const hhmm = offset.slice(1).replace(':', '');
    const minutes = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(2) || 0);
    utc -= sign * minutes * 60_000;
  }
  return utc;
}

/**
 * Fast path for the form Python and oauth-kv write, `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`:
 * epoch ms, or `undefined` for any other form (left to the general parser).
 */
function parseCanonicalUtc(raw: string): number | undefined {
  const fraction = raw.length === 32;
  if (!(raw.length === 25 || fraction) || !raw.endsWith('+00:00')) return undefined;
  if (raw[4] !== '-' || raw[7] !== '-' || raw[10] !== 'T' || raw[13] !== ':' || raw[16] !== ':')
    return undefined;
  if (fraction && (raw[19] !== '.' || Number.isNaN(digits(raw, 23, 3)))) return undefined;
  const year = digits(raw, 0, 4);
  const month = digits(raw, 5, 2);
  const day = digits(raw, 8, 2);
  const hour = digits(raw, 11, 2);
  const minute = digits(raw, 14, 2);
  const second = digits(raw, 17, 2);
  const millis = fraction ? digits(raw, 20, 3) : 0;
  // Every comparison is false for NaN, so a non-digit anywhere falls through to the general parser.
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && millis >= 0)) {
    return undefined;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > days || year < 1000) return undefined; // Date.UTC maps years below 100 to 19xx
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** The decimal number in `text[start, start + length)`; `NaN` when a character is not a digit. */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Builds the py-key-value document of an entry. With `key`/`collection` the names are included
 * (the Redis layout); `valueAsString` stores the value as JSON text (the Firestore layout).
 *
 * @example
 * ```ts
 * import { entryToDocument } from 'oauth-kv/backend';
 * entryToDocument({ value: { a: 1 }, createdAt: 0 }, { key: 'k', collection: 'c' });
 * // { version: 1, value: { a: 1 }, key: 'k', collection: 'c', created_at: '1970-01-01T00:00:00+00:00' }
 * ```
 */
export function entryToDocument(
  entry: StoredEntry,
  options: { key?: string; collection?: string; valueAsString?: boolean } = {},
): EntryDocument {
  const doc: EntryDocument = {
    version: 1,
    value: options.valueAsString ? JSON.stringify(entry.value) : entry.value,
  };
  if (options.key !== undefined) doc.key = options.key;
  if (options.collection !== undefined) doc.collection = options.collection;
  if (entry.createdAt !== undefined) doc.created_at = formatIsoDate(entry.createdAt);
  if (entry.expiresAt !== undefined) doc.expires_at = formatIsoDate(entry.expiresAt);
  return doc;
}

/**
 * Serializes a prepared entry to document JSON text without serializing the value a second time.
 * Field order follows Python's `sort_keys=True`.
 *
 * @example
 * ```ts
 * import { entryToDocumentJson } from 'oauth-kv/backend';
 * // '{"collection":"c","created_at":"...","key":"k","value":{"a":1},"version":1}'
 * ```
 */
export function entryToDocumentJson(
  entry: PreparedEntry,
  names: { key?: string; collection?: string } = {},
): string {
  let out = '{';
  if (names.collection !== undefined) out += `"collection":${quoteCollection(names.collection)},`;
  out += `"created_at":"${formatIsoDate(entry.createdAt)}",`;
  if (entry.expiresAt !== undefined) out += `"expires_at":"${formatIsoDate(entry.expiresAt)}",`;
  if (names.key !== undefined) out += `"key":${JSON.stringify(names.key)},`;
  out += `"value":${entry.json},"version":1}`;
  return out;
}

/** The collection's JSON string; a batch writes one collection, so the last one is kept. */
function quoteCollection(collection: string): string {
  if (collection !== quoted.name) {
    quoted.json = JSON.stringify(collection);
    quoted.name = collection;
  }
  return quoted.json;
}
const quoted = { name: '', json: '""' };

/**
 * An entry a backend found but cannot read, in place of a {@link StoredEntry}: what Python wrote
 * and JavaScript cannot represent (an integer beyond 2^53, `NaN`, `Infinity`) or a corrupted
 * document. `unreadable` says why, naming the path; the dates are given when they could still be
 * read, so an expired unreadable entry counts as expired. The base store reports it on that key
 * only: a single read throws `unreadable`, a bulk read returns `undefined` at its position.
 *
 * @example
 * ```ts
 * import { decodeEntryDocument, isUnreadableEntry } from 'oauth-kv/backend';
 * const entry = decodeEntryDocument('{"version":1,"value":{"n":NaN}}');
 * if (isUnreadableEntry(entry)) console.log(entry.unreadable.message); // ... (at $.n)
 * ```
 */
export interface UnreadableEntry {
  /** Why the entry cannot be read; the message names the JSON path, never a stored value. */
  readonly unreadable: DeserializationError;
  /** When the entry was written, epoch ms, when its document still says so. */
  readonly createdAt?: number | undefined;
  /** When the entry expires, epoch ms, when its document still says so. */
  readonly expiresAt?: number | undefined;
}

/**
 * `true` for the {@link UnreadableEntry} marker a backend returns for an entry it cannot read.
 *
 * @example
 * ```ts
 * import { decodeEntryDocument, isUnreadableEntry } from 'oauth-kv/backend';
 * isUnreadableEntry(decodeEntryDocument('{"value":{"a":1}}')); // false
 * ```
 */
export function isUnreadableEntry(
  entry: StoredEntry | UnreadableEntry | undefined,
): entry is UnreadableEntry {
  return entry !== undefined && 'unreadable' in entry;
}

/**
 * Reads a py-key-value document (an object or its JSON text) into a {@link StoredEntry}, or into
 * an {@link UnreadableEntry} marker when it cannot be read; never throws. Backends call it for each
 * entry of a bulk read, so one entry Python wrote that JavaScript cannot represent fails that
 * entry only. JSON text goes through {@link parseStoredJson}'s rules: integers a double cannot hold
 * exactly, `NaN` and `Infinity` are refused, never rounded. Unknown fields and `version` are
 * ignored; `value` may be an object or a string holding one.
 *
 * @example
 * ```ts
 * import { decodeEntryDocument, type EntryDocument, isUnreadableEntry } from 'oauth-kv/backend';
 * declare const docs: Array<EntryDocument | null>; // read from the backend
 * const entries = docs.map((doc) => (doc === null ? undefined : decodeEntryDocument(doc)));
 * const readable = entries.filter((e) => e !== undefined && !isUnreadableEntry(e));
 * ```
 */
export function decodeEntryDocument(document: unknown): StoredEntry | UnreadableEntry {
  let doc = document;
  if (typeof doc === 'string') {
    // The common case first: one parse, no result object; a document that fails it is read again
    // by readStoredJson, which says why.
    const fast = readStoredObject(doc);
    if (fast !== undefined) return decodeFields(fast);
    const read = readStoredJson(doc);
    if (!read.ok) {
      if (read.kind !== 'inexact') return unreadable(notADocument());
      const inValue = read.path[0] === 'value';
      const error = storedJsonError(read, inValue ? 'The stored value' : 'The stored document', (parts) =>
        formatJsonPath(inValue ? parts.slice(1) : parts),
      );
      return unreadable(error, read.lenient);
    }
    doc = read.value;
  }
  if (!isPlainObject(doc)) return unreadable(notADocument());
  return decodeFields(doc);
}

/** The entry of a document object (a plain object: parsed JSON or what the backend handed over). */
function decodeFields(doc: Record<string, unknown>): StoredEntry | UnreadableEntry {
  const raw = doc.value;
  let value: JsonObject | undefined;
  if (typeof raw === 'string') {
    const read = readStoredJson(raw);
    if (!read.ok && read.kind === 'inexact')
      return unreadable(storedJsonError(read, 'The stored value'), doc);
    if (read.ok) value = read.value;
  } else if (isPlainObject(raw)) value = raw as JsonObject;
  if (value === undefined) {
    return unreadable(
      new DeserializationError(
        raw === undefined
          ? 'The stored document has no "value" field'
          : 'The stored document\'s "value" is neither a JSON object nor a string holding one',
      ),
      doc,
    );
  }
  const createdAt = readDate(doc.created_at);
  const expiresAt = readDate(doc.expires_at);
  if (createdAt === null || expiresAt === null) {
    const field = createdAt === null ? 'created_at' : 'expires_at';
    return unreadable(
      new DeserializationError(`The stored document's "${field}" is not an ISO-8601 date with an offset`),
      doc,
    );
  }
  return { value, createdAt, expiresAt };
}

/**
 * Reads a stored value whose dates live beside it (a PostgreSQL row: the JSONB `value` column read
 * as text, `created_at` and `expires_at` columns) into a {@link StoredEntry}, or an
 * {@link UnreadableEntry} marker carrying those dates when the value cannot be read; never throws.
 * Text goes through {@link parseStoredJson}'s rules; an object is taken as it is.
 *
 * @example
 * ```ts
 * import { decodeEntryValue } from 'oauth-kv/backend';
 * declare const row: { value_text: string; expires_ms: number | null }; // a row the backend read
 * const entry = decodeEntryValue(row.value_text, { expiresAt: row.expires_ms ?? undefined });
 * ```
 */
export function decodeEntryValue(
  value: unknown,
  dates: { createdAt?: number | undefined; expiresAt?: number | undefined } = {},
): StoredEntry | UnreadableEntry {
  let object: JsonObject | undefined;
  let error: DeserializationError | undefined;
  if (typeof value === 'string') {
    const read = readStoredJson(value);
    if (read.ok) object = read.value;
    else error = storedJsonError(read, 'The stored value');
  } else if (isPlainObject(value)) object = value as JsonObject;
  else error = new DeserializationError('The stored value is not a JSON object');
  if (object === undefined) {
    return { unreadable: error!, createdAt: dates.createdAt, expiresAt: dates.expiresAt };
  }
  return { value: object, createdAt: dates.createdAt, expiresAt: dates.expiresAt };
}

/**
 * Reads a py-key-value document (an object or its JSON text) into a {@link StoredEntry}, as
 * {@link decodeEntryDocument} does, but throws the {@link DeserializationError} when the document
 * cannot be read.
 *
 * @example
 * ```ts
 * import { documentToEntry } from 'oauth-kv/backend';
 * documentToEntry('{"version":1,"value":{"a":1},"expires_at":"2026-11-22T11:30:00Z"}');
 * // { value: { a: 1 }, createdAt: undefined, expiresAt: 1795347000000 }
 * ```
 */
export function documentToEntry(document: unknown): StoredEntry {
  const entry = decodeEntryDocument(document);
  if (isUnreadableEntry(entry)) throw entry.unreadable;
  return entry;
}

function notADocument(): DeserializationError {
  return new DeserializationError('The stored document is not a JSON object');
}

/** The marker, with the document's dates when they can be read. */
function unreadable(error: DeserializationError, doc?: Record<string, unknown>): UnreadableEntry {
  const createdAt = readDate(doc?.created_at);
  const expiresAt = readDate(doc?.expires_at);
  return {
    unreadable: error,
    createdAt: createdAt ?? undefined,
    expiresAt: expiresAt ?? undefined,
  };
}

/** Epoch ms; `undefined` when absent; `null` when present but not an ISO date with an offset. */
function readDate(raw: unknown): number | undefined | null {
  if (raw === undefined || raw === null) return undefined;
  return (typeof raw === 'string' ? parseIsoDate(raw) : undefined) ?? null;
}
