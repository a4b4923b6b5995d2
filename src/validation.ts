/**
 * Validation shared by every store: keys, collection names, TTLs and values are checked once here,
 * so a backend never sees bad input.
 * @module
 */
import type { JsonObject } from './contract.js';
import { InvalidKeyError, InvalidTTLError, SerializationError } from './errors.js';
import { readStoredJson, storedJsonError } from './stored-json.js';

/**
 * Checks that `name` is a non-empty, well-formed Unicode string (no lone surrogates).
 * Throws {@link InvalidKeyError} otherwise. `what` names the argument in the message.
 *
 * @example
 * ```ts
 * import { validateName } from 'oauth-kv';
 * validateName('https://app.example/client.json', 'key'); // ok
 * validateName('', 'key'); // throws InvalidKeyError
 * ```
 */
export function validateName(name: unknown, what: 'key' | 'collection'): asserts name is string {
  if (typeof name !== 'string') {
    throw new InvalidKeyError(`The ${what} must be a string, got ${describeType(name)}`);
  }
  if (name.length === 0) throw new InvalidKeyError(`The ${what} must not be empty`);
  if (!name.isWellFormed()) {
    throw new InvalidKeyError(`The ${what} is not well-formed Unicode (it holds a lone surrogate)`);
  }
}

/**
 * Checks a TTL in seconds: `undefined` (no expiry) or a finite number above 0.
 * Throws {@link InvalidTTLError} for `0`, negatives, `NaN`, `Infinity`, and non-numbers.
 *
 * @example
 * ```ts
 * import { validateTtl } from 'oauth-kv';
 * validateTtl(0.5); // ok
 * validateTtl(0); // throws InvalidTTLError
 * ```
 */
export function validateTtl(ttl: unknown): asserts ttl is number | undefined {
  if (ttl === undefined) return;
  if (typeof ttl !== 'number') {
    throw new InvalidTTLError(`The TTL must be a number of seconds or undefined, got ${describeType(ttl)}`);
  }
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new InvalidTTLError(`The TTL must be a finite number of seconds above 0, got ${String(ttl)}`);
  }
  if (ttl > MAX_TTL_SECONDS) {
    throw new InvalidTTLError(
      `The TTL must be at most ${MAX_TTL_SECONDS} seconds (100 years); omit it for no expiry`,
    );
  }
}

/**
 * The longest TTL accepted: 100 years in seconds. Longer lifetimes would overflow the dates stored
 * beside each entry; omit the TTL for an entry that never expires.
 *
 * @example
 * ```ts
 * import { MAX_TTL_SECONDS } from 'oauth-kv';
 * await store.put('k', {}, { ttl: MAX_TTL_SECONDS }); // ok; MAX_TTL_SECONDS + 1 is refused
 * ```
 */
export const MAX_TTL_SECONDS = 100 * 365.25 * 24 * 3600;

/**
 * Checks that `value` is a plain JSON object that survives a JSON round trip unchanged and returns
 * its JSON text. Throws {@link SerializationError} naming the offending path otherwise: undefined
 * members, functions, symbols, BigInt, NaN/Infinity, Date, Map, class instances, cycles, sparse
 * arrays, lone surrogates, or a top level that is not an object.
 *
 * @example
 * ```ts
 * import { serializeValue } from 'oauth-kv';
 * serializeValue({ a: [1, 2] }); // '{"a":[1,2]}'
 * serializeValue({ a: undefined }); // throws SerializationError at $.a
 * ```
 */
export function serializeValue(value: unknown): string {
  if (!isPlainObject(value)) {
    throw new SerializationError(`A value must be a plain JSON object, got ${describeType(value)}`, '$');
  }
  checkJson(value, [], []);
  return JSON.stringify(value);
}

/**
 * Parses JSON text that must hold a JSON object, as written by {@link serializeValue} or read from
 * a store. Returns `undefined` when the text is not JSON or not an object. Throws
 * {@link DeserializationError} naming the path when the text is JSON as Python writes it but holds
 * a number JavaScript would change: an integer beyond 2^53 that a double cannot hold exactly, or
 * `NaN`/`Infinity` (see {@link parseStoredJson}).
 *
 * @example
 * ```ts
 * import { parseJsonObject } from 'oauth-kv';
 * parseJsonObject('{"a":1}'); // { a: 1 }
 * parseJsonObject('[1]'); // undefined
 * parseJsonObject('{"n":9007199254740993}'); // throws DeserializationError (at $.n)
 * ```
 */
export function parseJsonObject(text: string): JsonObject | undefined {
  const result = readStoredJson(text);
  if (result.ok) return result.value;
  if (result.kind === 'inexact') throw storedJsonError(result, 'The stored JSON');
  return undefined;
}

/**
 * `true` for `{...}` literals and `Object.create(null)`: objects JSON can represent as they are.
 *
 * @example
 * ```ts
 * import { isPlainObject } from 'oauth-kv';
 * isPlainObject({ a: 1 }); // true
 * isPlainObject(new Date()); // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Walks the value; `path` holds the member names and indexes from the top, and is turned into
 * text only when something is wrong, so a valid value costs no string building.
 */
function checkJson(value: unknown, path: Array<string | number>, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new SerializationError(
          'A string holds a lone surrogate and is not valid Unicode',
          formatPath(path),
        );
      }
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SerializationError(`${String(value)} is not representable in JSON`, formatPath(path));
      }
      return;
    case 'object':
      break;
    default:
      throw new SerializationError(`A ${typeof value} is not representable in JSON`, formatPath(path));
  }
  if (value === null) return;
  if (ancestors.includes(value)) throw new SerializationError('The value holds a cycle', formatPath(path));
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (!(i in value)) throw new SerializationError('A sparse array has a hole', formatPath(path));
      checkJson(value[i], path, ancestors);
      path.pop();
    }
  } else if (isPlainObject(value)) {
    if (
      Object.getOwnPropertySymbols(value).some((s) => Object.prototype.propertyIsEnumerable.call(value, s))
    ) {
      throw new SerializationError('An object has symbol-keyed members, which JSON drops', formatPath(path));
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      path.push(key);
      checkJson(value[key], path, ancestors);
      path.pop();
    }
  } else {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new SerializationError(`A ${name} instance is not a plain JSON object`, formatPath(path));
  }
  ancestors.pop();
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += IDENTIFIER.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value}`;
}
