/**
 * parseStoredJson: the one parse every reader of stored JSON uses. It must agree with JSON.parse
 * on everything JSON.parse reads exactly, and refuse, naming the path, the numbers Python writes
 * that JavaScript would change (integers beyond 2^53 a double cannot hold, NaN, Infinity).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../src/contract.js';
import { DeserializationError } from '../src/errors.js';
import { parseStoredJson } from '../src/stored-json.js';
import { parseJsonObject } from '../src/validation.js';

/** Python's `json.dumps` layout: `", "` and `": "` separators. */
function pythonStyle(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonStyle).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonStyle(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** An independent rendering of a path, to check the one in the error message. */
function pathText(parts: Array<string | number>): string {
  return parts
    .map((p) =>
      typeof p === 'number'
        ? `[${p}]`
        : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p)
          ? `.${p}`
          : `[${JSON.stringify(p)}]`,
    )
    .join('');
}

const MARK = '\u0001mark\u0001';

/** An object with MARK somewhere inside (under objects and arrays), and the path to it. */
const withMark = fc
  .tuple(
    fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    fc.string(),
    fc.array(fc.oneof(fc.string(), fc.nat({ max: 3 })), { maxLength: 4 }),
  )
  .map(([base, rootKey, route]) => {
    let node: unknown = MARK;
    for (let i = route.length - 1; i >= 0; i--) {
      const step = route[i]!;
      if (typeof step === 'number') {
        const array: unknown[] = Array.from({ length: step + 2 }, (_, j) => j);
        array[step] = node;
        node = array;
      } else node = { [step]: node };
    }
    return { root: { ...base, [rootKey]: node }, path: [rootKey, ...route] };
  });

describe('parseStoredJson agrees with JSON.parse on what JSON.parse reads exactly (property)', () => {
  it('any JSON object, compact or in Python layout, reads as JSON.parse reads it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        for (const text of [JSON.stringify(value), pythonStyle(value)]) {
          expect(parseStoredJson(text)).toEqual(JSON.parse(text));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every finite double JavaScript writes reads back as the same double', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true })), (numbers) => {
        const text = JSON.stringify({ numbers });
        expect((parseStoredJson(text) as { numbers: number[] }).numbers).toEqual(numbers.map((n) => n + 0));
      }),
      { numRuns: 500 },
    );
  });

  it('digits, NaN and Infinity inside strings and member names are never mistaken for numbers', () => {
    const tricky = fc.oneof(
      fc.stringMatching(/^-?[0-9]{16,40}$/),
      fc.constantFrom(
        'NaN',
        'Infinity',
        '-Infinity',
        '1e400',
        '"9007199254740993"',
        '\\"12345678901234567890',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.dictionary(tricky, fc.array(tricky)), (value) => {
        const text = pythonStyle(value);
        expect(parseStoredJson(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('an integer literal of any size: kept when its double equals it or prints back as the same digits or decimal value, refused at its path otherwise', () => {
    const big = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
      fc.bigInt({ min: 2n ** 52n, max: 2n ** 54n }),
      fc.integer({ min: 53, max: 200 }).map((e) => 2n ** BigInt(e)),
    );
    fc.assert(
      fc.property(withMark, big, ({ root, path }, n) => {
        const text = pythonStyle(root).replace(JSON.stringify(MARK), n.toString());
        const kept =
          BigInt(Number(n)) === n || String(Number(n)) === n.toString() || shortestExactly(Number(n)) === n;
        if (kept) {
          expect(parseStoredJson(text)).toEqual(JSON.parse(text));
        } else {
          expect(() => parseStoredJson(text)).toThrow(DeserializationError);
          expect(() => parseStoredJson(text)).toThrow(`(at $${pathText(path)})`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("Python's NaN, Infinity and -Infinity are refused at their path", () => {
    fc.assert(
      fc.property(withMark, fc.constantFrom('NaN', 'Infinity', '-Infinity'), ({ root, path }, token) => {
        const text = pythonStyle(root).replace(JSON.stringify(MARK), token);
        expect(() => parseStoredJson(text)).toThrow(new RegExp(`holds ${token},.*\\(at \\$`));
        expect(() => parseStoredJson(text)).toThrow(`(at $${pathText(path)})`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseStoredJson examples', () => {
  it.each([
    ['2^53 is exact', '{"n": 9007199254740992}', { n: 2 ** 53 }],
    ['2^60 is exact', '{"n": 1152921504606846976}', { n: 2 ** 60 }],
    ['-2^63 is exact', '{"n": -9223372036854775808}', { n: -(2 ** 63) }],
    ['2^70 is exact (beyond 1e21)', '{"n": 1180591620717411303424}', { n: 2 ** 70 }],
    [
      'an integer-valued double as JavaScript prints it (not its exact value)',
      '{"n": -63986798892831850}',
      { n: -63986798892831850 },
    ],
    ['a 15-digit integer', '{"n": 999999999999999}', { n: 999999999999999 }],
    ['-0', '{"n": -0}', { n: -0 }],
    [
      'floats keep their double',
      '{"a": 0.30000000000000004, "b": 1e300, "c": 1.5E-7}',
      { a: 0.30000000000000004, b: 1e300, c: 1.5e-7 },
    ],
    [
      'a 20-digit float with a fraction (a float in Python too)',
      '{"f": 12345678901234567890.5}',
      { f: Number('12345678901234567890.5') },
    ],
    ['whitespace everywhere', ' \n{ "a" :\t[ 1 , 2 ] }\r\n', { a: [1, 2] }],
  ] as Array<[string, string, JsonObject]>)('%s', (_, text, expected) => {
    expect(parseStoredJson(text)).toEqual(expected);
    expect(Object.is((parseStoredJson(text) as { n?: number }).n, expected.n)).toBe(true);
  });

  it.each([
    ['2^53 + 1', '{"n": 9007199254740993}', 'an integer a double cannot hold', '$.n'],
    ['2^64 - 1 in an array', '{"a": [0, {"b": 18446744073709551615}]}', 'cannot hold', '$.a[1].b'],
    [
      'a quoted member name',
      '{"token info": {"iat": -12345678901234567890}}',
      'cannot hold',
      '$["token info"].iat',
    ],
    ['an escaped member name', '{"a\\"b": 99999999999999999999}', 'cannot hold', '$["a\\"b"]'],
    ['10^23 + 1 (its double prints as 1e+23)', '{"n": 100000000000000000000001}', 'cannot hold', '$.n'],
    ['24 digits no double prints', '{"n": 123456789012345678901234}', 'cannot hold', '$.n'],
    ['a number beyond the double range', '{"n": 1e400}', 'beyond the range of a double', '$.n'],
    [
      'an exponent after a newline in an array',
      '{"a":[1,\n\t-1.5E+400]}',
      'beyond the range of a double',
      '$.a[1]',
    ],
    ['a compact 20-digit integer in an array', '{"a":[1,18446744073709551615]}', 'cannot hold', '$.a[1]'],
    [
      'a big integer beside a numeric string',
      '{"s":"110169484474386276334","n":-9007199254740993}',
      'cannot hold',
      '$.n',
    ],
    ['a 400-digit integer', `{"n": 1${'0'.repeat(400)}}`, 'beyond the range of a double', '$.n'],
    ['NaN', '{"x": [1, NaN]}', 'holds NaN', '$.x[1]'],
    ['-Infinity at the top', '{"x": -Infinity}', 'holds -Infinity', '$.x'],
  ])('%s is refused with DeserializationError naming the path', (_, text, reason, path) => {
    let error: unknown;
    try {
      parseStoredJson(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DeserializationError);
    expect((error as DeserializationError).code).toBe('DESERIALIZATION_ERROR');
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).toContain(`(at ${path})`);
  });

  it('the message never holds the number itself', () => {
    for (const literal of ['18446744073709551615', '9007199254740993', '1e400']) {
      expect(() => parseStoredJson(`{"n": ${literal}}`)).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining(literal) }),
      );
    }
  });

  it('a number nested thousands of levels deep is checked too, without overflowing the call stack', () => {
    const depth = 5000; // past the recursive walk's limit: the rest is walked with an explicit stack
    const nest = (inner: string) => `${'{"a": ['.repeat(depth)}${inner}${']}'.repeat(depth)}`;
    const path = `$${'.a[0]'.repeat(depth)}`;
    expect(() => parseStoredJson(`{"x": ${nest('9007199254740993')}}`)).toThrow(`(at $.x${path.slice(1)})`);
    expect(() => parseStoredJson(`{"x": ${nest('1e400')}}`)).toThrow('beyond the range of a double');
    let inner: unknown = parseStoredJson(`{"x": ${nest('9007199254740992')}}`).x;
    for (let i = 0; i < depth; i++) inner = (inner as { a: unknown[] }).a[0];
    expect(inner).toBe(2 ** 53);
  });

  it('the first problem in text order is the one reported', () => {
    expect(() => parseStoredJson('{"a": NaN, "b": 9007199254740993}')).toThrow('(at $.a)');
    expect(() => parseStoredJson('{"a": 9007199254740993, "b": NaN}')).toThrow('(at $.a)');
  });

  it('text that is not JSON, or not an object, is a DeserializationError too', () => {
    for (const text of ['', 'nope', '{"a": NaX}', '{"a": NaN', '[1, 2]', '"s"', '12', 'null', '{"a": 1} x']) {
      expect(() => parseStoredJson(text)).toThrow(DeserializationError);
    }
    expect(() => parseStoredJson('[NaN]')).toThrow('not a JSON object');
    expect(() => parseStoredJson('{"a": NaN')).toThrow('not valid JSON');
  });
});

describe('parseJsonObject (validation.ts) goes through the same parse', () => {
  it('returns undefined for what is not JSON or not an object, as before', () => {
    expect(parseJsonObject('nope')).toBeUndefined();
    expect(parseJsonObject('[1]')).toBeUndefined();
    expect(parseJsonObject('{"a": NaN')).toBeUndefined();
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
  });

  it('throws DeserializationError naming the path for what it would otherwise round or reject', () => {
    expect(() => parseJsonObject('{"n":9007199254740993}')).toThrow(DeserializationError);
    expect(() => parseJsonObject('{"n":9007199254740993}')).toThrow('(at $.n)');
    expect(() => parseJsonObject('{"x":{"y":Infinity}}')).toThrow('(at $.x.y)');
  });
});

/** The exact integer value of the shortest decimal form JavaScript writes for `x` (`1e+23` -> 10^23). */
function shortestExactly(x: number): bigint | undefined {
  const [mantissa = '', e = '0'] = Math.abs(x).toExponential().split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  const exponent = Number(e) - fraction.length;
  if (exponent < 0) return undefined;
  const magnitude = BigInt(mantissa.replace('.', '')) * 10n ** BigInt(exponent);
  return x < 0 ? -magnitude : magnitude;
}

describe('JSONB expansions of doubles oauth-kv wrote', () => {
  it('10^23 and 15 followed by 299 zeros read back as the doubles 1e23 and 1.5e300 (same decimal value)', () => {
    expect(parseStoredJson('{"n": 100000000000000000000000}')).toEqual({ n: 1e23 });
    expect(parseStoredJson(`{"n": -15${'0'.repeat(299)}}`)).toEqual({ n: -1.5e300 });
  });
});
