/**
 * The SQL of the PostgreSQL store: its statements (one per operation), the DDL py-key-value uses,
 * what PostgreSQL cannot hold (U+0000), and how a returned row becomes an entry.
 * @module
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../contract.js';
import type { PreparedEntry, StoredEntry } from '../../entry.js';
import { DeserializationError, InvalidKeyError, SerializationError } from '../../errors.js';
import { parseStoredJson } from '../../stored-json.js';
import { isPlainObject } from '../../validation.js';
import { hasNul, quote } from './names.js';

/** The statements of one table, by operation. */
export interface Statements {
  exists: string;
  get: string;
  getMany: string;
  put: string;
  putMany: string;
  delete: string;
  take: string;
  putIfAbsent: string;
  increment: string;
  keys: string;
  keysAfter: string;
  collections: string;
  destroyCollection: string;
  cull: string;
  ping: string;
}

/** An operation that runs one statement. */
export type Operation = Exclude<keyof Statements, 'exists'>;

/** A row `get`, `getMany` and `take` return: the value as JSON text, the expiry in epoch ms. */
export interface ValueRow {
  key?: string;
  value: string;
  e: number | null;
}

const LIVE = '(expires_at IS NULL OR expires_at > $3::timestamptz)';
const EXPIRES_MS = '(extract(epoch FROM expires_at) * 1000)::float8 AS e';
// The value is read as text and parsed by the store: pg's JSONB parser would round integers beyond
// 2^53 that Python wrote, silently.
const VALUE = 'value::text AS value';
const UPSERT =
  'ON CONFLICT (collection, key) DO UPDATE SET value = EXCLUDED.value, ttl = EXCLUDED.ttl, ' +
  'created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at';
const COLUMNS = '(collection, key, value, ttl, created_at, expires_at)';

/** `column = EXCLUDED.column` when the conflicting row has expired (at $7), `live` otherwise. */
function EXPIRED_OR(column: string, live: string): string {
  return `${column} = CASE WHEN t.expires_at IS NOT NULL AND t.expires_at <= $7::timestamptz THEN EXCLUDED.${column} ELSE ${live} END`;
}

/** The statements on table `t` (quoted, possibly schema-qualified). */
export function statements(t: string): Statements {
  return {
    exists: 'SELECT to_regclass($1) IS NOT NULL AS t',
    get: `SELECT ${VALUE}, ${EXPIRES_MS} FROM ${t} WHERE collection = $1 AND key = $2 AND ${LIVE}`,
    getMany: `SELECT key, ${VALUE}, ${EXPIRES_MS} FROM ${t} WHERE collection = $1 AND key = ANY($2::text[]) AND ${LIVE}`,
    put: `INSERT INTO ${t} ${COLUMNS} VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ${UPSERT}`,
    putMany:
      `INSERT INTO ${t} ${COLUMNS} SELECT $1, k, v::jsonb, $4::float8, $5::timestamptz, $6::timestamptz ` +
      `FROM UNNEST($2::text[], $3::text[]) AS u(k, v) ${UPSERT}`,
    delete: `DELETE FROM ${t} WHERE collection = $1 AND key = ANY($2::text[]) RETURNING key, ${EXPIRES_MS}`,
    take: `DELETE FROM ${t} WHERE collection = $1 AND key = $2 RETURNING ${VALUE}, ${EXPIRES_MS}`,
    putIfAbsent:
      `INSERT INTO ${t} AS t ${COLUMNS} VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ` +
      `${UPSERT} WHERE t.expires_at IS NOT NULL AND t.expires_at <= $7::timestamptz RETURNING 1 AS w`,
    // One statement: create the counter, replace an expired row, or add to a live counter's count
    // keeping its expiry; a live row that is not a counter is left as it is and answers n = NULL.
    increment:
      `INSERT INTO ${t} AS t ${COLUMNS} VALUES ($1, $2, $3::jsonb, $4::float8, $5::timestamptz, $6::timestamptz) ` +
      `ON CONFLICT (collection, key) DO UPDATE SET ${EXPIRED_OR('value', "CASE WHEN jsonb_typeof(t.value->'count') = 'number' THEN jsonb_set(t.value, '{count}', to_jsonb((t.value->>'count')::numeric + $8::bigint)) ELSE t.value END")}, ` +
      `${EXPIRED_OR('ttl', 't.ttl')}, ${EXPIRED_OR('created_at', 't.created_at')}, ${EXPIRED_OR('expires_at', 't.expires_at')} ` +
      "RETURNING CASE WHEN jsonb_typeof(value->'count') = 'number' THEN (value->>'count')::float8 END AS n",
    // Two statements, the first page and the next ones: a condition such as `($2 IS NULL OR key > $2)`
    // cannot bound the primary-key index under a generic plan, so a page deep in the table would scan
    // every key before it. Each of these is an Index Scan bounded by (collection, key) under custom and
    // generic plans alike (test/postgres-paging.test.ts checks it with EXPLAIN).
    keys:
      'SELECT key FROM ' +
      `${t} WHERE collection = $1 AND (expires_at IS NULL OR expires_at > $2::timestamptz) ` +
      'ORDER BY key LIMIT $3::int',
    keysAfter:
      `SELECT key FROM ${t} WHERE collection = $1 AND key > $2::text AND ${LIVE} ` +
      'ORDER BY key LIMIT $4::int',
    collections:
      `SELECT DISTINCT collection FROM ${t} WHERE expires_at IS NULL OR expires_at > $1::timestamptz ` +
      'ORDER BY collection',
    destroyCollection:
      `WITH d AS (DELETE FROM ${t} WHERE collection = $1 RETURNING expires_at) ` +
      'SELECT count(*) FILTER (WHERE expires_at IS NULL OR expires_at > $2::timestamptz)::int AS n FROM d',
    cull:
      `WITH d AS (DELETE FROM ${t} WHERE expires_at <= $1::timestamptz RETURNING 1) ` +
      'SELECT count(*)::int AS n FROM d',
    // The health check: one round trip that needs the table and the right to read it.
    ping: `SELECT 1 FROM ${t} LIMIT 0`,
  };
}

/** The table and index py-key-value creates, for `table` in `schema`. */
export function ddlStatements(table: string, schema: string | undefined): string[] {
  const t = schema === undefined ? quote(table) : `${quote(schema)}.${quote(table)}`;
  // py-key-value's index name; past PostgreSQL's 63-byte identifier limit it uses a hash instead.
  let indexName = `idx_${table}_expires_at`;
  if (indexName.length > 63) {
    indexName = `idx_${createHash('sha256').update(table).digest('hex').slice(0, 16)}_exp`;
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (collection TEXT NOT NULL, key TEXT NOT NULL, value JSONB NOT NULL, ` +
      'ttl DOUBLE PRECISION, created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, PRIMARY KEY (collection, key))',
    `CREATE INDEX IF NOT EXISTS ${quote(indexName)} ON ${t}(expires_at) WHERE expires_at IS NOT NULL`,
  ];
}

/** The entry a row holds; a value that is not a JSON object is a {@link DeserializationError}. */
export function rowToEntry(row: ValueRow): StoredEntry {
  return {
    value: parseValue(row.value),
    expiresAt: row.e === null || row.e === undefined ? undefined : Number(row.e),
  };
}

/**
 * Reads the `value` column (JSONB as text): an object, or a JSON string holding one. The one place
 * the PostgreSQL store parses stored JSON, through the shared reader of Python-written JSON
 * (integers a double cannot hold and NaN/Infinity are refused, naming the path, never rounded).
 */
function parseValue(text: string): JsonObject {
  if (text.charCodeAt(0) !== 0x22) return parseStoredJson(text);
  let inner: unknown;
  try {
    inner = JSON.parse(text);
  } catch {
    throw new DeserializationError('A PostgreSQL row holds a value that is not valid JSON');
  }
  return parseStoredJson(String(inner));
}

/** PostgreSQL TEXT and JSONB cannot hold U+0000: refuse before anything is sent. */
export function checkWritable(collection: string, key: string, entry: PreparedEntry): void {
  if (hasNul(collection)) {
    throw new InvalidKeyError('PostgreSQL cannot store a collection name containing U+0000');
  }
  if (hasNul(key)) throw new InvalidKeyError('PostgreSQL cannot store a key containing U+0000');
  // JSON.stringify writes U+0000 as \u0000; an even run of backslashes before it means a real escape.
  if (entry.json.includes('\\u0000') && /(?<!\\)(?:\\\\)*\\u0000/.test(entry.json)) {
    throw new SerializationError(
      'PostgreSQL JSONB cannot hold the character U+0000 in a string',
      findNul(entry.value, '$') ?? '$',
    );
  }
}

function findNul(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return hasNul(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const member = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (hasNul(k)) return member;
      const found = findNul(v, member);
      if (found) return found;
    }
  }
  return undefined;
}
