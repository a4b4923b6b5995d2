/**
 * Entries py-key-value 0.4.4 wrote holding numbers JavaScript cannot represent exactly (integers
 * beyond 2^53, NaN, Infinity): the entry decoders refuse them with a DeserializationError naming
 * the path, as a marker for that entry only (never a throw that would take a whole bulk read down),
 * keep the dates so an expired one is just expired, and read the big numbers a double holds.
 * The documents are test/fixtures/vectors/py-key-value/unrepresentable-numbers.json, written by
 * py-key-value's own RedisStore, PostgreSQLStore and FernetEncryptionWrapper.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeEntryDocument,
  decodeEntryValue,
  documentToEntry,
  isExpired,
  isUnreadableEntry,
  parseIsoDate,
  type UnreadableEntry,
} from '../src/entry.js';
import { DeserializationError } from '../src/errors.js';
import { parseStoredJson } from '../src/stored-json.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

interface Case {
  why: string;
  /** Where a reader must refuse; null when the value is readable (`value_text`). */
  path: string | null;
  redis_string: string;
  encrypted_redis_string: string;
  postgres_value_text?: string;
  /** PostgreSQL's own refusal when Python wrote it (JSONB has no NaN or Infinity). */
  postgres_error?: string;
  /** Where a reader of the PostgreSQL text must refuse when it differs from `path`. */
  postgres_path?: string;
  value_text?: string;
}

const vectors = JSON.parse(
  readFileSync(
    new URL('./fixtures/vectors/py-key-value/unrepresentable-numbers.json', import.meta.url),
    'utf8',
  ),
) as { fernet_key: string; cases: Case[] };
const refused = vectors.cases.filter((c) => c.path !== null);
const readable = vectors.cases.filter((c) => c.path === null);

function expectUnreadable(entry: unknown, path: string): asserts entry is UnreadableEntry {
  expect(isUnreadableEntry(entry as UnreadableEntry)).toBe(true);
  const error = (entry as UnreadableEntry).unreadable;
  expect(error).toBeInstanceOf(DeserializationError);
  expect(error.message).toMatch(/^The stored value holds /);
  expect(error.message).toContain(`(at ${path})`);
}

describe('the vectors cover what they claim', () => {
  it('integers beyond 2^53, NaN, Infinity and -Infinity, and readable big numbers', () => {
    expect(refused.map((c) => c.why).join(' | ')).toMatch(/2\^53 \+ 1.*2\^64 - 1.*NaN.*Infinity.*-Infinity/);
    expect(readable.length).toBeGreaterThanOrEqual(3);
    // PostgreSQL refused every non-finite float Python tried to write, and only those.
    expect(vectors.cases.filter((c) => c.postgres_error).map((c) => c.path)).toEqual([
      '$.score',
      '$.limits.max',
      '$.min',
    ]);
  });
});

describe('Redis documents (py-key-value RedisStore)', () => {
  it.each(refused)('$why: an unreadable-entry marker at $path, dates kept', (c) => {
    const entry = decodeEntryDocument(c.redis_string);
    expectUnreadable(entry, c.path!);
    const doc = /"created_at": "([^"]+)", "expires_at": "([^"]+)"/.exec(c.redis_string)!;
    expect(entry.createdAt).toBe(parseIsoDate(doc[1]!));
    expect(entry.expiresAt).toBe(parseIsoDate(doc[2]!));
    // documentToEntry (single reads) throws that same error.
    expect(() => documentToEntry(c.redis_string)).toThrow(entry.unreadable.message);
  });

  it.each(readable)('$why: read as the same numbers', (c) => {
    const entry = decodeEntryDocument(c.redis_string);
    expect(isUnreadableEntry(entry)).toBe(false);
    expect(documentToEntry(c.redis_string).value).toEqual(JSON.parse(c.value_text!));
  });

  it('an unreadable entry whose expires_at has passed counts as expired', () => {
    const c = refused[0]!;
    const entry = decodeEntryDocument(c.redis_string);
    expectUnreadable(entry, c.path!);
    expect(isExpired(entry, entry.expiresAt! - 1)).toBe(false);
    expect(isExpired(entry, entry.expiresAt!)).toBe(true);
  });

  it('a bulk decode keeps the readable entries when one is unreadable', () => {
    const docs = [readable[0]!.redis_string, refused[3]!.redis_string, readable[1]!.redis_string];
    const entries = docs.map((doc) => decodeEntryDocument(doc));
    expect(entries.map((e) => isUnreadableEntry(e))).toEqual([false, true, false]);
  });
});

describe('Firestore layout (value as JSON text inside the document)', () => {
  it.each(refused)('$why: refused at $path, dates kept', (c) => {
    const redis = parseStoredJsonLenient(c.redis_string);
    const valueText = c.redis_string.slice(
      c.redis_string.indexOf('"value": ') + 9,
      c.redis_string.lastIndexOf(', "version"'),
    );
    const entry = decodeEntryDocument({
      version: 1,
      value: valueText,
      created_at: redis.created_at,
      expires_at: redis.expires_at,
    });
    expectUnreadable(entry, c.path!);
    expect(entry.expiresAt).toBe(parseIsoDate(redis.expires_at));
  });
});

describe('PostgreSQL rows (the JSONB value column read as text)', () => {
  const rows = vectors.cases.filter((c) => c.postgres_value_text !== undefined);

  it.each(rows)('$why', (c) => {
    const expiresAt = Date.UTC(2030, 0, 1);
    const entry = decodeEntryValue(c.postgres_value_text, { expiresAt });
    const path = c.postgres_path ?? c.path;
    if (path === null) {
      expect(entry).toEqual({ value: JSON.parse(c.value_text!), createdAt: undefined, expiresAt });
    } else {
      expectUnreadable(entry, path);
      expect(entry.expiresAt).toBe(expiresAt);
    }
  });

  it('an object value is taken as it is; anything else is an unreadable marker', () => {
    expect(decodeEntryValue({ a: 1 })).toEqual({
      value: { a: 1 },
      createdAt: undefined,
      expiresAt: undefined,
    });
    for (const bad of [42, null, [1], 'nope', '[1]']) {
      const entry = decodeEntryValue(bad, { createdAt: 5 });
      expect(isUnreadableEntry(entry)).toBe(true);
      expect((entry as UnreadableEntry).unreadable).toBeInstanceOf(DeserializationError);
      expect((entry as UnreadableEntry).createdAt).toBe(5);
    }
  });
});

describe('FernetEncryptionWrapper values (the number is inside the ciphertext)', () => {
  async function encryptedStore(c: Case) {
    const inner = new MemoryStore({ sweepIntervalMs: 0 });
    const doc = documentToEntry(c.encrypted_redis_string); // the envelope itself is plain JSON
    await inner.put('k', doc.value, { collection: 'c' });
    return { inner, store: withEncryption(inner, { keys: vectors.fernet_key }) };
  }

  it.each(refused)('$why: the decrypted value is refused at $path', async (c) => {
    const { inner, store } = await encryptedStore(c);
    const error = await store.get('k', { collection: 'c' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DeserializationError);
    expect((error as Error).message).toContain(`(at ${c.path})`);
    await inner.close();
  });

  it.each(readable)('$why: decrypted as the same numbers', async (c) => {
    const { inner, store } = await encryptedStore(c);
    expect(await store.get('k', { collection: 'c' })).toEqual(JSON.parse(c.value_text!));
    await inner.close();
  });
});

describe('decodeEntryDocument never throws', () => {
  it.each([
    ['not JSON', 'nope'],
    ['an array', '[1]'],
    ['no value', '{"version": 1}'],
    ['a value that is a number', '{"value": 3}'],
    ['a value string that is not an object', '{"value": "[1]"}'],
    ['a bad date', '{"value": {}, "expires_at": "yesterday"}'],
    ['NaN outside the value', '{"value": {}, "score": NaN}'],
    ['not a string or object', 42],
    ['null', null],
  ])('%s → marker with a DeserializationError', (_, doc) => {
    const entry = decodeEntryDocument(doc);
    expect(isUnreadableEntry(entry)).toBe(true);
    expect((entry as UnreadableEntry).unreadable).toBeInstanceOf(DeserializationError);
    expect(() => documentToEntry(doc)).toThrow(DeserializationError);
  });

  it('a problem outside the value names the document path', () => {
    const entry = decodeEntryDocument(
      '{"value": {}, "score": NaN, "created_at": "2026-11-22T10:30:00+00:00"}',
    );
    expect((entry as UnreadableEntry).unreadable.message).toMatch(
      /^The stored document holds NaN.*\(at \$\.score\)$/,
    );
    expect((entry as UnreadableEntry).createdAt).toBe(Date.UTC(2026, 10, 22, 10, 30));
  });
});

/** The dates of a Redis document (its value may be unreadable, the dates are plain strings). */
function parseStoredJsonLenient(text: string): { created_at: string; expires_at: string } {
  const dates = /"created_at": "([^"]+)", "expires_at": "([^"]+)"/.exec(text)!;
  expect(() => parseStoredJson(text)).toThrow(DeserializationError);
  return { created_at: dates[1]!, expires_at: dates[2]! };
}
