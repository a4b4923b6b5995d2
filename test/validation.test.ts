import { describe, expect, test } from 'vitest';
import { InvalidKeyError, InvalidTTLError, OAuthKVError, SerializationError } from '../src/errors.js';
import { MAX_TTL_SECONDS, serializeValue, validateName, validateTtl } from '../src/validation.js';

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
