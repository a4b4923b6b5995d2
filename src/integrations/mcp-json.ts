/**
 * Small helpers shared by the MCP integration: turning SDK objects into storable JSON objects,
 * random secrets, epoch seconds.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JsonObject } from '../contract.js';
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
 * The SHA-256 of a token's UTF-8 bytes, as 64 lowercase hex digits: the key `OAuthStateStore`
 * keeps a code or token under when the store stack holds no encryption keys and no `hashSecret` is
 * given. With keys (or a `hashSecret`) keys are HMAC-SHA-256 instead and this function does not
 * give them.
 *
 * @deprecated Kept for compatibility; oauth-kv no longer keys by plain SHA-256 once a secret exists.
 * Read `OAuthStateStore.protection.bearerHashing` to see which applies.
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
