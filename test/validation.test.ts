import { describe, expect, test } from 'vitest';
import type { PutOptions } from '../src/contract.js';
import {
  InvalidKeyError,
  InvalidTTLError,
  OAuthKVError,
  SerializationError,
  ValidationError,
} from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import {
  MAX_TTL_SECONDS,
  serializeValue,
  snapshotValue,
  validateCollectionOptions,
  validateEntries,
  validateKeyList,
  validateKeysOptions,
  validateName,
  validatePutOptions,
  validateTtl,
} from '../src/validation.js';

describe('serializeValue', () => {
  test('returns compact JSON for plain objects, including null-prototype objects', () => {
    expect(serializeValue({ a: [1, null, { b: 'c' }], t: true })).toBe('{"a":[1,null,{"b":"c"}],"t":true}');
    const bare = Object.create(null) as Record<string, unknown>;
    bare.x = 1;
    expect(serializeValue(bare)).toBe('{"x":1}');
  });

  test('a value shared twice (no cycle) is fine', () => {
    const shared = { s: 1 };
    expect(serializeValue({ a: shared, b: [shared] })).toBe('{"a":{"s":1},"b":[{"s":1}]}');
  });

  test('paths quote keys that are not identifiers', () => {
    try {
      serializeValue({ 'redirect uris': [{ 'a-b': undefined }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SerializationError);
      expect((err as SerializationError).path).toBe('$["redirect uris"][0]["a-b"]');
      expect((err as SerializationError).code).toBe('SERIALIZATION_ERROR');
    }
  });

  test('symbol-keyed members are refused (JSON would drop them)', () => {
    expect(() => serializeValue({ [Symbol('s')]: 1 })).toThrow(SerializationError);
  });

  test('the error message never contains the value', () => {
    try {
      serializeValue({ secret: 'hunter2-secret', bad: Number.NaN });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('validateName and validateTtl', () => {
  test('names', () => {
    expect(() => validateName('ok', 'key')).not.toThrow();
    expect(() => validateName('', 'collection')).toThrow(/collection must not be empty/);
    expect(() => validateName('\uD83D', 'key')).toThrow(InvalidKeyError);
    expect(() => validateName('😀', 'key')).not.toThrow();
  });

  test('TTLs', () => {
    expect(() => validateTtl(undefined)).not.toThrow();
    expect(() => validateTtl(0.001)).not.toThrow();
    expect(() => validateTtl(MAX_TTL_SECONDS)).not.toThrow();
    for (const bad of [
      0,
      -0,
      -5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '5',
      true,
      null,
      MAX_TTL_SECONDS + 1,
      1e13,
    ]) {
      expect(() => validateTtl(bad)).toThrow(InvalidTTLError);
    }
  });

  test('every error is an OAuthKVError with a stable code and its class name', () => {
    const err = new InvalidTTLError('x');
    expect(err).toBeInstanceOf(OAuthKVError);
    expect(err.name).toBe('InvalidTTLError');
    expect(err.code).toBe('INVALID_TTL');
  });
});

describe('snapshotValue: one pass that validates, copies and serializes', () => {
  test('member names with a lone surrogate are refused, naming the member', () => {
    expect(() => serializeValue({ ok: { 'a\uDC00b': 1 } })).toThrow(
      expect.objectContaining({ code: 'SERIALIZATION_ERROR', path: '$.ok["a\\udc00b"]' }),
    );
    expect(serializeValue({ '😀': 1 })).toBe('{"😀":1}');
  });

  test('arrays with named members or another prototype are refused; holes still are', () => {
    const named = [1, 2] as unknown[] & { extra?: number };
    named.extra = 3;
    expect(() => serializeValue({ list: named })).toThrow(
      expect.objectContaining({ path: '$.list', message: expect.stringMatching(/named members/) }),
    );
    class List extends Array<number> {}
    expect(() => serializeValue({ list: List.from([1]) })).toThrow(SerializationError);
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    expect(() => serializeValue({ list: sparse })).toThrow(expect.objectContaining({ path: '$.list[1]' }));
    const withSymbol = [1] as unknown[] & Record<symbol, number>;
    withSymbol[Symbol('s')] = 1;
    expect(() => serializeValue({ list: withSymbol })).toThrow(SerializationError);
  });

  test('a getter is read once, and the copy and the JSON text hold that one read', () => {
    let reads = 0;
    const value = {
      get n() {
        reads++;
        return reads;
      },
    };
    const snapshot = snapshotValue(value);
    expect(reads).toBe(1);
    expect(snapshot.json).toBe('{"n":1}');
    expect(snapshot.value).toEqual({ n: 1 });
    expect(Object.getOwnPropertyDescriptor(snapshot.value, 'n')).toMatchObject({ value: 1 });
  });

  test('a proxy that answers differently on each read is stored as first read', () => {
    let reads = 0;
    const target = { token: 'x' };
    const value = new Proxy(target, {
      get: () => (++reads === 1 ? 'first' : () => 'a function JSON would drop'),
    });
    const snapshot = snapshotValue(value);
    expect(snapshot.json).toBe('{"token":"first"}');
    expect(reads).toBe(1);
  });

  test('the copy is fresh and keeps "__proto__" as an ordinary member', () => {
    const original = JSON.parse('{"__proto__":{"a":1},"list":[{"b":2}]}') as Record<string, unknown>;
    const { value, json } = snapshotValue(original);
    expect(json).toBe('{"__proto__":{"a":1},"list":[{"b":2}]}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(value.list).not.toBe(original.list);
  });

  test('100,000 levels of nesting is a SerializationError, not a RangeError', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    let err: unknown;
    try {
      serializeValue(deep);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SerializationError);
    expect(err).toMatchObject({ code: 'SERIALIZATION_ERROR', path: '$' });
    expect((err as Error).message).toMatch(/nested deeper than the JavaScript engine can walk/);
  });

  test('a RangeError a getter throws is not mistaken for deep nesting', () => {
    const value = {
      get bad(): number {
        throw new RangeError('out of range');
      },
    };
    expect(() => serializeValue(value)).toThrow(RangeError);
  });
});

describe('options and argument shapes', () => {
  test('collection options: undefined, an object, or a ValidationError', () => {
    expect(validateCollectionOptions(undefined)).toBe('default_collection');
    expect(validateCollectionOptions({})).toBe('default_collection');
    expect(validateCollectionOptions({ collection: 'c' })).toBe('c');
    for (const bad of [300, 'clients', null, true, [{ collection: 'c' }]]) {
      expect(() => validateCollectionOptions(bad)).toThrow(ValidationError);
    }
    expect(() => validateCollectionOptions({ collection: '' })).toThrow(InvalidKeyError);
    expect(() => validateCollectionOptions({ collection: null })).toThrow(InvalidKeyError);
  });

  test('put options: the TTL is checked too, and the options object is read once', () => {
    expect(validatePutOptions(undefined)).toEqual({ collection: 'default_collection', ttl: undefined });
    expect(validatePutOptions({ collection: 'c', ttl: 5 })).toEqual({ collection: 'c', ttl: 5 });
    expect(() => validatePutOptions({ ttl: 0 })).toThrow(InvalidTTLError);
    let error: unknown;
    try {
      validatePutOptions(300);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(OAuthKVError);
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', issues: [{ path: 'options' }] });
    let reads = 0;
    const options = {
      get ttl() {
        reads++;
        return reads === 1 ? 60 : -1;
      },
    };
    expect(validatePutOptions(options).ttl).toBe(60);
    expect(reads).toBe(1);
  });

  test('keys options: limit and cursor, each failure a ValidationError naming the option', () => {
    expect(validateKeysOptions(undefined)).toEqual({ limit: undefined, cursor: undefined });
    expect(validateKeysOptions({ limit: 10, cursor: 'x' })).toEqual({ limit: 10, cursor: 'x' });
    const cases: Array<[unknown, string]> = [
      [{ limit: 0 }, 'options.limit'],
      [{ limit: -1 }, 'options.limit'],
      [{ limit: 2 ** 53 }, 'options.limit'],
      [{ limit: Number.NaN }, 'options.limit'],
      [{ limit: '5' }, 'options.limit'],
      [{ cursor: 7 }, 'options.cursor'],
      ['next', 'options'],
    ];
    for (const [options, path] of cases) {
      expect(() => validateKeysOptions(options)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_ERROR', issues: [expect.objectContaining({ path })] }),
      );
    }
  });

  test('putMany entries: one error for a malformed list or pair, with its path', () => {
    expect(validateEntries([['a', { n: 1 }]])).toEqual([['a', { n: 1 }]]);
    expect(() => validateEntries('a')).toThrow(
      expect.objectContaining({ code: 'SERIALIZATION_ERROR', path: '$' }),
    );
    for (const pair of [['a'], ['a', {}, {}], 'ab', null]) {
      expect(() => validateEntries([['ok', {}], pair])).toThrow(
        expect.objectContaining({ code: 'SERIALIZATION_ERROR', path: 'entries[1]' }),
      );
    }
    expect(() => validateEntries([['', {}]])).toThrow(InvalidKeyError);
  });

  test('key lists', () => {
    expect(() => validateKeyList(['a', 'b'])).not.toThrow();
    expect(() => validateKeyList('a')).toThrow(InvalidKeyError);
    expect(() => validateKeyList(['a', ''])).toThrow(InvalidKeyError);
  });

  test('a store refuses put(key, value, 300) and writes nothing', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    await expect(store.put('k', { a: 1 }, 300 as unknown as PutOptions)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await store.get('k')).toBeUndefined();
    await expect(store.keys('default_collection', { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await store.close();
  });
});
