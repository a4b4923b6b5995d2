/**
 * Reading JSON text that another program stored, Python's py-key-value above all, without ever
 * changing a number silently. Python keeps integers exact at any size and writes non-finite floats
 * as `NaN`, `Infinity` and `-Infinity`; `JSON.parse` rounds the first and rejects the second.
 * @module
 */
import type { JsonObject } from './contract.js';
import { DeserializationError } from './errors.js';

/**
 * The outcome of reading stored JSON text: the object, or why it cannot be read. `inexact` means
 * the text is JSON as Python writes it but holds a number JavaScript cannot represent exactly;
 * `lenient` is then the text read with those numbers as `null` (or rounded), for reading the
 * dates of an entry that is otherwise unreadable. Never hand `lenient` to a caller as a value.
 */
export type StoredJsonResult =
  | { readonly ok: true; readonly value: JsonObject }
  | { readonly ok: false; readonly kind: 'syntax' }
  | { readonly ok: false; readonly kind: 'not-object' }
  | {
      readonly ok: false;
      readonly kind: 'inexact';
      readonly path: ReadonlyArray<string | number>;
      readonly reason: string;
      readonly lenient: Record<string, unknown> | undefined;
    };

/**
 * Parses stored JSON text that must hold a JSON object, refusing what JavaScript would change:
 * an integer beyond 2^53 that a double cannot hold (Python writes integers of any size exactly;
 * `JSON.parse` would round them), a number beyond the double range, and Python's `NaN`,
 * `Infinity` and `-Infinity`. An integer is kept when its double equals it or prints back as the
 * same digits, so reading and writing a value again never changes a stored integer, and every
 * finite double oauth-kv wrote reads back. Throws {@link DeserializationError} naming the JSON path
 * (`$.a.b[2]`, never the number itself) for those, and for text that is not JSON or not an
 * object. Every reader of stored documents goes through this function.
 *
 * @example
 * ```ts
 * import { parseStoredJson } from 'oauth-kv/backend';
 * parseStoredJson('{"n": 9007199254740992}'); // { n: 9007199254740992 } (2^53, exact)
 * parseStoredJson('{"n": 9007199254740993}'); // throws DeserializationError (at $.n)
 * parseStoredJson('{"x": NaN}'); // throws DeserializationError (at $.x)
 * ```
 */
export function parseStoredJson(text: string): JsonObject {
  const result = readStoredJson(text);
  if (result.ok) return result.value;
  throw storedJsonError(result, 'The stored JSON');
}

/**
 * The error for a failed {@link readStoredJson}; `what` names the text ("The stored value") and
 * `path` formats the path (default: from the root of the text).
 */
export function storedJsonError(
  result: Exclude<StoredJsonResult, { ok: true }>,
  what: string,
  path: (parts: ReadonlyArray<string | number>) => string = formatJsonPath,
): DeserializationError {
  if (result.kind === 'syntax') return new DeserializationError(`${what} is not valid JSON`);
  if (result.kind === 'not-object') return new DeserializationError(`${what} is not a JSON object`);
  return new DeserializationError(`${what} holds ${result.reason} (at ${path(result.path)})`);
}

/** Python's non-finite floats; `JSON.parse` rejects them. */
const NON_FINITE = /NaN|Infinity/;

/**
 * {@link parseStoredJson} without throwing. Fast for ordinary text: one `JSON.parse` and a walk
 * over the parsed numbers; the text is scanned token by token only when a number reached 2^53 in
 * magnitude (below that every literal is exact) or the text fails to parse.
 *
 * @example
 * ```ts
 * const result = readStoredJson(text);
 * if (!result.ok) throw storedJsonError(result, 'The stored document');
 * ```
 */
export function readStoredJson(text: string): StoredJsonResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return readPythonJson(text);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, kind: 'not-object' };
  }
  if (hasLargeNumber(parsed)) {
    const found = scanNumbers(text, true)[0];
    if (found) {
      return {
        ok: false,
        kind: 'inexact',
        path: found.path,
        reason: found.reason,
        lenient: parsed as Record<string, unknown>,
      };
    }
  }
  return { ok: true, value: parsed as JsonObject };
}

/**
 * The fast path of {@link readStoredJson} for a reader that decodes many documents: the object
 * when the text is JSON, an object, and holds no number a double cannot hold exactly; otherwise
 * `undefined`, and {@link readStoredJson} of the same text says why (it then parses again, which
 * only the rare unreadable document pays). Builds no result object.
 *
 * @example
 * ```ts
 * const value = readStoredObject(text) ?? fail(readStoredJson(text));
 * ```
 */
export function readStoredObject(text: string): JsonObject | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || hasLargeNumber(parsed)) {
    return undefined;
  }
  return parsed as JsonObject;
}

/**
 * `true` when a number of the parsed value is 2^53 or more in magnitude (or infinite): only then
 * can its literal have been rounded. Recursive (no stack array to grow: a walk over a document is
 * a few dozen values), down to {@link MAX_DEPTH} levels; deeper values, which `JSON.parse` accepts,
 * are walked with an explicit stack so no depth overflows the call stack.
 */
function hasLargeNumber(value: object, depth = 0): boolean {
  if (depth > MAX_DEPTH) return hasLargeNumberDeep(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'number') {
        if (!(item < 2 ** 53 && item > -(2 ** 53))) return true;
      } else if (typeof item === 'object' && item !== null && hasLargeNumber(item, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item === 'number') {
      if (!(item < 2 ** 53 && item > -(2 ** 53))) return true;
    } else if (typeof item === 'object' && item !== null && hasLargeNumber(item, depth + 1)) return true;
  }
  return false;
}

/** How deep {@link hasLargeNumber} recurses before it walks with an explicit stack. */
const MAX_DEPTH = 200;

/** {@link hasLargeNumber} with an explicit stack, for values nested deeper than the call stack allows. */
function hasLargeNumberDeep(root: object): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') {
      if (!(value < 2 ** 53 && value > -(2 ** 53))) return true;
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push(value[i]);
    } else if (typeof value === 'object' && value !== null) {
      for (const key in value) stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/** Text `JSON.parse` refused: JSON except for Python's `NaN`/`Infinity`, or not JSON at all. */
function readPythonJson(text: string): StoredJsonResult {
  if (!NON_FINITE.test(text)) return { ok: false, kind: 'syntax' };
  const found = scanNumbers(text, false);
  const nonFinite = found.filter((f) => f.token !== undefined);
  if (nonFinite.length === 0) return { ok: false, kind: 'syntax' };
  let patched = '';
  let from = 0;
  for (const f of nonFinite) {
    patched += `${text.slice(from, f.start)}null`;
    from = f.end;
  }
  patched += text.slice(from);
  let lenient: unknown;
  try {
    lenient = JSON.parse(patched);
  } catch {
    return { ok: false, kind: 'syntax' };
  }
  if (typeof lenient !== 'object' || lenient === null || Array.isArray(lenient)) {
    return { ok: false, kind: 'not-object' };
  }
  const first = found[0]!; // the first problem in text order, non-finite or not
  return {
    ok: false,
    kind: 'inexact',
    path: first.path,
    reason: first.reason,
    lenient: lenient as Record<string, unknown>,
  };
}

interface Found {
  path: Array<string | number>;
  reason: string;
  start: number;
  end: number;
  /** Set for `NaN`, `Infinity`, `-Infinity` (which `JSON.parse` rejects). */
  token?: string;
}

interface Frame {
  array: boolean;
  /** Arrays: the current index. Objects: the current member name. */
  at: string | number | undefined;
  expectKey: boolean;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Walks JSON text (with Python's non-finite literals) outside strings and reports the numbers a
 * double cannot hold exactly, with their paths. Tolerant of malformed text: it never throws and
 * always advances, but its paths are meaningful only when the text is otherwise valid JSON.
 */
function scanNumbers(text: string, firstOnly: boolean): Found[] {
  const found: Found[] = [];
  const stack: Frame[] = [];
  const path = (): Array<string | number> => stack.map((f) => f.at ?? '');
  const report = (f: Found): boolean => {
    found.push(f);
    return firstOnly;
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (top && !top.array && top.expectKey) top.at = decodeKey(text.slice(i, end));
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ array: c === 0x5b, at: c === 0x5b ? 0 : undefined, expectKey: c === 0x7b });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      if (top?.array) top.at = (top.at as number) + 1;
      else if (top) top.expectKey = true;
      i++;
    } else if (c === 0x3a /* : */) {
      if (top) top.expectKey = false;
      i++;
    } else if (c === 0x4e /* N */ || c === 0x49 /* I */ || (c === 0x2d /* - */ && text[i + 1] === 'I')) {
      const token = ['NaN', 'Infinity', '-Infinity'].find((t) => text.startsWith(t, i));
      if (token === undefined) {
        i++;
        continue;
      }
      const reason = `${token}, which Python writes for a non-finite float and JSON cannot hold`;
      if (report({ path: path(), reason, start: i, end: i + token.length, token })) return found;
      i += token.length;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const { end, reason } = readNumber(text, i);
      if (reason !== undefined && report({ path: path(), reason, start: i, end })) return found;
      i = end;
    } else i++;
  }
  return found;
}

/** The number literal at `i`: where it ends and, when it would not read back exactly, why. */
function readNumber(text: string, i: number): { end: number; reason: string | undefined } {
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(text);
  if (!m) return { end: i + 1, reason: undefined };
  return { end: i + m[0].length, reason: inexact(m[0], m[1] === undefined && m[2] === undefined) };
}

/**
 * Why `literal` would not read back as the same number, or `undefined` when it would. An integer
 * is kept when the double holds it exactly, or when JavaScript prints that double back as the
 * same digits (as it does for every integer-valued double it wrote itself below 1e21: writing
 * the value again then stores the same text, so Python reads back its own integer), or as the
 * same decimal value in exponent form (JSONB's expansion of a large double oauth-kv wrote).
 */
function inexact(literal: string, integer: boolean): string | undefined {
  const digits = literal.length - (literal.charCodeAt(0) === 0x2d ? 1 : 0);
  if (integer && digits < 16) return undefined;
  if (!integer && literal.length < 16 && !/[eE]/.test(literal)) return undefined;
  const value = Number(literal);
  if (!Number.isFinite(value)) return 'a number beyond the range of a double';
  if (!integer || String(value) === literal || BigInt(literal) === BigInt(value)) return undefined;
  if (sameDecimal(literal, value)) return undefined;
  return 'an integer a double cannot hold (beyond 2^53; JavaScript would round it)';
}

/**
 * `true` when the integer literal is, digit for digit, the decimal value of the shortest form
 * JavaScript writes for `value`: PostgreSQL's JSONB prints the `1.5e+300` oauth-kv wrote as `15`
 * and 299 zeros, and reading it as 1.5e300 loses nothing (writing it again gives the same number).
 */
function sameDecimal(literal: string, value: number): boolean {
  const digits = literal.replace(/^-?0*/, '');
  const [mantissa = '', exponent = '0'] = Math.abs(value).toExponential().split('e');
  const shortest = mantissa.replace('.', '').replace(/0+$/, '');
  return digits.replace(/0+$/, '') === shortest && digits.length - 1 === Number(exponent);
}

/** The index after the string starting at `start` (a `"`), or the end of the text. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return text.length;
}

function decodeKey(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.a[0]["b c"]`: the notation of `SerializationError.path`. */
export function formatJsonPath(parts: ReadonlyArray<string | number>): string {
  let out = '$';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += IDENTIFIER.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}
