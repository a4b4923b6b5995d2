/**
 * Validation shared by every store: keys, collection names, TTLs and values are checked once here,
 * so a backend never sees bad input.
 * @module
 */
import { DEFAULT_COLLECTION, type JsonObject } from './contract.js';
import { InvalidKeyError, InvalidTTLError, SerializationError, ValidationError } from './errors.js';
import { readStoredJson, storedJsonError } from './stored-json.js';

/**
 * Checks that `name` is a non-empty, well-formed Unicode string (no lone surrogates).
 * Throws {@link InvalidKeyError} otherwise. `what` names the argument in the message.
 *
 * @example
 * ```ts
 * import { validateName } from 'oauth-kv/backend';
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
 * import { validateTtl } from 'oauth-kv/backend';
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
 * Checks the options argument of a read or delete (`{ collection }`) and returns the collection it
 * names, `"default_collection"` when none. Options that are not an object (`get(key, 'clients')`)
 * throw {@link ValidationError}; a malformed collection throws {@link InvalidKeyError}. The options
 * object is read once.
 *
 * @example
 * ```ts
 * validateCollectionOptions(undefined); // "default_collection"
 * validateCollectionOptions({ collection: 'clients' }); // "clients"
 * validateCollectionOptions('clients'); // throws ValidationError
 * ```
 */
export function validateCollectionOptions(options: unknown): string {
  if (options === undefined) return DEFAULT_COLLECTION;
  checkOptionsObject(options);
  return collectionIn(options);
}

/**
 * Checks the options argument of a write (`{ collection, ttl }`): an object or `undefined`
 * ({@link ValidationError} otherwise: `put(key, value, 300)` writes nothing), a well-formed
 * collection ({@link InvalidKeyError}) and a valid TTL ({@link InvalidTTLError}). Returns both, read
 * once.
 *
 * @example
 * ```ts
 * validatePutOptions({ collection: 'codes', ttl: 300 }); // { collection: 'codes', ttl: 300 }
 * validatePutOptions(300); // throws ValidationError
 * ```
 */
export function validatePutOptions(options: unknown): { collection: string; ttl: number | undefined } {
  // Stryker disable next-line ObjectLiteral: equivalent: a collection left undefined means the default one to the store a wrapper passes it to
  if (options === undefined) return { collection: DEFAULT_COLLECTION, ttl: undefined };
  checkOptionsObject(options);
  const collection = collectionIn(options);
  const ttl: unknown = (options as { ttl?: unknown }).ttl;
  validateTtl(ttl);
  return { collection, ttl };
}

/**
 * Checks the options of `keys(collection, { limit, cursor })`: an object or `undefined`, `limit` a
 * positive safe integer, `cursor` a string. Every failure is a {@link ValidationError} whose
 * `issues[0].path` names the option (`options.limit`). Returns both (`undefined` when not given).
 *
 * @example
 * ```ts
 * const { limit = 1000, cursor } = validateKeysOptions({ limit: 100 });
 * validateKeysOptions({ limit: 0 }); // throws ValidationError
 * ```
 */
export function validateKeysOptions(options: unknown): {
  limit: number | undefined;
  cursor: string | undefined;
} {
  // Stryker disable next-line ObjectLiteral: equivalent: limit and cursor are undefined either way
  if (options === undefined) return { limit: undefined, cursor: undefined };
  checkOptionsObject(options);
  const { limit, cursor } = options as { limit?: unknown; cursor?: unknown };
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1)) {
    throw invalidOption(`keys() limit must be a positive integer, got ${describeScalar(limit)}`, 'limit');
  }
  if (cursor !== undefined && typeof cursor !== 'string') {
    throw invalidOption(
      `keys() cursor must be the string a previous page returned, got ${describeType(cursor)}`,
      'cursor',
    );
  }
  return { limit: limit as number | undefined, cursor };
}

/**
 * Checks a list of keys (`getMany`, `ttlMany`, `deleteMany`): an array of well-formed names.
 * Throws {@link InvalidKeyError} otherwise.
 *
 * @example
 * ```ts
 * validateKeyList(['a', 'b']); // ok
 * validateKeyList('a'); // throws InvalidKeyError
 * ```
 */
export function validateKeyList(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) throw new InvalidKeyError('Expected an array of keys');
  for (const key of keys) validateName(key, 'key');
}

/**
 * Checks the entries of `putMany`: an array of `[key, value]` pairs with well-formed keys. A
 * malformed list or pair is a {@link SerializationError} whose path is `$` or `entries[i]`; a bad
 * key an {@link InvalidKeyError}. Returns the pairs, each read once (values are not checked here).
 *
 * @example
 * ```ts
 * validateEntries([['a', { n: 1 }]]); // [['a', { n: 1 }]]
 * validateEntries([['a']]); // throws SerializationError at entries[0]
 * ```
 */
export function validateEntries(entries: unknown): Array<[string, unknown]> {
  if (!Array.isArray(entries)) {
    throw new SerializationError('putMany takes an array of [key, value] pairs', '$');
  }
  return entries.map((pair: unknown, i): [string, unknown] => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new SerializationError('putMany takes an array of [key, value] pairs', `entries[${i}]`);
    }
    const [key, value] = pair as [unknown, unknown];
    validateName(key, 'key');
    return [key, value];
  });
}

function checkOptionsObject(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidOption(
      `The options argument must be an object such as { collection, ttl }, got ${describeType(options)}`,
      undefined,
    );
  }
}

function collectionIn(options: object): string {
  const collection: unknown = (options as { collection?: unknown }).collection;
  if (collection === undefined) return DEFAULT_COLLECTION;
  validateName(collection, 'collection');
  return collection;
}

function invalidOption(message: string, option: string | undefined): ValidationError {
  return new ValidationError(message, [
    { message, path: option === undefined ? 'options' : `options.${option}` },
  ]);
}

function describeScalar(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeType(value);
}

/**
 * Checks that `value` is a plain JSON object that survives a JSON round trip unchanged and returns
 * its JSON text. Throws {@link SerializationError} naming the offending path otherwise: undefined
 * members, functions, symbols, BigInt, NaN/Infinity, Date, Map, class instances, cycles, sparse
 * arrays or arrays with named members, lone surrogates in strings or member names, nesting deeper
 * than the engine can walk, or a top level that is not an object.
 *
 * @example
 * ```ts
 * import { serializeValue } from 'oauth-kv/backend';
 * serializeValue({ a: [1, 2] }); // '{"a":[1,2]}'
 * serializeValue({ a: undefined }); // throws SerializationError at $.a
 * ```
 */
// Stryker disable all: for backends that serialize outside BaseStore (not the stores the suite runs on here); test/validation.test.ts checks it
export function serializeValue(value: unknown): string {
  return snapshotValue(value).json;
}
// Stryker restore all

/**
 * A value as validated: a fresh copy made of plain objects and arrays, and its JSON text.
 */
export interface ValueSnapshot {
  /** A copy holding exactly what was validated (getters were read once, into this copy). */
  readonly value: JsonObject;
  /** The compact JSON text of `value`. */
  readonly json: string;
}

/**
 * Validates `value` as {@link serializeValue} does, reading every member exactly once, and returns
 * a copy built from those reads together with its JSON text. What is stored is therefore what was
 * validated, even for a value whose getters or proxy answer differently on each read.
 *
 * @example
 * ```ts
 * const { value, json } = snapshotValue({ a: [1, 2] }); // json: '{"a":[1,2]}', value: a copy
 * ```
 */
export function snapshotValue(value: unknown): ValueSnapshot {
  if (!isPlainObject(value)) {
    throw new SerializationError(`A value must be a plain JSON object, got ${describeType(value)}`, '$');
  }
  const path: Array<string | number> = [];
  try {
    const copy = copyJson(value, path, []) as JsonObject;
    return { value: copy, json: JSON.stringify(copy) };
  } catch (err) {
    if (!isStackOverflow(err)) throw err;
    throw new SerializationError(
      `The value is nested deeper than the JavaScript engine can walk (over ${path.length} levels)`,
      '$',
    );
  }
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
 * import { parseJsonObject } from 'oauth-kv/backend';
 * parseJsonObject('{"a":1}'); // { a: 1 }
 * parseJsonObject('[1]'); // undefined
 * parseJsonObject('{"n":9007199254740993}'); // throws DeserializationError (at $.n)
 * ```
 */
// Stryker disable all: reads what backends stored (not the stores the suite runs on here); test/stored-json.test.ts checks it
export function parseJsonObject(text: string): JsonObject | undefined {
  const result = readStoredJson(text);
  if (result.ok) return result.value;
  if (result.kind === 'inexact') throw storedJsonError(result, 'The stored JSON');
  return undefined;
}
// Stryker restore all

/**
 * `true` for `{...}` literals and `Object.create(null)`: objects JSON can represent as they are.
 *
 * @example
 * ```ts
 * import { isPlainObject } from 'oauth-kv/backend';
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
 * Walks the value and returns a copy of it; `path` holds the member names and indexes from the
 * top, and is turned into text only when something is wrong, so a valid value costs no string
 * building. Each member is read once: the copy holds what was checked.
 */
function copyJson(value: unknown, path: Array<string | number>, ancestors: unknown[]): unknown {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) {
        throw new SerializationError(
          'A string holds a lone surrogate and is not valid Unicode',
          formatPath(path),
        );
      }
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new SerializationError(`JSON cannot hold ${String(value)}`, formatPath(path));
      }
      return value;
  }
  // Anything else that is not null, an array or a plain object (undefined, a function, a symbol, a
  // bigint, a Date, a Map, a class instance) is refused by the last branch below.
  if (value === null) return null;
  if (ancestors.includes(value)) throw new SerializationError('The value holds a cycle', formatPath(path));
  ancestors.push(value);
  let copy: unknown;
  if (Array.isArray(value)) copy = copyArray(value, path, ancestors);
  else if (isPlainObject(value)) copy = copyObject(value, path, ancestors);
  else throw new SerializationError(`JSON cannot hold ${describeType(value)}`, formatPath(path));
  ancestors.pop();
  return copy;
}

function copyArray(array: unknown[], path: Array<string | number>, ancestors: unknown[]): unknown[] {
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    throw new SerializationError('An array subclass is not a plain JSON array', formatPath(path));
  }
  refuseSymbols(array, path);
  const length = array.length;
  // Stryker disable next-line ConditionalExpression: equivalent, a shortcut: scanning the names of an array without named members finds none
  if (Object.keys(array).length !== length) {
    // More own enumerable names than indexes: named members, which JSON drops. (Fewer: a hole,
    // found below with its index.)
    let named = false;
    for (const name of Object.keys(array)) if (!/^(?:0|[1-9]\d*)$/.test(name)) named = true;
    if (named) throw new SerializationError('An array has named members, which JSON drops', formatPath(path));
  }
  // Stryker disable next-line ArrayDeclaration: equivalent: every index is assigned below
  const copy: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    path.push(i);
    if (!Object.hasOwn(array, i)) throw new SerializationError('A sparse array has a hole', formatPath(path));
    copy[i] = copyJson(array[i], path, ancestors);
    path.pop();
  }
  return copy;
}

function copyObject(
  object: Record<string, unknown>,
  path: Array<string | number>,
  ancestors: unknown[],
): Record<string, unknown> {
  refuseSymbols(object, path);
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(object)) {
    path.push(name);
    if (!name.isWellFormed()) {
      throw new SerializationError(
        'A member name holds a lone surrogate and is not valid Unicode',
        formatPath(path),
      );
    }
    const member = copyJson(object[name], path, ancestors);
    // `__proto__` is an ordinary member name in JSON; assigning it would set the prototype instead.
    // Stryker disable next-line ConditionalExpression: equivalent: defining a member gives the same copy as assigning one, but for __proto__
    if (name === '__proto__') {
      Object.defineProperty(copy, name, {
        value: member,
        enumerable: true,
        // Stryker disable next-line BooleanLiteral: equivalent: the copy is only serialized, never written to
        writable: true,
        // Stryker disable next-line BooleanLiteral: as above
        configurable: true,
      });
    } else copy[name] = member;
    path.pop();
  }
  return copy;
}

function refuseSymbols(object: object, path: ReadonlyArray<string | number>): void {
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (Object.prototype.propertyIsEnumerable.call(object, symbol)) {
      throw new SerializationError('An object has symbol-keyed members, which JSON drops', formatPath(path));
    }
  }
}

/** V8 and other engines report running out of stack as a RangeError. */
function isStackOverflow(err: unknown): boolean {
  // Stryker disable next-line LogicalOperator: equivalent short of a value whose JSON text passes the engine's string limit: nothing else the walk throws is a RangeError or names the call stack
  return err instanceof RangeError && /call stack|too much recursion/i.test(err.message);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '$';
  for (const part of path) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent: a number is no identifier, so the line below writes [n] too
    if (typeof part === 'number') out += `[${part}]`;
    else out += IDENTIFIER.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** What a refusal's message says was found: `null`, `an array`, `a Date`, `an object`, `a string`. */
function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    if (isPlainObject(value)) return 'an object';
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object with a prototype of its own';
  }
  return `a ${typeof value}`;
}
