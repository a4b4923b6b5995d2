/**
 * Store URLs: what `createStore(url)` and the `oauth-kv` command accept, parsed into a description
 * of the store to open. Nothing here loads a driver. Every refusal is a `StoreSetupError` whose
 * message names the problem and never quotes the URL (it may hold a password).
 * @module
 */
import type * as NodePath from 'node:path';
import type * as NodeUrl from 'node:url';
import { StoreSetupError } from '../errors.js';
import { parseRedisUrl } from '../stores/redis/options.js';

/** A host and port of a Redis Sentinel or Cluster node. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The store a URL names, with its options; passwords stay inside `url`/`password` fields. */
export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly directory: string }
  | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string | undefined }
  | {
      readonly kind: 'redis-sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly db: number | undefined;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly sentinelPassword: string | undefined;
      readonly tls: boolean;
      readonly keyPrefix: string | undefined;
    }
  | {
      readonly kind: 'redis-cluster';
      /** The first node carries the credentials and TLS (`redis://user:pw@host:port`), the others `host:port`. */
      readonly nodes: readonly string[];
      readonly keyPrefix: string | undefined;
    }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly schema: string | undefined;
      readonly table: string | undefined;
      readonly createTable: boolean | undefined;
    }
  | {
      readonly kind: 'keyv';
      /** The Keyv storage adapter: `@keyv/redis` or `@keyv/postgres`. */
      readonly adapter: 'redis' | 'postgres';
      /** The adapter's own URL (`redis://…`, `rediss://…`, `postgresql://…`), without our parameters. */
      readonly url: string;
      readonly namespace: string | undefined;
      /** `@keyv/postgres` only. */
      readonly table: string | undefined;
      readonly schema: string | undefined;
    }
  | {
      readonly kind: 'firestore';
      readonly projectId: string;
      readonly databaseId: string | undefined;
      readonly rootPath: string | undefined;
    };

/** The schemes {@link parseStoreUrl} knows, for messages. */
export const STORE_SCHEMES =
  'memory:, file:, redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster://, ' +
  'rediss+cluster://, postgres://, postgresql://, firestore://, keyv+redis://, keyv+rediss://, ' +
  'keyv+postgres:// and keyv+postgresql://';

const bad = (message: string) => new StoreSetupError(message);

/**
 * Parses a store URL. `cwd` resolves relative `file:` paths (default `process.cwd()`).
 */
export function parseStoreUrl(text: unknown, cwd?: string): StoreSpec {
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw bad('The store URL is empty: give one such as redis://host:6379 or file:./data');
  }
  const input = text.trim();
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(input);
  if (match === null) {
    throw bad(`The store URL has no scheme; use one of ${STORE_SCHEMES}`);
  }
  const scheme = (match[1] as string).toLowerCase();
  const rest = input.slice(match[0].length);
  switch (scheme) {
    case 'memory':
      if (rest !== '' && rest !== '//' && rest !== '///')
        throw bad('A memory: URL takes nothing after the scheme');
      return { kind: 'memory' };
    case 'file':
      return { kind: 'file', directory: filePath(input, rest, cwd) };
    case 'redis':
    case 'rediss':
      return redisUrl(input);
    case 'redis+sentinel':
    case 'rediss+sentinel':
      return sentinelUrl(rest, scheme === 'rediss+sentinel');
    case 'redis+cluster':
    case 'rediss+cluster':
      return clusterUrl(rest, scheme === 'rediss+cluster');
    case 'postgres':
    case 'postgresql':
      return postgresUrl(input);
    case 'firestore':
      return firestoreUrl(rest);
    case 'keyv+redis':
    case 'keyv+rediss':
    case 'keyv+postgres':
    case 'keyv+postgresql':
      return keyvUrl(input.slice('keyv+'.length), scheme);
    default:
      throw bad(`Unknown store URL scheme "${safeScheme(scheme)}:"; use one of ${STORE_SCHEMES}`);
  }
}

/**
 * The URL with every password replaced by `***`, for printing. A URL that cannot be parsed is
 * shown as its scheme only.
 */
export function redactStoreUrl(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*):(\/\/)?/i.exec(text);
  if (match === null) return '(not a URL)';
  if (match[2] === undefined) return text; // memory:, file:path: no authority, no password
  const rest = text.slice(match[0].length);
  const end = firstOf(rest, '/?#');
  const authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  let shown = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    shown = `${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : userinfo}${authority.slice(at)}`;
  }
  const tail = rest.slice(end).replace(/([?&](?:password|sentinelPassword)=)[^&#]*/gi, '$1***');
  return `${match[0]}${shown}${tail}`;
}

// ---- schemes ---------------------------------------------------------------------------------

function filePath(input: string, rest: string, cwd: string | undefined): string {
  if (rest.length === 0) throw bad('A file: URL needs a directory: file:./data or file:///var/lib/oauth');
  // node:path and node:url through getBuiltinModule, never an import: the root entry (which holds
  // createStore) must load on runtimes without Node built-ins; file: URLs only work where they exist.
  const path = builtin<typeof NodePath>('node:path');
  const url = builtin<typeof NodeUrl>('node:url');
  if (path === undefined || url === undefined) {
    throw bad('file: URLs need a runtime with node:path and node:url (Node 20.16+, Bun, Deno)');
  }
  if (rest.startsWith('//')) {
    try {
      return url.fileURLToPath(new URL(input));
    } catch {
      throw bad(
        'A file:// URL must be file:///absolute/path (no host); use file:relative/path for a relative one',
      );
    }
  }
  return path.isAbsolute(rest) ? path.resolve(rest) : path.resolve(cwd ?? currentDirectory(), rest);
}

function builtin<T>(id: string): T | undefined {
  return (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.(id) as T | undefined;
}

function currentDirectory(): string {
  return (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.() ?? '.';
}

function redisUrl(input: string): StoreSpec {
  // The Redis store's own URL parser: the same checks and messages as `new RedisStore({ url })`.
  parseRedisUrl(input, 'url');
  const url = new URL(input);
  const keyPrefix = take(url, 'prefix');
  return { kind: 'redis', url: url.href, keyPrefix };
}

function sentinelUrl(rest: string, tls: boolean): StoreSpec {
  const { auth, hosts, path, query } = splitMultiHost(rest, 'Redis Sentinel', 26379);
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 2) {
    throw bad(
      'A redis+sentinel:// URL names the master after the hosts: redis+sentinel://h1:26379,h2:26379/mymaster[/db]',
    );
  }
  const name = decode(parts[0] as string, 'master name');
  const db = parts[1] === undefined ? undefined : database(parts[1]);
  return {
    kind: 'redis-sentinel',
    sentinels: hosts,
    name,
    db,
    username: auth.username,
    password: auth.password,
    sentinelPassword: query.get('sentinelPassword') ?? undefined,
    tls,
    keyPrefix: query.get('prefix') ?? undefined,
  };
}

function clusterUrl(rest: string, tls: boolean): StoreSpec {
  const { auth, hosts, path, query } = splitMultiHost(rest, 'Redis Cluster', 6379);
  if (path.replace(/\//g, '') !== '')
    throw bad('A redis+cluster:// URL takes no path (a Cluster has only database 0)');
  const creds =
    auth.password === undefined && auth.username === undefined
      ? ''
      : `${encodeURIComponent(auth.username ?? '')}:${encodeURIComponent(auth.password ?? '')}@`;
  const nodes = hosts.map((h, i) => {
    const host = h.host.includes(':') ? `[${h.host}]` : h.host;
    return i === 0 ? `${tls ? 'rediss' : 'redis'}://${creds}${host}:${h.port}` : `${host}:${h.port}`;
  });
  return { kind: 'redis-cluster', nodes, keyPrefix: query.get('prefix') ?? undefined };
}

function postgresUrl(input: string): StoreSpec {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw bad('The PostgreSQL URL is not a valid URL (check the host, the port and the percent-encoding)');
  }
  const schema = take(url, 'schema');
  const table = take(url, 'table');
  const create = take(url, 'createTable');
  if (create !== undefined && create !== 'true' && create !== 'false') {
    throw bad('The PostgreSQL URL parameter createTable must be true or false');
  }
  return {
    kind: 'postgres',
    url: url.href,
    schema,
    table,
    createTable: create === undefined ? undefined : create === 'true',
  };
}

/** `keyv+redis://…` and `keyv+postgres://…`: the adapter's own URL behind `keyv+`. */
function keyvUrl(inner: string, scheme: string): StoreSpec {
  const redis = scheme.startsWith('keyv+redis');
  const what = redis ? 'keyv+redis' : 'keyv+postgres';
  if (redis) parseRedisUrl(inner, 'url'); // the same checks as a redis:// URL
  let url: URL;
  try {
    url = new URL(inner);
  } catch {
    throw bad(`The ${what}:// URL is not a valid URL (check the host, the port and the percent-encoding)`);
  }
  const namespace = take(url, 'namespace');
  if (namespace === '') throw bad(`The ${what}:// URL parameter namespace must not be empty`);
  const table = redis ? undefined : take(url, 'table');
  const schema = redis ? undefined : take(url, 'schema');
  for (const [name, value] of [
    ['table', table],
    ['schema', schema],
  ] as const) {
    // @keyv/postgres writes both into its SQL as they are: plain identifiers only.
    if (value !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/i.test(value)) {
      throw bad(`The ${what}:// URL parameter ${name} must be a plain identifier (letters, digits, _)`);
    }
  }
  for (const name of ['prefix', 'table', 'schema']) {
    if (url.searchParams.has(name)) {
      throw bad(`The ${what}:// URL takes no ${name} parameter; use namespace to keep stores apart`);
    }
  }
  return { kind: 'keyv', adapter: redis ? 'redis' : 'postgres', url: url.href, namespace, table, schema };
}

function firestoreUrl(rest: string): StoreSpec {
  if (!rest.startsWith('//')) throw bad('A Firestore URL is firestore://PROJECT[/DATABASE]');
  const body = rest.slice(2);
  const q = firstOf(body, '?#');
  const query = new URLSearchParams(body.slice(q).replace(/^\?/, '').replace(/#.*$/, ''));
  const parts = body
    .slice(0, q)
    .split('/')
    .filter((p) => p.length > 0);
  if (parts.length === 0 || parts.length > 2) throw bad('A Firestore URL is firestore://PROJECT[/DATABASE]');
  const projectId = decode(parts[0] as string, 'project');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/i.test(projectId)) {
    throw bad('The Firestore project id may hold only letters, digits and hyphens');
  }
  const databaseId = parts[1] === undefined ? undefined : decode(parts[1], 'database');
  return { kind: 'firestore', projectId, databaseId, rootPath: query.get('root') ?? undefined };
}

// ---- helpers ---------------------------------------------------------------------------------

/** Splits `[user[:password]@]h1[:p1],h2[:p2]/path?query` (the part after `scheme:`). */
function splitMultiHost(rest: string, what: string, defaultPort: number) {
  if (!rest.startsWith('//')) throw bad(`A ${what} URL starts with its scheme and //`);
  const body = rest.slice(2);
  const end = firstOf(body, '/?#');
  const authority = body.slice(0, end);
  const tail = body.slice(end).replace(/#.*$/, '');
  const qi = tail.indexOf('?');
  const path = qi < 0 ? tail : tail.slice(0, qi);
  const query = new URLSearchParams(qi < 0 ? '' : tail.slice(qi + 1));
  const at = authority.lastIndexOf('@');
  const auth: { username: string | undefined; password: string | undefined } = {
    username: undefined,
    password: undefined,
  };
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (user.length > 0) auth.username = decode(user, 'user');
    if (colon >= 0) auth.password = decode(userinfo.slice(colon + 1), 'password');
  }
  const list = authority.slice(at + 1);
  if (list.length === 0) throw bad(`A ${what} URL needs at least one host`);
  const hosts = list.split(',').map((item, i) => hostPort(item, i, what, defaultPort));
  return { auth, hosts, path, query };
}

function hostPort(item: string, index: number, what: string, defaultPort: number): HostPort {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(item);
  if (m === null) throw bad(`Host ${index + 1} of the ${what} URL must be host or host:port`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) throw bad(`Host ${index + 1} of the ${what} URL has a port outside 1-65535`);
  return { host, port };
}

function database(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad('The Redis database must be a number (/0, /1, ...)');
  return Number(text);
}

/** Removes a query parameter from `url` and returns its value. */
function take(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  url.searchParams.delete(name);
  return value;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad(`The store URL has a malformed percent-encoding in its ${what}`);
  }
}

function firstOf(text: string, chars: string): number {
  for (let i = 0; i < text.length; i++) if (chars.includes(text[i] as string)) return i;
  return text.length;
}

/** A scheme to quote in a message: short and plain, or not quoted at all. */
function safeScheme(scheme: string): string {
  return scheme.length <= 20 ? scheme : `${scheme.slice(0, 20)}…`;
}
