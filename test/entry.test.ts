import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  documentToEntry,
  entryToDocument,
  entryToDocumentJson,
  formatIsoDate,
  isExpired,
  parseIsoDate,
} from '../src/entry.js';
import { DeserializationError } from '../src/errors.js';

const vectors = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/vectors/py-key-value/${name}`, import.meta.url), 'utf8'));

const PY_CREATED = Date.UTC(2026, 10, 22, 10, 30, 0, 123); // 2026-11-22T10:30:00.123456+00:00, ms precision

describe('py-key-value documents written by Python', () => {
  test.each(vectors('redis-documents.json') as Array<Record<string, unknown>>)(
    'Redis document $redis_key reads back',
    (doc) => {
      const entry = documentToEntry(doc.redis_string);
      expect(entry.value).toEqual(doc.value);
      expect(entry.createdAt).toBe(PY_CREATED);
      if (doc.has_ttl) expect(entry.expiresAt).toBeGreaterThan(PY_CREATED);
      else expect(entry.expiresAt).toBeUndefined();
    },
  );

  test.each(
    vectors('firestore-documents.json') as Array<{ path: string; document: Record<string, unknown> }>,
  )('Firestore document $path (value as a JSON string) reads back', ({ document }) => {
    const entry = documentToEntry(document);
    expect(entry.value).toEqual(JSON.parse(document.value as string));
    expect(entry.createdAt).toBe(PY_CREATED);
    expect(entry.expiresAt).toBe(PY_CREATED + 3_600_000);
  });

  test('PostgreSQL rows (value object, nullable dates) read back', () => {
    for (const row of vectors('postgres-rows.json').rows as Array<Record<string, unknown>>) {
      const entry = documentToEntry({
        value: row.value,
        created_at: row.created_at,
        expires_at: row.expires_at,
      });
      expect(entry.value).toEqual(row.value);
      expect(entry.expiresAt).toBe(row.expires_at === null ? undefined : PY_CREATED + 3_600_000);
    }
  });
});

describe('dates', () => {
  test('formatIsoDate matches the toISOString form and round-trips through parseIsoDate (property)', () => {
    const reference = (ms: number) => {
      const iso = new Date(ms).toISOString();
      const millis = iso.slice(20, 23);
      return millis === '000' ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${millis}000+00:00`;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
        (ms) => {
          const text = formatIsoDate(ms);
          return text === reference(ms) && parseIsoDate(text) === ms;
        },
      ),
      { numRuns: 20_000, seed: 7 },
    );
    expect(formatIsoDate(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02T03:04:05.006000+00:00');
    expect(formatIsoDate(Date.UTC(10000, 0, 1))).toBe('+010000-01-01T00:00:00+00:00');
  });

  test('formatting and parsing stay right when dates repeat and alternate, as in a batch (property)', () => {
    // Both keep their last two answers; any sequence of repeats must still give each date its own text.
    const reference = (ms: number) => {
      const iso = new Date(ms).toISOString();
      const millis = iso.slice(20, 23);
      return millis === '000' ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${millis}000+00:00`;
    };
    const pool = [0, 1, 999, Date.UTC(2026, 10, 22, 10, 30), Date.UTC(2026, 10, 22, 10, 30, 0, 1), 1.5];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool.keys()), { minLength: 1, maxLength: 30 }), (picks) => {
        for (const i of picks) {
          const ms = pool[i]!;
          const text = formatIsoDate(ms);
          if (text !== reference(ms) || parseIsoDate(text) !== Math.trunc(ms)) return false;
          // A text that is not a date answers undefined between the cached ones.
          if (parseIsoDate(`${text}x`) !== undefined) return false;
        }
        return true;
      }),
      { numRuns: 2000, seed: 11 },
    );
    expect(parseIsoDate('')).toBeUndefined();
    expect(parseIsoDate('2026-11-22T10:30:00+00:00')).toBe(Date.UTC(2026, 10, 22, 10, 30));
    expect(parseIsoDate('')).toBeUndefined();
  });

  test('formatIsoDate writes what Python isoformat() writes', () => {
    expect(formatIsoDate(Date.UTC(2026, 10, 22, 10, 30))).toBe('2026-11-22T10:30:00+00:00');
    expect(formatIsoDate(PY_CREATED)).toBe('2026-11-22T10:30:00.123000+00:00');
  });

  test.each([
    ['2026-11-22T10:30:00.123456+00:00', PY_CREATED],
    ['2026-11-22T10:30:00.123Z', PY_CREATED],
    ['2026-11-22T10:30:00Z', PY_CREATED - 123],
    ['2026-11-22T12:30:00.123+02:00', PY_CREATED],
    ['2026-11-22T05:00:00.123-0530', PY_CREATED],
    ['2026-11-22 10:30:00.123456+00:00', PY_CREATED],
  ])('parseIsoDate(%s)', (text, expected) => {
    expect(parseIsoDate(text)).toBe(expected);
  });

  test('years below 1000 and the canonical fast path agree with the general parser', () => {
    expect(parseIsoDate('0050-01-01T00:00:00+00:00')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
    expect(parseIsoDate('2024-02-29T23:59:59.999999+00:00')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseIsoDate('2024-02-29T23:59:59.999+00:00')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  });

  test.each([
    '2026-11-22T10:30:00',
    '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00+00:00',
    '2026-11-22T10:61:00+00:00',
    '2026-11-22T10:30:60Z',
    '2026-11-22T24:00:00+00:00',
    '2026-11-22T1a:30:00+00:00',
    'yesterday',
    '',
  ])('parseIsoDate refuses %j', (text) => {
    expect(parseIsoDate(text)).toBeUndefined();
  });

  test('isExpired: expires_at <= now', () => {
    expect(isExpired({ expiresAt: 1000 }, 1000)).toBe(true);
    expect(isExpired({ expiresAt: 1001 }, 1000)).toBe(false);
    expect(isExpired({}, 1e15)).toBe(false);
  });
});

describe('reading bad documents', () => {
  test.each([
    ['not JSON', '{"value":'],
    ['an array', '[1]'],
    ['no value', '{"version":1}'],
    ['a value that is a number', '{"value":3}'],
    ['a value string that is not an object', '{"value":"[1,2]"}'],
    ['a bad date', '{"value":{},"expires_at":"soon"}'],
    ['a date without offset', '{"value":{},"created_at":"2026-11-22T10:30:00"}'],
  ])('%s → DeserializationError', (_label, text) => {
    expect(() => documentToEntry(text)).toThrow(DeserializationError);
  });

  test('the error never quotes the stored content', () => {
    try {
      documentToEntry('{"value":"secret-token-xyz"}');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-token-xyz');
    }
  });

  test('unknown fields and the version are ignored', () => {
    expect(documentToEntry({ version: 7, extra: true, value: { a: 1 } }).value).toEqual({ a: 1 });
  });
});

describe('documents we write', () => {
  const prepared = {
    value: { a: [1, 'é'] },
    json: JSON.stringify({ a: [1, 'é'] }),
    createdAt: PY_CREATED,
    expiresAt: PY_CREATED + 300_000,
    ttl: 300,
  };

  test('entryToDocumentJson and entryToDocument describe the same document', () => {
    const text = entryToDocumentJson(prepared, { key: 'k::1', collection: 'c' });
    expect(JSON.parse(text)).toEqual(entryToDocument(prepared, { key: 'k::1', collection: 'c' }));
    expect(documentToEntry(text)).toEqual({
      value: prepared.value,
      createdAt: PY_CREATED,
      expiresAt: PY_CREATED + 300_000,
    });
  });

  test('documents of alternating collections each name their own collection', () => {
    for (const collection of ['c', 'd', 'c', 'quote"d', 'c', '']) {
      const text = entryToDocumentJson(prepared, { key: 'k', collection });
      expect(JSON.parse(text).collection).toBe(collection);
    }
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  test.skipIf(!python)("Python reads them with json and datetime.fromisoformat (py-key-value's way)", () => {
    const text = entryToDocumentJson(prepared, { key: 'k', collection: 'c' });
    const script = [
      'import json, sys, datetime',
      'doc = json.loads(sys.stdin.read())',
      'created = datetime.datetime.fromisoformat(doc["created_at"])',
      'expires = datetime.datetime.fromisoformat(doc["expires_at"])',
      'assert created.tzinfo is not None and expires.tzinfo is not None',
      'assert doc["version"] == 1',
      'print(json.dumps({"value": doc["value"], "seconds": (expires - created).total_seconds(), "key": doc["key"]}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('python3', ['-c', script], { input: text, encoding: 'utf8' }));
    expect(out).toEqual({ value: prepared.value, seconds: 300, key: 'k' });
  });
});
