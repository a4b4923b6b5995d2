/**
 * The names of {@link FileStore}: the reversible, collision-free file-name encoding of any key or
 * collection name, and the names of the store's own bookkeeping files. See `docs/file.md`.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * Longest encoding kept as it is; longer names use the hashed form.
 *
 * @example
 * ```ts
 * import { encodeFileName, MAX_PLAIN_ENCODING } from 'oauth-kv/file';
 * encodeFileName('x'.repeat(MAX_PLAIN_ENCODING + 1)); // a readable start, then %%, then a SHA-256
 * ```
 */
export const MAX_PLAIN_ENCODING = 200;
/** How much of a long encoding is kept in front of its hash, for readability. */
const HASHED_PREFIX = 64;
/** Separates the readable prefix from the hash in the hashed form; never occurs in a plain encoding. */
const HASH_MARKER = '%%';
/** File names Windows reserves whatever their extension; their first letter is escaped. */
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/;
const PLAIN_BYTE = /^[a-z0-9_-]$/;
const HEX = '0123456789abcdef';
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes a key or collection name as a file name. Bytes of the UTF-8 form in `[a-z0-9_-]` stay as
 * they are; every other byte, uppercase letters and `.` included, becomes `%` and two lowercase hex
 * digits. A result that is a Windows device name (`con`, `nul`, `com1`, …) gets its first letter
 * escaped too. The result uses only `[a-z0-9_%-]`, so it is the same on case-insensitive file
 * systems, never starts with `.`, and never holds a path separator.
 *
 * An encoding longer than {@link MAX_PLAIN_ENCODING} characters becomes its first 64 characters,
 * `%%`, and the SHA-256 (lowercase hex) of the name's UTF-8 bytes; such names are recovered from
 * the `key` / `collection` fields of the stored document, which reads always check.
 *
 * @example
 * ```ts
 * import { encodeFileName } from 'oauth-kv/file';
 * encodeFileName('https://app.example/client.json');
 * // "https%3a%2f%2fapp%2eexample%2fclient%2ejson"
 * encodeFileName('Client'); // "%43lient"
 * ```
 */
export function encodeFileName(name: string): string {
  const bytes = utf8.encode(name);
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += PLAIN_BYTE.test(char) ? char : escapeByte(byte);
  }
  if (WINDOWS_RESERVED.test(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  if (out.length <= MAX_PLAIN_ENCODING) return out;
  let cut = HASHED_PREFIX;
  // Never split an escape: back up to just before a `%` that the cut would separate from its digits.
  const lastEscape = out.lastIndexOf('%', cut - 1);
  if (lastEscape !== -1 && lastEscape > cut - 3) cut = lastEscape;
  return `${out.slice(0, cut)}${HASH_MARKER}${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Decodes a file name written by {@link encodeFileName}. Returns the name, `null` for the hashed form
 * of a long name (read the name from the stored document), or `undefined` when `fileName` is not an
 * encoding this store writes (foreign files are ignored).
 *
 * @example
 * ```ts
 * import { decodeFileName } from 'oauth-kv/file';
 * decodeFileName('a%3a%3ab'); // "a::b"
 * decodeFileName('A'); // undefined: uppercase is never written
 * ```
 */
export function decodeFileName(fileName: string): string | null | undefined {
  if (isHashedFileName(fileName)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < fileName.length; i++) {
    const char = fileName[i] as string;
    if (char === '%') {
      const hi = HEX.indexOf(fileName[i + 1] ?? 'x');
      const lo = HEX.indexOf(fileName[i + 2] ?? 'x');
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (PLAIN_BYTE.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      return undefined;
    }
  }
  if (bytes.length === 0) return undefined;
  let name: string;
  try {
    name = strictUtf8.decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
  // Only the canonical spelling counts, so no two file names ever stand for one name.
  return encodeFileName(name) === fileName ? name : undefined;
}

/**
 * `true` for the hashed form {@link encodeFileName} gives names whose encoding is too long.
 *
 * @example
 * ```ts
 * import { encodeFileName, isHashedFileName } from 'oauth-kv/file';
 * isHashedFileName(encodeFileName('k'.repeat(1000))); // true
 * ```
 */
export function isHashedFileName(fileName: string): boolean {
  const at = fileName.indexOf(HASH_MARKER);
  return at !== -1 && /^[0-9a-f]{64}$/.test(fileName.slice(at + HASH_MARKER.length));
}

function escapeByte(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

// ---- the store's own file names ------------------------------------------------------------------

/** Suffix of every entry file. */
export const ENTRY_SUFFIX = '.json';
/** A write in progress (never read as an entry). */
export const TEMP_PREFIX = '.tmp-';
/** An entry being taken or deleted. */
export const CLAIM_PREFIX = '.claim-';
/** A collection being destroyed. */
export const TRASH_PREFIX = '.trash-';
/** The lock of one key (`putIfAbsent`, `cull`). */
export const LOCK_PREFIX = '.lock-';
/** Serializes the breakers of one abandoned lock. */
export const BREAK_PREFIX = '.brk-';

/** The file name of a key's entry. */
export function entryFileName(key: string): string {
  return encodeFileName(key) + ENTRY_SUFFIX;
}

/** `true` for a name that may be an entry file (bookkeeping names start with `.`). */
export function isEntryFileName(name: string): boolean {
  return !name.startsWith('.') && name.endsWith(ENTRY_SUFFIX);
}

/** A unique name for a temp, claim or trash file that carries its creation time. */
export function leftoverName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/** Age in ms of a file named by {@link leftoverName}; unreadable names count as old. */
export function leftoverAge(name: string): number {
  const rest = name.slice(name.indexOf('-') + 1);
  const created = Number.parseInt(rest.slice(0, rest.indexOf('-')), 36);
  return Number.isFinite(created) ? Date.now() - created : Number.POSITIVE_INFINITY;
}
