/**
 * The validation a backend written on the raw `AsyncKeyValue` contract (no BaseStore) must
 * reproduce, written from scratch here as such an author would: names, TTLs, options and values,
 * with oauth-kv's error classes and codes. Used by RawStore (raw-store.ts).
 */
import { InvalidKeyError, InvalidTTLError, SerializationError, ValidationError } from '../../src/errors.js';

export const MAX_TTL = 100 * 365.25 * 24 * 3600;

/** What was found, for a message (clause errors.found): `null`, `an array`, `a Date`, `a number`. */
export function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v !== 'object') return `a ${typeof v}`;
  const proto = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return 'an object';
  const name = proto.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object with a prototype of its own';
}

export function checkName(name: unknown, what: 'key' | 'collection'): string {
  if (typeof name !== 'string') throw new InvalidKeyError(`the ${what} must be a string, got ${kind(name)}`);
  if (name === '') throw new InvalidKeyError(`the ${what} must not be empty`);
  if (!name.isWellFormed()) throw new InvalidKeyError(`the ${what} holds a lone surrogate`);
  return name;
}

export function checkTtl(ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL) {
    const got = typeof ttl === 'number' ? String(ttl) : kind(ttl);
    throw new InvalidTTLError(`the TTL must be seconds above 0 and at most 100 years, got ${got}`);
  }
  return ttl;
}

/** The options object (or undefined); anything else is a ValidationError at `options`. */
export function checkOptions(options: unknown): { collection?: unknown; ttl?: unknown } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError(`options must be an object, got ${kind(options)}`, [
      { message: 'must be an object', path: 'options' },
    ]);
  }
  return options as { collection?: unknown; ttl?: unknown };
}

export function collectionOf(options: unknown): string {
  const { collection } = checkOptions(options);
  return collection === undefined ? 'default_collection' : checkName(collection, 'collection');
}

const SIMPLE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A path as a linked list, turned into text only for an error (deep values stay cheap). */
type Path = { up: Path; part: string | number } | undefined;
function text(path: Path): string {
  if (path === undefined) return '$';
  const { part } = path;
  if (typeof part === 'number') return `${text(path.up)}[${part}]`;
  return SIMPLE.test(part) ? `${text(path.up)}.${part}` : `${text(path.up)}[${JSON.stringify(part)}]`;
}
const refuse = (message: string, path: Path): never => {
  throw new SerializationError(message, text(path));
};

/** A validated copy of `value` (each member read once) and its JSON text. */
export function snapshot(value: unknown): { copy: Record<string, unknown>; json: string } {
  const plain = (v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
  };
  if (!plain(value)) throw new SerializationError(`a value must be a plain object, got ${kind(value)}`, '$');
  const seen: object[] = [];
  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') return v.isWellFormed() ? v : refuse('lone surrogate', path);
    if (typeof v === 'boolean' || v === null) return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : refuse(`${v} is not a finite number`, path);
    if (typeof v !== 'object')
      return refuse(`${v === undefined ? 'undefined' : `a ${typeof v}`} is not JSON`, path);
    if (seen.includes(v)) refuse('cycle', path);
    seen.push(v);
    let out: unknown;
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) refuse('array subclass', path);
      if (Object.keys(v).some((k) => !/^(0|[1-9]\d*)$/.test(k))) refuse('named members', path);
      const list: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i)) refuse('hole', { up: path, part: i });
        list.push(walk(v[i], { up: path, part: i }));
      }
      out = list;
    } else if (plain(v)) {
      if (Object.getOwnPropertySymbols(v).some((k) => Object.prototype.propertyIsEnumerable.call(v, k))) {
        refuse('symbol members', path);
      }
      const obj: Record<string, unknown> = {};
      for (const name of Object.keys(v)) {
        const at = { up: path, part: name };
        if (!name.isWellFormed()) refuse('lone surrogate in a name', at);
        Object.defineProperty(obj, name, {
          value: walk((v as Record<string, unknown>)[name], at),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      out = obj;
    } else refuse(`${kind(v)} is not a plain object`, path);
    seen.pop();
    return out;
  };
  try {
    const copy = walk(value, undefined) as Record<string, unknown>;
    return { copy, json: JSON.stringify(copy) };
  } catch (err) {
    if (err instanceof RangeError) throw new SerializationError('nested too deeply', '$');
    throw err;
  }
}
