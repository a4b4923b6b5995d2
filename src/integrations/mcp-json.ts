/**
 * Small helpers shared by the MCP integration: turning SDK objects into storable JSON objects and
 * reading stored records back with a shape check.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JsonObject } from '../contract.js';
import { DeserializationError } from '../errors.js';
import { isPlainObject } from '../validation.js';

/**
 * Returns a copy of a plain object without its `undefined` members (at any depth), the way
 * `JSON.stringify` would drop them. The MCP SDK builds objects such as
 * `{ client_secret: undefined }` for public clients; a store rejects `undefined`, so they are
 * dropped here. Anything else that is not JSON (Dates, class instances, ...) is left in place
 * for the store to reject with a `SerializationError`.
 *
 * @example
 * ```ts
 * dropUndefined({ a: 1, b: undefined, c: [{ d: undefined }] }); // { a: 1, c: [{}] }
 * ```
 */
export function dropUndefined<T extends object>(value: T): JsonObject {
  return strip(value) as JsonObject;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : strip(item)));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member !== undefined) out[key] = strip(member);
  }
  return out;
}

/**
 * The SHA-256 of a token's UTF-8 bytes, as 64 lowercase hex digits: the key under which
 * {@link OAuthStateStore} keeps access and refresh tokens, so the store never holds a usable token.
 *
 * @example
 * ```ts
 * import { hashToken } from 'oauth-kv/mcp';
 * hashToken('abc'); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * A new random secret: 32 bytes from the system CSPRNG as base64url (43 characters).
 *
 * @example
 * ```ts
 * const code = randomToken(); // e.g. "Vq3...": 256 bits of entropy
 * ```
 */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A required string member of a stored record, or a `DeserializationError` naming the field
 * (never its value).
 *
 * @example
 * ```ts
 * const clientId = requireString(record, 'client_id', 'access token');
 * ```
 */
export function requireString(record: JsonObject, field: string, what: string): string {
  const value = record[field];
  if (typeof value !== 'string') {
    throw new DeserializationError(`A stored ${what} record has no string "${field}"`);
  }
  return value;
}

/**
 * A required array-of-strings member of a stored record, or a `DeserializationError`.
 *
 * @example
 * ```ts
 * const scopes = requireStrings(record, 'scopes', 'grant');
 * ```
 */
export function requireStrings(record: JsonObject, field: string, what: string): string[] {
  const value = record[field];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new DeserializationError(`A stored ${what} record has no string array "${field}"`);
  }
  return value as string[];
}

/**
 * An optional string member: `undefined` when absent or `null`, a `DeserializationError` when not a string.
 *
 * @example
 * ```ts
 * const subject = optionalString(record, 'subject', 'grant');
 * ```
 */
export function optionalString(record: JsonObject, field: string, what: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new DeserializationError(`A stored ${what} record's "${field}" is not a string`);
  return value;
}

/**
 * An optional number member: `undefined` when absent or `null`, a `DeserializationError` when not a number.
 *
 * @example
 * ```ts
 * const expiresAt = optionalNumber(record, 'expires_at', 'access token');
 * ```
 */
export function optionalNumber(record: JsonObject, field: string, what: string): number | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number')
    throw new DeserializationError(`A stored ${what} record's "${field}" is not a number`);
  return value;
}

/**
 * Whole epoch seconds (of `ms`, default now), the unit OAuth uses for `expires_at` and `iat`.
 *
 * @example
 * ```ts
 * epochSeconds(Date.UTC(2026, 0, 1)); // 1767225600
 * ```
 */
export function epochSeconds(ms: number = Date.now()): number {
  return Math.floor(ms / 1000);
}
