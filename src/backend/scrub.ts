/**
 * Keeping a driver's error without its secrets: every store that wraps a driver error as `cause`
 * keeps a copy with the name, the code and a scrubbed, shortened message only (never the
 * arguments, values or passwords a driver may attach).
 * @module
 */

/** Longest driver message kept, in characters (a longer one is cut and ends in `…`). */
const MAX_MESSAGE = 200;

/**
 * Removes credentials from text: the `user:password@` part of any URL, and each of `secrets`.
 *
 * @example
 * ```ts
 * import { scrub } from 'oauth-kv/backend';
 * scrub('redis://u:pw@h:1', []); // "redis://***@h:1"
 * scrub('login failed for s3cret', ['s3cret']); // "login failed for ***"
 * ```
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@\s/]*@/gi, '$1***@');
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/**
 * A driver error's message cut to 200 characters and scrubbed (see {@link scrub}).
 *
 * @example
 * ```ts
 * import { scrubbedMessage } from 'oauth-kv/backend';
 * scrubbedMessage(new Error('connect to postgres://u:pw@db failed'), []); // "connect to postgres://***@db failed"
 * ```
 */
export function scrubbedMessage(err: Error, secrets: readonly string[]): string {
  const text = err.message.length > MAX_MESSAGE ? `${err.message.slice(0, MAX_MESSAGE)}…` : err.message;
  return scrub(text, secrets);
}

/**
 * A copy of a driver error to keep as `cause`: its name, its string `code`, and `message` (by
 * default the error's own, cut and scrubbed by {@link scrubbedMessage}); its stack is that one line.
 *
 * @example
 * ```ts
 * import { sanitized } from 'oauth-kv/backend';
 * import { StoreConnectionError } from 'oauth-kv';
 *
 * const driverError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
 * const err = new StoreConnectionError('Cannot reach the server', { cause: sanitized(driverError, []) });
 * ```
 */
export function sanitized(
  err: Error,
  secrets: readonly string[],
  message: string = scrubbedMessage(err, secrets),
): Error {
  const copy = new Error(message);
  copy.name = err.name;
  copy.stack = `${copy.name}: ${copy.message}`;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}
