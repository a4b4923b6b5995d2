/**
 * Redis key names of the Redis store: the py-key-value key `"{collection}::{key}"`, the reversible
 * encoding of collection names that could alias, `SCAN` patterns and cursors, and Cluster hash slots.
 * @module
 */
import { ValidationError } from '../../errors.js';

/**
 * The collection part of a Redis key. Names are kept byte-identical to py-key-value when that is
 * unambiguous; a name that contains `::`, ends with `:` or starts with `%` would let two different
 * `(collection, key)` pairs share a Redis key, so it is stored as `%` followed by the name with
 * `%` and `:` percent-encoded (`a::b` → `%a%3A%3Ab`).
 *
 * @example
 * ```ts
 * import { encodeCollection } from 'oauth-kv/redis';
 * encodeCollection('mcp-oauth-proxy-clients'); // "mcp-oauth-proxy-clients"
 * encodeCollection('a::b'); // "%a%3A%3Ab"
 * ```
 */
export function encodeCollection(collection: string): string {
  if (!collection.includes('::') && !collection.endsWith(':') && !collection.startsWith('%')) {
    return collection;
  }
  return `%${collection.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
}

/**
 * The inverse of {@link encodeCollection}; `undefined` for text it never produces.
 *
 * @example
 * ```ts
 * import { decodeCollection } from 'oauth-kv/redis';
 * decodeCollection('%a%3A%3Ab'); // "a::b"
 * ```
 */
export function decodeCollection(encoded: string): string | undefined {
  let name = encoded;
  if (encoded.startsWith('%')) {
    if (/%(?!25|3A)/.test(encoded.slice(1)) || encoded.slice(1).includes(':')) return undefined;
    name = encoded.slice(1).replace(/%3A/g, ':').replace(/%25/g, '%');
  }
  return name.length > 0 && encodeCollection(name) === encoded ? name : undefined;
}

/** The store's Redis key names under its `keyPrefix` (the prefix ioredis adds itself excluded). */
export class KeyNames {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** The Redis key of an entry. */
  key(collection: string, key: string): string {
    return `${this.collection(collection)}${key}`;
  }

  /** The start shared by every Redis key of a collection. */
  collection(collection: string): string {
    return `${this.#prefix}${encodeCollection(collection)}::`;
  }

  /**
   * The sorted set indexing a collection's keys (when indexed): `"{collection}:#keys"`, a name with
   * no `::`, so neither py-key-value's `SCAN` of a collection nor `collections()` ever sees it.
   */
  index(collection: string): string {
    return `${this.#prefix}${encodeCollection(collection)}:#keys`;
  }

  /** The start shared by every Redis key of the store. */
  get prefix(): string {
    return this.#prefix;
  }
}

/** A `SCAN MATCH` pattern matching every key that starts with `head`, glob characters escaped. */
export function matchPrefix(head: string): string {
  return `${head.replace(/[\\*?[\]^]/g, '\\$&')}*`;
}

/**
 * The opaque cursor text of a `keys()` page: the last key it returned. Pages are in key order
 * (by `SCAN` or by the key index alike), so the next page starts after it.
 */
export function writeCursor(after: string): string {
  return Buffer.from(JSON.stringify([after]), 'utf8').toString('base64url');
}

/** The last key of the page that returned `text` ({@link writeCursor}); else a {@link ValidationError}. */
export function readCursor(text: string): string {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 1 || typeof parts[0] !== 'string') {
    const message = 'keys() cursor must be the string a previous page returned';
    throw new ValidationError(message, [{ message, path: 'options.cursor' }]);
  }
  return parts[0];
}

/**
 * The `count` smallest distinct keys greater than `after` among those offered, in memory bounded by
 * about `2 * count` keys. `SCAN` offers keys in hash order, and may offer one twice (when the
 * database shrinks during the scan), so a `keys()` page by `SCAN` sees the whole collection and
 * keeps only what its page needs.
 */
export class SmallestKeys {
  readonly #count: number;
  readonly #after: string | undefined;
  #kept: string[] = [];
  /** Once `count` keys are kept, only smaller keys can still belong to the page. */
  #bound: string | undefined;

  constructor(count: number, after: string | undefined) {
    this.#count = count;
    this.#after = after;
  }

  offer(key: string): void {
    if (this.#after !== undefined && key <= this.#after) return;
    if (this.#bound !== undefined && key >= this.#bound) return;
    this.#kept.push(key);
    if (this.#kept.length >= 2 * this.#count + 64) this.#trim();
  }

  /** The kept keys, sorted, each once. */
  sorted(): string[] {
    this.#trim();
    return this.#kept;
  }

  #trim(): void {
    const sorted = this.#kept.sort();
    const unique: string[] = [];
    for (const key of sorted) {
      if (unique.length === this.#count) break;
      if (key !== unique[unique.length - 1]) unique.push(key);
    }
    this.#kept = unique;
    if (unique.length === this.#count) this.#bound = unique[unique.length - 1];
  }
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/**
 * The Redis Cluster hash slot of a key (CRC16/XMODEM of its UTF-8 bytes, or of its `{hashtag}`,
 * modulo 16384), as `CLUSTER KEYSLOT` computes it.
 *
 * @example
 * ```ts
 * import { hashSlot } from 'oauth-kv/redis';
 * hashSlot('foo'); // 12182
 * hashSlot('{user1}.a') === hashSlot('{user1}.b'); // true
 * ```
 */
export function hashSlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc & 0x3fff;
}
