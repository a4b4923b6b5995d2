/**
 * The options of the Redis store, checked once at construction: every bad option is a
 * `StoreSetupError` whose message never quotes the URL (it may hold a password). URLs are parsed
 * here, never by ioredis, so no driver error can echo one.
 * @module
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { options as check } from '../../backend/kit.js';
import type { BaseStoreOptions } from '../../base-store.js';
import { StoreSetupError } from '../../errors.js';

/**
 * Options of `RedisStore`. Give at most one of `url`, `client` and `clusterNodes`; with none
 * of them the store connects to `redisOptions.host`/`port` (ioredis defaults: `127.0.0.1:6379`).
 *
 * @example
 * ```ts
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const store = new RedisStore({
 *   url: process.env.REDIS_URL, // redis://user:password@host:6379/0 or rediss://...
 *   keyPrefix: 'my-app:',       // only when apps share one database (breaks Python sharing)
 *   connectTimeoutMs: 3_000,
 * });
 * ```
 */
export interface RedisStoreOptions extends BaseStoreOptions {
  /**
   * A `redis://` or `rediss://` URL (user, password, database number in the path). The store
   * creates, owns and closes the client.
   */
  url?: string | undefined;
  /**
   * An ioredis `Redis` or `Cluster` you created. The store uses it as configured (its retry and
   * offline-queue options apply) and never closes it: `close()` leaves it connected.
   */
  client?: Redis | Cluster | undefined;
  /**
   * Start nodes of a Redis Cluster (`"host:port"`, `redis://host:port` or `{ host, port }`).
   * The store creates, owns and closes an ioredis `Cluster`.
   */
  clusterNodes?: ReadonlyArray<string | { host: string; port: number }> | undefined;
  /**
   * Extra ioredis options for a client the store creates (with `url`, host/port, or as the
   * `redisOptions` of every Cluster node). They override the store's defaults.
   */
  redisOptions?: RedisOptions | undefined;
  /** Extra ioredis Cluster options for a Cluster the store creates. */
  clusterOptions?: ClusterOptions | undefined;
  /**
   * A string put before every Redis key, for applications that share one database
   * (default `''`, which is what Python's py-key-value uses: keep it empty to share data with a
   * Python server).
   */
  keyPrefix?: string | undefined;
  /**
   * How long an operation waits for a connection, in ms (default 5 000): a client the store
   * creates gets it as its TCP connect timeout, and any operation that finds the client
   * disconnected waits at most this long for it to reconnect before failing with
   * `StoreConnectionError`.
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Longest wait for a reply, in ms, for every operation of the store, whoever created the client
   * (default 10 000; `0` turns it off). An operation that times out fails with `StoreTimeoutError`;
   * its outcome is unknown. Checked by one timer per store, so the limit is honoured within a
   * quarter of itself (at most one second late).
   */
  commandTimeoutMs?: number | undefined;
  /** The `COUNT` hint of each `SCAN` call behind `keys()`, `collections()`, `destroyCollection()` (default 1 000). */
  scanCount?: number | undefined;
  /**
   * Collections whose keys the store also records in an index (a sorted set per collection, updated
   * in the same round trip as each write and delete), so `keys()` reads a page of the index instead
   * of scanning the whole database: the cost of a page no longer grows with the database. `true`
   * indexes every collection. Default: none (`keys()` scans, as py-key-value does).
   *
   * The trade-off: py-key-value (Python) does not update the index, so a key Python adds to an
   * indexed collection is not listed by `keys()` until oauth-kv writes it (its value is still read
   * by every other operation). Keys Python deletes, and expired ones, are left out of pages (each
   * listed key is checked) and dropped from the index. Index only collections that you list and
   * that only oauth-kv adds keys to. See docs/redis.md.
   */
  keyIndex?: boolean | readonly string[] | undefined;
}

/** The options once checked: what the connection needs, URLs already parsed. */
export interface RedisSettings {
  readonly options: RedisStoreOptions;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  /** `0` for no limit. */
  readonly commandTimeoutMs: number;
  readonly scanCount: number;
  /** Whether a collection's keys are indexed (see {@link RedisStoreOptions.keyIndex}). */
  readonly indexed: (collection: string) => boolean;
  /** What a `url` says, as ioredis options (host, port, user, password, db, TLS, query options). */
  readonly url: RedisOptions | undefined;
  /** The Cluster start nodes, and the credentials and TLS a node URL gave for every node. */
  readonly cluster: { nodes: { host: string; port: number }[]; shared: RedisOptions } | undefined;
  /** Passwords the store knows, never to appear in an error. */
  readonly secrets: readonly string[];
}

/** Longest timer Node honours (a larger delay fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/** Checks the constructor argument of the Redis store. */
export function checkRedisOptions(target: unknown): RedisSettings {
  const options = toOptions(target);
  const given = [options.url, options.client, options.clusterNodes].filter((x) => x !== undefined);
  if (given.length > 1)
    throw new StoreSetupError('RedisStore takes at most one of url, client and clusterNodes');
  if (options.client !== undefined && !isClient(options.client)) {
    throw new StoreSetupError('RedisStore client must be an ioredis Redis or Cluster');
  }
  const url =
    options.url === undefined
      ? undefined
      : parseRedisUrl(check.string('RedisStore', 'url', options.url), 'url');
  let cluster: RedisSettings['cluster'];
  if (options.clusterNodes !== undefined) {
    if (!Array.isArray(options.clusterNodes) || options.clusterNodes.length === 0) {
      throw new StoreSetupError('RedisStore clusterNodes must name at least one node');
    }
    cluster = parseClusterNodes(options.clusterNodes);
  }
  if (options.redisOptions !== undefined) check.object('RedisStore', 'redisOptions', options.redisOptions);
  if (options.clusterOptions !== undefined)
    check.object('RedisStore', 'clusterOptions', options.clusterOptions);
  const port = options.redisOptions?.port;
  if (port !== undefined && !isPort(port)) {
    throw new StoreSetupError('RedisStore redisOptions.port must be an integer from 1 to 65535');
  }
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
    throw new StoreSetupError('RedisStore keyPrefix must be a string');
  }
  const connectTimeoutMs = timer('connectTimeoutMs', options.connectTimeoutMs, 5_000);
  const commandTimeoutMs =
    options.commandTimeoutMs === 0 ? 0 : timer('commandTimeoutMs', options.commandTimeoutMs, 10_000);
  const scanCount = check.integer('RedisStore', 'scanCount', options.scanCount, 1_000);
  const indexed = checkKeyIndex(options.keyIndex);
  const secrets = [
    url?.password,
    cluster?.shared.password,
    options.redisOptions?.password,
    options.clusterOptions?.redisOptions?.password,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  return {
    options,
    keyPrefix: options.keyPrefix ?? '',
    connectTimeoutMs,
    commandTimeoutMs,
    scanCount,
    indexed,
    url,
    cluster,
    secrets,
  };
}

function checkKeyIndex(value: unknown): (collection: string) => boolean {
  if (value === undefined || value === false) return () => false;
  if (value === true) return () => true;
  if (Array.isArray(value) && value.every((c) => typeof c === 'string' && c.length > 0)) {
    const set = new Set<string>(value);
    return (collection) => set.has(collection);
  }
  throw new StoreSetupError('RedisStore keyIndex must be true, false or a list of collection names');
}

/** `true` for an ioredis `Redis` or `Cluster` (or a compatible object). */
export function isClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { sendCommand?: unknown }).sendCommand === 'function' &&
    typeof (value as { isCluster?: unknown }).isCluster === 'boolean'
  );
}

function toOptions(target: unknown): RedisStoreOptions {
  if (target === undefined) return {};
  if (typeof target === 'string') return { url: target };
  if (isClient(target)) return { client: target };
  return check.object('RedisStore', 'options', target as RedisStoreOptions);
}

function timer(name: string, value: unknown, fallback: number): number {
  const ms = check.positiveNumber('RedisStore', name, value, fallback);
  if (ms > MAX_TIMER_MS) throw new StoreSetupError(`RedisStore ${name} must be at most 2^31 - 1 ms`);
  return ms;
}

/**
 * Reads a `redis://` or `rediss://` URL the way ioredis does (user and password percent-decoded,
 * the database number as the path, query parameters as extra options, TLS for `rediss:`), but
 * fails with a {@link StoreSetupError} that never quotes it.
 */
export function parseRedisUrl(text: string, what: string): RedisOptions {
  if (!/^rediss?:\/\//i.test(text)) {
    throw new StoreSetupError(`RedisStore ${what} must start with redis:// or rediss://`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StoreSetupError(
      `RedisStore ${what} is not a valid URL (check the host, the port and the percent-encoding)`,
    );
  }
  const out: RedisOptions = {};
  url.searchParams.forEach((value, key) => {
    (out as Record<string, unknown>)[key] = key === 'family' && /^\d+$/.test(value) ? Number(value) : value;
  });
  if (url.username || url.password) {
    try {
      out.username = decodeURIComponent(url.username);
      out.password = decodeURIComponent(url.password);
    } catch {
      throw new StoreSetupError(
        `RedisStore ${what} has a malformed percent-encoding in its user or password`,
      );
    }
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host) out.host = host;
  if (url.port) {
    out.port = Number(url.port);
    if (out.port === 0) throw new StoreSetupError(`RedisStore ${what} has port 0`);
  }
  if (url.pathname && url.pathname !== '/') {
    if (!/^\/\d+$/.test(url.pathname)) {
      throw new StoreSetupError(`RedisStore ${what} path must be a database number (/0, /1, ...)`);
    }
    out.db = Number(url.pathname.slice(1));
  }
  if (url.protocol === 'rediss:') out.tls = {};
  return out;
}

function parseClusterNodes(nodes: ReadonlyArray<unknown>): NonNullable<RedisSettings['cluster']> {
  const shared: RedisOptions = {};
  const parsed = nodes.map((node, i) => {
    const what = `clusterNodes[${i}]`;
    if (typeof node === 'object' && node !== null) {
      const { host, port } = node as { host?: unknown; port?: unknown };
      if (typeof host !== 'string' || host.length === 0 || !isPort(port)) {
        throw new StoreSetupError(`RedisStore ${what} must be "host:port", a redis:// URL or { host, port }`);
      }
      return { host, port };
    }
    if (typeof node !== 'string' || node.length === 0) {
      throw new StoreSetupError(`RedisStore ${what} must be "host:port", a redis:// URL or { host, port }`);
    }
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(node);
    const o = parseRedisUrl(isUrl ? node : `redis://${node}`, what);
    // Credentials and TLS written into a node URL apply to every node.
    if (o.password) shared.password = o.password;
    if (o.username) shared.username = o.username;
    if (o.tls !== undefined) shared.tls = o.tls;
    return { host: o.host ?? '127.0.0.1', port: o.port ?? 6379 };
  });
  return { nodes: parsed, shared };
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}
