/**
 * What every `oauth-kv` command shares: opening stores from a URL and keys, printing results (plain
 * or `--json`), redacting secrets, and turning failures into one line without a secret.
 * @module
 */
import { existsSync } from 'node:fs';
import type { AsyncKeyValue, JsonObject, JsonValue } from '../contract.js';
import { type OpenedStore, openStoreUrl } from '../create-store.js';
import { OAuthKVError } from '../errors.js';
import { parseStoreUrl, redactStoreUrl } from '../url/parse.js';
import { ENCRYPTED_DATA_FIELD } from '../wrappers/encrypted-form.js';

/** A failure the command reports as one line, with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Options every command that opens a store takes. */
export interface StoreFlags {
  key?: string[] | undefined;
  json?: boolean | undefined;
  reveal?: boolean | undefined;
}

/** Everything the command was given that must never be printed: keys and URL passwords. */
const secrets = new Set<string>();

/** Remembers a secret so {@link scrub} hides it from any message. */
export function rememberSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 4) secrets.add(value);
}

/** `text` with every remembered secret replaced by `***`. */
export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/** Remembers the passwords of a store URL. */
export function rememberUrl(url: string | undefined): void {
  if (url === undefined) return;
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(url)?.[1];
  const password = userinfo?.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : undefined;
  rememberSecret(password);
  if (password !== undefined) {
    try {
      rememberSecret(decodeURIComponent(password));
    } catch {
      // not percent-encoded
    }
  }
  for (const m of url.matchAll(/[?&](?:password|sentinelPassword)=([^&#]*)/gi)) rememberSecret(m[1]);
}

/** The keys given with `--key` (each may list several, comma-separated) or else `OAUTH_KV_KEY`. */
export function keysOf(flags: StoreFlags): string[] {
  const given = flags.key ?? [];
  const text = given.length > 0 ? given.join(',') : (process.env.OAUTH_KV_KEY ?? '');
  const keys = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  for (const k of keys) rememberSecret(k);
  return keys;
}

/** The URL argument, or `OAUTH_KV_URL`. */
export function urlOf(url: string | undefined): string {
  const chosen = url ?? process.env.OAUTH_KV_URL;
  if (chosen === undefined || chosen.length === 0) {
    throw new CliError(
      'no store URL: give one (redis://…, postgres://…, file:./dir, …) or set OAUTH_KV_URL',
      2,
    );
  }
  rememberUrl(chosen);
  return chosen;
}

/**
 * Opens the store `url` names; encrypted when keys are given (pass `[]` for the raw store only).
 * A `file:` directory that does not exist is refused unless `create` (a typo must not make one).
 */
export async function open(url: string, keys: readonly string[], create = false): Promise<OpenedStore> {
  const spec = parseStoreUrl(url);
  if (spec.kind === 'file' && !create && !existsSync(spec.directory)) {
    throw new CliError(`no store at ${shown(url)}: the directory does not exist`);
  }
  return openStoreUrl(url, { keys: keys.length === 0 ? false : keys });
}

/** A URL fit for printing. */
export function shown(url: string): string {
  return redactStoreUrl(url);
}

/** Runs `fn` with the store open, and closes it whatever happens. */
export async function withStore<T>(opened: OpenedStore, fn: (o: OpenedStore) => Promise<T>): Promise<T> {
  try {
    return await fn(opened);
  } finally {
    await opened.raw.close().catch(() => {});
  }
}

/** Fails with a clear line when `collection` holds no entries. */
export async function requireCollection(store: AsyncKeyValue, collection: string): Promise<void> {
  if (!store.capabilities.collections) return;
  const names = await store.collections();
  if (!names.includes(collection)) {
    throw new CliError(
      `collection ${JSON.stringify(collection)} holds no entries (see: oauth-kv collections URL)`,
    );
  }
}

/** Writes the result: JSON with `--json`, else `plain` (lines). */
export function output(flags: { json?: boolean | undefined }, json: unknown, plain: string | string[]): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(json)}\n`);
    return;
  }
  const lines = Array.isArray(plain) ? plain : [plain];
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Member names whose string values are secrets. */
const SECRET_NAME =
  /(secret|token|password|passwd|verifier|assertion|private|credential|api_?key|cookie|session_?key|^code$|^key$|^value_hash$)/i;

/**
 * A copy of `value` with secret members replaced by `"[redacted]"` (and an encrypted blob by
 * `"[encrypted]"`), for printing without `--reveal`.
 */
export function redact(value: JsonValue, name = ''): JsonValue {
  if (Array.isArray(value)) return value.map((v) => redact(v, name));
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === ENCRYPTED_DATA_FIELD ? '[encrypted]' : redact(v, k);
    }
    return out;
  }
  if (typeof value === 'string' && SECRET_NAME.test(name)) return '[redacted]';
  return value;
}

/** One line for any failure: the error's own message for oauth-kv errors, never a stack or a secret. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: scrub(firstLine(err.message)), exitCode: err.exitCode };
  if (err instanceof OAuthKVError) {
    const hint =
      err.code === 'DECRYPTION_ERROR'
        ? ' (wrong --key or OAUTH_KV_KEY?)'
        : err.code === 'ENCRYPTION_ERROR'
          ? ' (check --key / OAUTH_KV_KEY: a Fernet key is 44 url-safe base64 characters)'
          : '';
    return { message: scrub(`${firstLine(err.message)}${hint}`), exitCode: 1 };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return { message: scrub(firstLine(err.message)), exitCode: 1 };
  }
  const name = err instanceof Error ? err.name : typeof err;
  return { message: `unexpected ${name}; nothing more is shown, as it might hold a secret`, exitCode: 1 };
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.replace(/[.:]\s*$/, '');
}

/** `true` for a value in py-key-value's encrypted form. */
export function isEncryptedForm(value: JsonObject): boolean {
  return Object.hasOwn(value, ENCRYPTED_DATA_FIELD);
}

/** Seconds as a short text (`12.3 s`, `no expiry`). */
export function ttlText(ttl: number | undefined): string {
  return ttl === undefined ? 'no expiry' : `${ttl.toFixed(1)} s`;
}
