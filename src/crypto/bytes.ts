/**
 * Byte helpers that work on every runtime: base64 (standard and url-safe), Latin-1 text and
 * big-endian integers on plain `Uint8Array`s. Node's `Buffer` is used when the runtime has one (it is
 * the fastest base64 codec there); elsewhere `atob`/`btoa`, which every runtime has.
 * @module
 */

interface BufferLike extends Uint8Array {
  toString(encoding?: 'base64' | 'base64url' | 'latin1'): string;
}
interface BufferStatic {
  from(data: string, encoding: 'base64' | 'latin1'): BufferLike;
  from(data: ArrayBufferLike, byteOffset: number, length: number): BufferLike;
  allocUnsafe(size: number): BufferLike;
  isBuffer(value: unknown): boolean;
}

/** Node's, Bun's and Deno's global `Buffer`, or `undefined` (Workers without `nodejs_compat`, browsers). */
const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;

function view(bytes: Uint8Array): BufferLike {
  return NodeBuffer!.isBuffer(bytes)
    ? bytes
    : NodeBuffer!.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `size` bytes whose content the caller overwrites entirely (not zeroed where Buffer exists). */
export function allocBytes(size: number): Uint8Array {
  return NodeBuffer ? NodeBuffer.allocUnsafe(size) : new Uint8Array(size);
}

/** Bytes as Latin-1 text, one character per byte (what `atob`/`btoa` speak). */
export function bytesToLatin1(bytes: Uint8Array): string {
  if (NodeBuffer) return view(bytes).toString('latin1');
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return text;
}

/** Latin-1 text as bytes; characters above U+00FF are cut to their low byte (callers check first). */
export function latin1ToBytes(text: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(text, 'latin1');
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Standard base64 with padding (`+/=`). */
export function toBase64(bytes: Uint8Array): string {
  return NodeBuffer ? view(bytes).toString('base64') : btoa(bytesToLatin1(bytes));
}

/** Url-safe base64 with padding (`-_=`), the Fernet token and key text form. */
export function toBase64Url(bytes: Uint8Array): string {
  const text = NodeBuffer
    ? view(bytes).toString('base64url')
    : toBase64(bytes).replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
  return text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
}

/**
 * Decodes base64 in either alphabet. The caller has already checked the text against the exact
 * alphabet it accepts: this does no validation of its own.
 */
export function fromBase64(text: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(text, 'base64');
  const standard = text.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/'));
  const padded = standard.length % 4 === 0 ? standard : standard + '='.repeat(4 - (standard.length % 4));
  return latin1ToBytes(atob(padded));
}

/** The unsigned 64-bit big-endian integer at `offset`, as a number (exact below 2^53). */
export function readUint64BE(bytes: Uint8Array, offset: number): number {
  let value = 0;
  for (let i = offset; i < offset + 8; i++) value = value * 256 + bytes[i]!;
  return value;
}

/** Writes `value` (an integer, 0 to 2^53) as an unsigned 64-bit big-endian integer at `offset`. */
export function writeUint64BE(bytes: Uint8Array, value: number, offset: number): void {
  let rest = value;
  for (let i = offset + 7; i >= offset; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** The bytes of several arrays, one after the other, in a new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const ENCODER = new TextEncoder();

/** UTF-8 of a string. */
export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

let strictDecoder: { decode(bytes: Uint8Array): string } | undefined;

/**
 * UTF-8 bytes as text; throws a `TypeError` on malformed UTF-8. The decoder is made on first use,
 * not when the module loads (a fatal `TextDecoder` costs a cold `import('oauth-kv')` about 2%).
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  strictDecoder ??= new TextDecoder('utf-8', { fatal: true });
  return strictDecoder.decode(bytes);
}
