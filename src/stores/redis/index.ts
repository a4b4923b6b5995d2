/**
 * A Redis store (standalone or Cluster) on `ioredis`, storing entries exactly as Python's
 * py-key-value `RedisStore` does, so a TypeScript and a Python (FastMCP) server can share one Redis.
 * See `docs/redis.md`.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { KeysPage, StoreCapabilities } from '../../contract.js';
import {
  documentToEntry,
  entryToDocumentJson,
  isExpired,
  type PreparedEntry,
  type StoredEntry,
} from '../../entry.js';
import {
  DeserializationError,
  OAuthKVError,
  StoreConnectionError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';

/**
 * Options of {@link RedisStore}. Give at most one of `url`, `client` and `clusterNodes`; with none
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
}

/** What the store needs from a client: the `Redis` command surface (a `Cluster` has the same). */
type Client = Redis;

/** The largest native expiry we set, in ms (the largest JavaScript date, ~275 000 years). */
const MAX_PX = 8.64e15;
/** Most `SCAN` calls one `keys()` page makes before returning a shorter page with a cursor. */
const MAX_SCANS_PER_PAGE = 64;
/**
 * Most keys in one command of a bulk operation: bigger batches are split into several commands sent
 * together, so a huge `getMany`/`putMany`/`deleteMany` never blocks Redis for long.
 */
const MAX_BATCH = 1_000;
/** Attempts of the expired-entry replacement in `putIfAbsent` before giving up to a racing writer. */
const MAX_CAS_ATTEMPTS = 8;

/**
 * Deletes the keys in KEYS and returns, per key, `0` when it did not exist, otherwise the document's
 * `expires_at` (`''` for none), so the caller counts only entries that were unexpired.
 * The document is only decoded when the key carries a native expiry.
 */
const DELETE_SCRIPT = `local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v then
    if redis.call('PTTL', k) >= 0 then out[i] = v else out[i] = '' end
    redis.call('DEL', k)
  else
    out[i] = 0
  end
end
return out`;

/** SET of every KEYS[i] to ARGV[i] with the native expiry ARGV[#KEYS + 1] (ms): atomic, one reply. */
const PUT_MANY_SCRIPT = `local px = ARGV[#KEYS + 1]
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i], 'PX', px) end
return #KEYS`;

/** GET + DEL in one step, for servers older than 6.2 (no `GETDEL`). */
const TAKE_SCRIPT = `local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`;

/** Replaces KEYS[1] only while it still holds ARGV[1] (an expired document); ARGV[3] = PX or ''. */
const REPLACE_SCRIPT = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = {
  delete: script(DELETE_SCRIPT),
  putMany: script(PUT_MANY_SCRIPT),
  take: script(TAKE_SCRIPT),
  replace: script(REPLACE_SCRIPT),
};

/**
 * A store on Redis (standalone, Sentinel through a client you pass, or Cluster) with the same keys
 * and documents as Python's py-key-value: the string key `"{collection}::{key}"` holds the whole
 * entry document as JSON, and a TTL is set natively (millisecond precision) as well as written into
 * the document's `expires_at`. Bulk reads are one `MGET`, bulk writes one `MSET` or one script, `take`
 * is `GETDEL`, `putIfAbsent` is `SET NX`. It never runs `FLUSHDB`.
 *
 * @example
 * ```ts
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const store = new RedisStore('redis://127.0.0.1:6379');
 * await store.put('code-1', { client_id: 'c1' }, { collection: 'mcp-authorization-codes', ttl: 300 });
 * const code = await store.take('code-1', { collection: 'mcp-authorization-codes' }); // single use
 * await store.close();
 * ```
 */
export class RedisStore extends BaseStore {
  /**
   * `keys`, `collections` and `destroyCollection` scan with `SCAN` (every master on a Cluster).
   * `cull` is announced but returns 0: Redis expires entries natively.
   */
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
  };

  readonly #options: RedisStoreOptions;
  readonly #prefix: string;
  readonly #connectTimeoutMs: number;
  readonly #scanCount: number;
  readonly #commandTimeoutMs: number;
  readonly #pending = new Set<Pending>();
  #watchdog: ReturnType<typeof setInterval> | undefined;
  readonly #owned: boolean;
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #readyWait: Promise<void> | undefined;
  #isCluster = false;
  /** The prefix ioredis itself adds to keys (a `keyPrefix` option on a client passed in). */
  #driverPrefix = '';
  #lastError: string | undefined;
  #noGetdel = false;

  /**
   * @param target a URL, an ioredis `Redis`/`Cluster` you own, or {@link RedisStoreOptions}.
   */
  constructor(target: string | Redis | Cluster | RedisStoreOptions = {}) {
    const options: RedisStoreOptions =
      typeof target === 'string' ? { url: target } : isClient(target) ? { client: target } : target;
    super(options);
    const given = [options.url, options.client, options.clusterNodes].filter((x) => x !== undefined);
    if (given.length > 1) {
      throw new TypeError('RedisStore takes at most one of url, client and clusterNodes');
    }
    if (options.url !== undefined && !/^rediss?:\/\//i.test(options.url)) {
      throw new TypeError('RedisStore url must start with redis:// or rediss://');
    }
    if (options.clusterNodes !== undefined && options.clusterNodes.length === 0) {
      throw new TypeError('RedisStore clusterNodes must name at least one node');
    }
    if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') {
      throw new TypeError('RedisStore keyPrefix must be a string');
    }
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs');
    this.#scanCount = positive(options.scanCount, 1_000, 'scanCount');
    this.#commandTimeoutMs =
      options.commandTimeoutMs === 0 ? 0 : positive(options.commandTimeoutMs, 10_000, 'commandTimeoutMs');
    this.#options = options;
    this.#prefix = options.keyPrefix ?? '';
    this.#owned = options.client === undefined;
    if (options.client !== undefined) this.#adopt(options.client);
  }

  // ---- primitives ------------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const client = await this.#ready();
    const doc = await this.#run(client.get(this.#key(collection, key)));
    return doc === null ? undefined : documentToEntry(doc);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | undefined)[]> {
    const client = await this.#ready();
    const redisKeys = keys.map((key) => this.#key(collection, key));
    let docs: (string | null)[];
    if (!this.#isCluster && redisKeys.length <= MAX_BATCH) {
      docs = await this.#run(client.mget(redisKeys));
    } else {
      docs = new Array<string | null>(redisKeys.length).fill(null);
      await Promise.all(
        this.#groups(redisKeys).map(async (indexes) => {
          const found = await this.#run(client.mget(indexes.map((i) => redisKeys[i]!)));
          indexes.forEach((i, j) => {
            docs[i] = found[j] ?? null;
          });
        }),
      );
    }
    return docs.map((doc) => (doc === null ? undefined : documentToEntry(doc)));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const client = await this.#ready();
    const redisKey = this.#key(collection, key);
    const doc = entryToDocumentJson(entry, { key, collection });
    if (entry.ttl === undefined) await this.#run(client.set(redisKey, doc));
    else await this.#run(client.set(redisKey, doc, 'PX', px(entry.ttl)));
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ): Promise<void> {
    const client = await this.#ready();
    const redisKeys = entries.map(([key]) => this.#key(collection, key));
    const docs = entries.map(([key, entry]) => entryToDocumentJson(entry, { key, collection }));
    const { ttl } = timing;
    const write = async (indexes: number[]): Promise<void> => {
      if (ttl === undefined) {
        const args: string[] = [];
        for (const i of indexes) args.push(redisKeys[i]!, docs[i]!);
        await this.#run(client.mset(args));
        return;
      }
      const ms = px(ttl);
      if (indexes.length === 1) {
        const i = indexes[0]!;
        await this.#run(client.set(redisKeys[i]!, docs[i]!, 'PX', ms));
        return;
      }
      await this.#eval(
        client,
        SCRIPTS.putMany,
        indexes.map((i) => redisKeys[i]!),
        [...indexes.map((i) => docs[i]!), ms],
      );
    };
    await Promise.all(this.#groups(redisKeys).map(write));
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    return (await this.removeEntries(collection, [key]))[0];
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const client = await this.#ready();
    const redisKeys = keys.map((key) => this.#key(collection, key));
    const out = new Array<RemovedEntry | undefined>(keys.length);
    // The script returns each removed document when it carries a native expiry, '' when it has
    // none, and 0 when nothing was stored; the base decides whether what was removed was live.
    const remove = async (indexes: number[]): Promise<void> => {
      const replies = (await this.#eval(
        client,
        SCRIPTS.delete,
        indexes.map((i) => redisKeys[i]!),
        [],
      )) as unknown[];
      indexes.forEach((index, i) => {
        const reply = replies[i];
        if (typeof reply !== 'string') return;
        out[index] = reply === '' ? { expiresAt: undefined } : removedFrom(reply);
      });
    };
    if (!this.#isCluster && redisKeys.length <= MAX_BATCH) await remove(keys.map((_, i) => i));
    else await Promise.all(this.#groups(redisKeys).map(remove));
    return out;
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const client = await this.#ready();
    const redisKey = this.#key(collection, key);
    const script = () => evalScript(client, SCRIPTS.take, [redisKey], []) as Promise<string | null>;
    const doc = await this.#run(
      this.#noGetdel
        ? script()
        : client.getdel(redisKey).catch((err: unknown) => {
            if (!isUnknownCommand(err)) throw err;
            this.#noGetdel = true; // Redis < 6.2: remember and use the script from now on
            return script();
          }),
    );
    return doc === null || doc === undefined ? undefined : documentToEntry(doc);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const client = await this.#ready();
    const redisKey = this.#key(collection, key);
    const doc = entryToDocumentJson(entry, { key, collection });
    const ms = entry.ttl === undefined ? undefined : px(entry.ttl);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const written =
        ms === undefined
          ? await this.#run(client.set(redisKey, doc, 'NX'))
          : await this.#run(client.set(redisKey, doc, 'PX', ms, 'NX'));
      if (written === 'OK') return true;
      // Something is there. Natively expiring keys vanish on their own; a document whose own
      // expires_at has passed (a Python writer rounds TTLs to whole seconds) counts as absent and
      // is replaced only while it still holds that exact document.
      const existing = await this.#run(client.get(redisKey));
      if (existing === null) continue;
      let current: StoredEntry;
      try {
        current = documentToEntry(existing);
      } catch {
        return false; // an unreadable entry is present, not absent
      }
      if (!isExpired(current, this.now())) return false;
      const swapped = await this.#eval(client, SCRIPTS.replace, [redisKey], [existing, doc, ms ?? '']);
      if (swapped === 1) return true;
    }
    return false;
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    const client = await this.#ready();
    const nodes = this.#scanNodes(client);
    const head = this.#driverPrefix + this.#collectionPrefix(collection);
    const match = `${escapeGlob(head)}*`;
    let state =
      cursor === undefined ? { node: nodes[0]!.id, scan: '0', after: undefined } : readCursor(cursor);
    let index = nodes.findIndex((n) => n.id >= state.node);
    if (index < 0) return { keys: [], cursor: undefined };
    if (nodes[index]!.id !== state.node) state = { node: nodes[index]!.id, scan: '0', after: undefined };
    const page: string[] = [];
    for (let calls = 0; calls < MAX_SCANS_PER_PAGE; calls++) {
      const node = nodes[index]!;
      const [next, batch] = await this.#run(
        node.client.scan(state.scan, 'MATCH', match, 'COUNT', this.#scanCount),
      );
      const after = state.after;
      const found = [...new Set(batch.map((k) => k.slice(head.length)))]
        .filter((k) => after === undefined || k > after)
        .sort();
      const room = limit - page.length;
      if (found.length > room) {
        const taken = found.slice(0, room);
        page.push(...taken);
        return { keys: page, cursor: writeCursor({ node: node.id, scan: state.scan, after: taken.at(-1) }) };
      }
      page.push(...found);
      if (next === '0') {
        index++;
        if (index >= nodes.length) return { keys: page, cursor: undefined };
        state = { node: nodes[index]!.id, scan: '0', after: undefined };
      } else {
        state = { node: node.id, scan: next, after: undefined };
      }
      if (page.length >= limit) break;
    }
    return { keys: page, cursor: writeCursor(state) };
  }

  protected override async listCollections(): Promise<string[]> {
    const client = await this.#ready();
    const head = this.#driverPrefix + this.#prefix;
    const found = new Set<string>();
    await this.#scanAll(client, `${escapeGlob(head)}*`, (batch) => {
      for (const redisKey of batch) {
        const rest = redisKey.slice(head.length);
        const end = rest.indexOf('::');
        if (end <= 0) continue;
        const collection = decodeCollection(rest.slice(0, end));
        if (collection !== undefined) found.add(collection);
      }
    });
    return [...found].sort();
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    const client = await this.#ready();
    const head = this.#driverPrefix + this.#collectionPrefix(collection);
    let removed = 0;
    await this.#scanAll(client, `${escapeGlob(head)}*`, async (batch) => {
      if (batch.length === 0) return;
      const redisKeys = batch.map((k) => k.slice(this.#driverPrefix.length));
      const groups = this.#groups(redisKeys);
      const counts = await Promise.all(
        groups.map((indexes) => this.#run(client.unlink(indexes.map((i) => redisKeys[i]!)))),
      );
      for (const n of counts) removed += n;
    });
    return removed > 0;
  }

  /** Redis expires entries natively (the TTL is set on every write), so there is nothing to cull. */
  protected override async removeExpired(): Promise<number> {
    await this.#ready();
    return 0;
  }

  protected override async closeStore(): Promise<void> {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    this.#connecting = undefined;
    if (client === undefined || !this.#owned) return;
    try {
      if (client.status === 'ready') {
        await Promise.race([client.quit(), delay(this.#connectTimeoutMs)]);
      }
    } catch {
      // closing anyway
    } finally {
      client.disconnect();
    }
  }

  // ---- names -----------------------------------------------------------------------------------

  /** The Redis key of an entry (without the prefix ioredis adds itself). */
  #key(collection: string, key: string): string {
    return `${this.#collectionPrefix(collection)}${key}`;
  }

  #collectionPrefix(collection: string): string {
    return `${this.#prefix}${encodeCollection(collection)}::`;
  }

  /**
   * Indexes of `redisKeys` in the groups one command may carry: at most {@link MAX_BATCH} keys, and
   * on a Cluster all in one hash slot. The groups' commands are sent together (one round trip).
   */
  #groups(redisKeys: readonly string[]): number[][] {
    let groups: number[][];
    if (!this.#isCluster) {
      groups = [redisKeys.map((_, i) => i)];
    } else {
      const bySlot = new Map<number, number[]>();
      redisKeys.forEach((redisKey, i) => {
        const slot = hashSlot(this.#driverPrefix + redisKey);
        const group = bySlot.get(slot);
        if (group) group.push(i);
        else bySlot.set(slot, [i]);
      });
      groups = [...bySlot.values()];
    }
    if (groups.every((g) => g.length <= MAX_BATCH)) return groups;
    return groups.flatMap((g) =>
      Array.from({ length: Math.ceil(g.length / MAX_BATCH) }, (_, j) =>
        g.slice(j * MAX_BATCH, (j + 1) * MAX_BATCH),
      ),
    );
  }

  /** The nodes a scan must visit (every master of a Cluster), in a stable order. */
  #scanNodes(client: Client): { id: string; client: Client }[] {
    if (!this.#isCluster) return [{ id: '', client }];
    const masters = (client as unknown as Cluster).nodes('master');
    if (masters.length === 0) {
      throw new StoreConnectionError(`The Redis Cluster at ${this.#address()} has no reachable master`);
    }
    return masters
      .map((node) => ({ id: `${node.options.host}:${node.options.port}`, client: node }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async #scanAll(
    client: Client,
    match: string,
    onBatch: (batch: string[]) => void | Promise<void>,
  ): Promise<void> {
    for (const node of this.#scanNodes(client)) {
      let cursor = '0';
      do {
        const [next, batch] = await this.#run(
          node.client.scan(cursor, 'MATCH', match, 'COUNT', this.#scanCount),
        );
        await onBatch(batch);
        cursor = next;
      } while (cursor !== '0');
    }
  }

  // ---- connection --------------------------------------------------------------------------------

  /** The client, connected: waits at most `connectTimeoutMs` for a (re)connection. */
  async #ready(): Promise<Client> {
    const client = this.#client ?? (await this.#connect());
    if (client.status === 'ready') return client;
    this.#readyWait ??= this.#waitReady(client).finally(() => {
      this.#readyWait = undefined;
    });
    await this.#readyWait;
    return client;
  }

  #waitReady(client: Client): Promise<void> {
    if (client.status === 'end' && !this.#owned) {
      return Promise.reject(
        new StoreConnectionError(`The Redis client for ${this.#address()} was closed by its owner`),
      );
    }
    if (client.status === 'wait' || client.status === 'end') client.connect().catch(() => {});
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
      };
      const onReady = (): void => {
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        const why = this.#lastError === undefined ? '' : ` (${this.#lastError})`;
        reject(
          new StoreConnectionError(
            `Could not connect to Redis at ${this.#address()} within ${this.#connectTimeoutMs} ms${why}`,
          ),
        );
      }, this.#connectTimeoutMs);
      client.on('ready', onReady);
      if (client.status === 'ready') onReady();
    });
  }

  #connect(): Promise<Client> {
    this.#connecting ??= this.#create().then(
      (client) => {
        this.#client = client;
        return client;
      },
      (err: unknown) => {
        this.#connecting = undefined;
        throw err;
      },
    );
    return this.#connecting;
  }

  async #create(): Promise<Client> {
    const mod = await import('ioredis').catch((err: unknown) => {
      throw new StoreSetupError('RedisStore needs the "ioredis" package: npm install ioredis', {
        cause: err,
      });
    });
    const options = this.#options;
    const redisDefaults: RedisOptions = {
      connectTimeout: this.#connectTimeoutMs,
      // An operation in flight when the connection drops fails at once instead of being sent
      // again after a reconnect (a repeated GETDEL or SET NX could lose a value or win twice).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000),
      lazyConnect: true,
    };
    let client: Redis | Cluster;
    if (options.clusterNodes !== undefined) {
      // Credentials and TLS written into a node URL apply to every node.
      for (const node of options.clusterNodes) {
        if (typeof node !== 'string' || !/^rediss?:\/\//i.test(node)) continue;
        const url = new URL(node);
        if (url.password) redisDefaults.password = decodeURIComponent(url.password);
        if (url.username) redisDefaults.username = decodeURIComponent(url.username);
        if (url.protocol === 'rediss:') redisDefaults.tls = {};
      }
      client = new mod.Cluster(
        options.clusterNodes.map((node) => (typeof node === 'string' ? parseNode(node) : node)),
        {
          clusterRetryStrategy: (times: number) => Math.min(times * 100, 2_000),
          slotsRefreshTimeout: this.#connectTimeoutMs,
          lazyConnect: true,
          ...options.clusterOptions,
          redisOptions: {
            ...redisDefaults,
            ...options.clusterOptions?.redisOptions,
            ...options.redisOptions,
          },
        },
      );
    } else if (options.url !== undefined) {
      client = new mod.Redis(options.url, { ...redisDefaults, ...options.redisOptions });
    } else {
      client = new mod.Redis({ ...redisDefaults, ...options.redisOptions });
    }
    client.on('error', (err: unknown) => {
      this.#lastError = describeConnectionError(err);
    });
    this.#adopt(client);
    return client as Client;
  }

  #adopt(client: Redis | Cluster): void {
    this.#client = client as Client;
    this.#isCluster = client.isCluster === true;
    const prefix = (client.options as { keyPrefix?: unknown }).keyPrefix;
    this.#driverPrefix = typeof prefix === 'string' ? prefix : '';
  }

  /** `host:port` of the server (every start node of a Cluster); never a password. */
  #address(): string {
    const o = this.#options;
    if (o.url !== undefined) {
      try {
        const url = new URL(o.url);
        return `${url.hostname}:${url.port || '6379'}`;
      } catch {
        return '(unparseable url)';
      }
    }
    if (o.clusterNodes !== undefined) {
      return o.clusterNodes
        .map((n) => (typeof n === 'string' ? parseNode(n) : n))
        .map((n) => `${n.host}:${n.port}`)
        .join(',');
    }
    const client = (this.#client as Redis | Cluster | undefined) ?? o.client;
    if (client?.isCluster) {
      const nodes = (client as Cluster).nodes();
      return nodes.map((n) => `${n.options.host}:${n.options.port}`).join(',') || 'Redis Cluster';
    }
    const ro = (client as Redis | undefined)?.options ?? o.redisOptions ?? {};
    if (ro.path) return ro.path;
    return `${ro.host ?? '127.0.0.1'}:${ro.port ?? 6379}`;
  }

  // ---- commands ----------------------------------------------------------------------------------

  /**
   * Awaits a command, maps driver errors to oauth-kv errors, and gives up after `commandTimeoutMs`
   * with a `StoreTimeoutError`. One watchdog timer per store checks the commands in flight, which
   * costs far less than a timer per command.
   */
  #run<T>(command: Promise<T>): Promise<T> {
    if (this.#commandTimeoutMs === 0) {
      return command.catch((err: unknown) => {
        throw this.#mapError(err);
      });
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { since: Date.now(), reject };
      this.#pending.add(pending);
      this.#watchdog ??= this.#startWatchdog();
      command.then(
        (value) => {
          if (this.#pending.delete(pending)) resolve(value);
        },
        (err: unknown) => {
          if (this.#pending.delete(pending)) reject(this.#mapError(err));
        },
      );
    });
  }

  #startWatchdog(): ReturnType<typeof setInterval> {
    const timer = setInterval(
      () => {
        const limit = Date.now() - this.#commandTimeoutMs;
        for (const pending of this.#pending) {
          if (pending.since > limit) continue;
          this.#pending.delete(pending);
          pending.reject(
            new StoreTimeoutError(
              `Redis at ${this.#address()} did not answer within ${this.#commandTimeoutMs} ms; the outcome is unknown`,
            ),
          );
        }
      },
      Math.max(10, Math.min(1_000, this.#commandTimeoutMs / 4)),
    );
    timer.unref?.();
    return timer;
  }

  /** EVALSHA, falling back to EVAL when the server does not have the script cached. */
  #eval(client: Client, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#run(evalScript(client, s, keys, args));
  }

  /** An oauth-kv error for a driver error, carrying no command arguments (they hold values). */
  #mapError(err: unknown): Error {
    if (err instanceof OAuthKVError) return err;
    if (err instanceof TypeError || err instanceof RangeError || !(err instanceof Error)) {
      return err instanceof Error ? err : new Error(String(err));
    }
    const address = this.#address();
    if (err.message === 'Command timed out' || err.message.startsWith('Socket timeout')) {
      return new StoreTimeoutError(`Redis at ${address} did not answer in time; the outcome is unknown`);
    }
    if (err.name === 'ReplyError') {
      const code = /^[A-Z]+/.exec(err.message)?.[0] ?? 'ERR';
      if (code === 'WRONGTYPE') {
        return new DeserializationError('A Redis key the store addresses holds a value that is not a string');
      }
      if (code === 'NOAUTH' || code === 'WRONGPASS' || code === 'NOPERM') {
        return new StoreSetupError(
          `Redis at ${address} refused the operation (${code}): check credentials and ACLs`,
        );
      }
      return new StoreConnectionError(`Redis at ${address} replied with an error (${code})`);
    }
    const reason = describeConnectionError(err);
    return new StoreConnectionError(`Lost the connection to Redis at ${address} (${reason})`, {
      cause: sanitized(err),
    });
  }
}

// ---- helpers -------------------------------------------------------------------------------------

/** A command in flight, for the timeout watchdog. */
interface Pending {
  readonly since: number;
  readonly reject: (err: Error) => void;
}

/** EVALSHA, then EVAL when the server answers NOSCRIPT (driver errors are left as they are). */
function evalScript(client: Client, s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
  return client.evalsha(s.sha, keys.length, ...keys, ...args).catch((err: unknown) => {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(s.source, keys.length, ...keys, ...args);
  });
}

function isClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { sendCommand?: unknown }).sendCommand === 'function' &&
    typeof (value as { isCluster?: unknown }).isCluster === 'boolean'
  );
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`RedisStore ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Native expiry in whole ms, never shorter than the TTL, at least 1. */
function px(ttlSeconds: number): number {
  return Math.min(Math.max(1, Math.ceil(ttlSeconds * 1000)), MAX_PX);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function parseNode(node: string): { host: string; port: number } {
  const url = new URL(/^[a-z]+:\/\//i.test(node) ? node : `redis://${node}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

function isUnknownCommand(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError' && /unknown command/i.test(err.message);
}

/** A short, value-free description of a connection-level error. */
function describeConnectionError(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  // A server error can quote the command's arguments (key names can be secrets): its code only.
  if (err.name === 'ReplyError') return /^[A-Z]+/.exec(err.message)?.[0] ?? 'ReplyError';
  const code = (err as { code?: unknown }).code;
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') {
    return 'connection closed while the command was in flight; its outcome is unknown';
  }
  const message = err.message.length > 200 ? `${err.message.slice(0, 200)}…` : err.message;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** A copy of a driver error with name, code and message only (ioredis attaches command arguments). */
function sanitized(err: Error): Error {
  const copy = new Error(describeConnectionError(err));
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}

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

/** Escapes the glob characters of `SCAN MATCH` so `text` matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]^]/g, '\\$&');
}

interface ScanCursor {
  node: string;
  scan: string;
  after: string | undefined;
}

function writeCursor(cursor: ScanCursor): string {
  const parts =
    cursor.after === undefined ? [cursor.node, cursor.scan] : [cursor.node, cursor.scan, cursor.after];
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

function readCursor(text: string): ScanCursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (
    !Array.isArray(parts) ||
    parts.length < 2 ||
    parts.length > 3 ||
    !parts.every((p) => typeof p === 'string') ||
    !/^\d+$/.test(parts[1] as string)
  ) {
    throw new TypeError('keys() cursor must be the string a previous page returned');
  }
  const [node, scan, after] = parts as [string, string, string | undefined];
  return { node, scan, after };
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

/** The expiry of a removed document; an unreadable one counts as an entry without expiry. */
function removedFrom(document: string): RemovedEntry {
  try {
    return { expiresAt: documentToEntry(document).expiresAt };
  } catch {
    return { expiresAt: undefined };
  }
}
