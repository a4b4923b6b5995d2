/**
 * A Redis store (standalone or Cluster) on `ioredis`, storing entries exactly as Python's
 * py-key-value `RedisStore` does, so a TypeScript and a Python (FastMCP) server can share one Redis.
 * This file holds the store's primitives; the client lives in `./connection.ts`, key names in
 * `./names.ts`, Lua in `./scripts.ts`, the error policy in `./errors.ts` and the options in
 * `./options.ts`. See `docs/redis.md`.
 * @module
 */
import type { Cluster, Redis } from 'ioredis';
import { BaseStore, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import type { KeysPage, StoreCapabilities } from '../../contract.js';
import {
  documentToEntry,
  entryToDocumentJson,
  isExpired,
  type PreparedEntry,
  type StoredEntry,
} from '../../entry.js';
import { DeserializationError, ValidationError } from '../../errors.js';
import { type Arg, type Client, MAX_BATCH, RedisConnection } from './connection.js';
import { replyCode } from './errors.js';
import { decodeCollection, KeyNames, matchPrefix, readCursor, SmallestKeys, writeCursor } from './names.js';
import { checkRedisOptions, type RedisStoreOptions } from './options.js';
import { SCRIPTS } from './scripts.js';

export { decodeCollection, encodeCollection, hashSlot } from './names.js';
export type { RedisStoreOptions } from './options.js';

/** The largest native expiry we set, in ms (the largest JavaScript date, ~275 000 years). */
const MAX_PX = 8.64e15;
/** Most index reads one `keys()` page makes before returning a shorter page with a cursor. */
const MAX_INDEX_READS_PER_PAGE = 64;
/** Attempts of the expired-entry replacement in `putIfAbsent` before giving up to a racing writer. */
const MAX_CAS_ATTEMPTS = 8;

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
    increment: true,
  };

  readonly #conn: RedisConnection;
  readonly #names: KeyNames;
  readonly #indexed: (collection: string) => boolean;
  #noGetdel = false;

  /**
   * @param target a URL, an ioredis `Redis`/`Cluster` you own, or {@link RedisStoreOptions}.
   * @throws StoreSetupError for any bad option (the message never quotes the URL).
   */
  constructor(target: string | Redis | Cluster | RedisStoreOptions = {}) {
    const settings = checkRedisOptions(target);
    super(settings.options);
    this.#conn = new RedisConnection(settings);
    this.#names = new KeyNames(settings.keyPrefix);
    this.#indexed = settings.indexed;
  }

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const client = await this.#conn.ready();
    const doc = await this.#conn.read<string | null>(client, 'get', [this.#names.key(collection, key)]);
    return doc === null ? undefined : decode(doc);
  }

  protected override async readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    const client = await this.#conn.ready();
    const head = this.#names.collection(collection);
    const redisKeys = keys.map((key) => head + key);
    let docs: (string | null)[];
    if (!this.#conn.isCluster && redisKeys.length <= MAX_BATCH) {
      docs = await this.#conn.send<(string | null)[]>(client, 'mget', redisKeys);
    } else {
      docs = new Array<string | null>(redisKeys.length).fill(null);
      await Promise.all(
        this.#conn.groups(redisKeys).map(async (indexes) => {
          const found = await this.#conn.send<(string | null)[]>(
            client,
            'mget',
            indexes.map((i) => redisKeys[i]!),
          );
          indexes.forEach((i, j) => {
            docs[i] = found[j] ?? null;
          });
        }),
      );
    }
    // MGET answers nil for a key of another type; an undecodable document fails its position only.
    return docs.map((doc) => {
      if (doc === null) return undefined;
      try {
        return decode(doc);
      } catch (err) {
        if (err instanceof DeserializationError) return err;
        throw err;
      }
    });
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    const client = await this.#conn.ready();
    const redisKey = this.#names.key(collection, key);
    const doc = entryToDocumentJson(entry, { key, collection });
    const written =
      entry.ttl === undefined
        ? this.#conn.send(client, 'set', [redisKey, doc])
        : this.#conn.send(client, 'set', [redisKey, doc, 'PX', px(entry.ttl)]);
    await this.#thenIndex(client, collection, [key], written);
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    timing: BatchTiming,
  ): Promise<void> {
    const client = await this.#conn.ready();
    const head = this.#names.collection(collection);
    const redisKeys = entries.map(([key]) => head + key);
    const docs = entries.map(([key, entry]) => entryToDocumentJson(entry, { key, collection }));
    const ms = timing.ttl === undefined ? undefined : px(timing.ttl);
    const write = async (indexes: number[]): Promise<void> => {
      if (ms === undefined) {
        const args: string[] = [];
        for (const i of indexes) args.push(redisKeys[i]!, docs[i]!);
        await this.#conn.send(client, 'mset', args);
      } else if (indexes.length === 1) {
        const i = indexes[0]!;
        await this.#conn.send(client, 'set', [redisKeys[i]!, docs[i]!, 'PX', ms]);
      } else {
        const keys = indexes.map((i) => redisKeys[i]!);
        await this.#conn.eval(client, SCRIPTS.putMany, keys, [...indexes.map((i) => docs[i]!), ms]);
      }
    };
    const written = Promise.all(this.#conn.groups(redisKeys).map(write));
    await this.#thenIndex(
      client,
      collection,
      entries.map(([key]) => key),
      written,
    );
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    return (await this.removeEntries(collection, [key]))[0];
  }

  protected override async removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    const client = await this.#conn.ready();
    const head = this.#names.collection(collection);
    const redisKeys = keys.map((key) => head + key);
    const out = new Array<RemovedEntry | undefined>(keys.length);
    const unindexed = this.#unindex(client, collection, keys);
    // The script returns each removed document ('' for a key of another type) and 0 where nothing
    // was stored; the base decides from the document's expiry whether what was removed was live.
    const remove = async (indexes: number[]): Promise<void> => {
      const keys = indexes.map((i) => redisKeys[i]!);
      const replies = (await this.#conn.eval(client, SCRIPTS.delete, keys, [])) as unknown[];
      indexes.forEach((index, i) => {
        const reply = replies[i];
        if (typeof reply === 'string') out[index] = removedFrom(reply);
      });
    };
    const removed =
      !this.#conn.isCluster && redisKeys.length <= MAX_BATCH
        ? remove(keys.map((_, i) => i))
        : Promise.all(this.#conn.groups(redisKeys).map(remove));
    await (unindexed === undefined ? removed : Promise.all([unindexed, removed]));
    return out;
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    const client = await this.#conn.ready();
    const redisKey = this.#names.key(collection, key);
    const unindexed = this.#unindex(client, collection, [key]);
    let taken: Promise<string | null>;
    if (this.#noGetdel) {
      taken = this.#conn.eval(client, SCRIPTS.take, [redisKey], []) as Promise<string | null>;
    } else {
      taken = this.#conn.run(
        this.#conn.call<string | null>(client, 'getdel', [redisKey]).catch((err: unknown) => {
          if (!isUnknownCommand(err)) throw err;
          this.#noGetdel = true; // Redis < 6.2: remember and use the script from now on
          return this.#conn.eval(client, SCRIPTS.take, [redisKey], []) as Promise<string | null>;
        }),
      );
    }
    const doc = unindexed === undefined ? await taken : (await Promise.all([taken, unindexed]))[0];
    return doc === null || doc === undefined ? undefined : decode(doc);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const client = await this.#conn.ready();
    const redisKey = this.#names.key(collection, key);
    const doc = entryToDocumentJson(entry, { key, collection });
    const ms = entry.ttl === undefined ? undefined : px(entry.ttl);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      // Indexed whether or not the SET wins: either way the key then holds an entry.
      const written = await this.#thenIndex(
        client,
        collection,
        [key],
        ms === undefined
          ? this.#conn.send(client, 'set', [redisKey, doc, 'NX'])
          : this.#conn.send(client, 'set', [redisKey, doc, 'PX', ms, 'NX']),
      );
      if (written === 'OK') return true;
      // Something is there. Natively expiring keys vanish on their own; a document whose own
      // expires_at has passed (a Python writer rounds TTLs to whole seconds) counts as absent and
      // is replaced only while it still holds that exact document. This is the one expiry check a
      // backend makes itself: it is part of the atomic step, which the base cannot split.
      const existing = await this.#conn.send<string | null>(client, 'get', [redisKey]);
      if (existing === null) continue;
      let current: StoredEntry;
      try {
        current = decode(existing);
      } catch {
        return false; // an unreadable entry is present, not absent
      }
      if (!isExpired(current, this.now())) return false;
      const swapped = await this.#conn.eval(client, SCRIPTS.replace, [redisKey], [existing, doc, ms ?? '']);
      if (swapped === 1) return true;
    }
    return false;
  }

  /** One script: read the document, add to `value.count`, write it back with its native expiry. */
  protected override async incrementEntry(
    collection: string,
    key: string,
    by: number,
    created: PreparedEntry,
  ): Promise<number | undefined> {
    const client = await this.#conn.ready();
    const doc = entryToDocumentJson(created, { key, collection });
    const ms = created.ttl === undefined ? '' : px(created.ttl);
    const n = await this.#thenIndex(
      client,
      collection,
      [key],
      this.#conn.eval(client, SCRIPTS.increment, [this.#names.key(collection, key)], [doc, ms, by]),
    );
    return typeof n === 'number' ? n : undefined;
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    const after = cursor === undefined ? undefined : readCursor(cursor);
    const client = await this.#conn.ready();
    if (this.#indexed(collection)) return this.#listIndexed(client, collection, limit, after);
    // SCAN returns keys in hash order and may return one twice if the database shrinks meanwhile,
    // and its cursor cannot say which keys came before: the page is the next `limit` keys in key
    // order, chosen from a whole scan of the collection's pattern. Exact (each key once, whatever
    // else happens to the database), at the price of one scan of the database per page.
    const head = this.#conn.driverPrefix + this.#names.collection(collection);
    const next = new SmallestKeys(limit + 1, after);
    await this.#conn.scanAll(client, matchPrefix(head), (batch) => {
      for (const redisKey of batch) next.offer(redisKey.slice(head.length));
    });
    const keys = next.sorted();
    if (keys.length <= limit) return { keys, cursor: undefined };
    const page = keys.slice(0, limit);
    return { keys: page, cursor: writeCursor(page[limit - 1]!) };
  }

  protected override async listCollections(): Promise<string[]> {
    const client = await this.#conn.ready();
    const head = this.#conn.driverPrefix + this.#names.prefix;
    const found = new Set<string>();
    await this.#conn.scanAll(client, matchPrefix(head), (batch) => {
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
    const client = await this.#conn.ready();
    const driverPrefix = this.#conn.driverPrefix;
    let removed = 0;
    // The index name is reserved (no `::`), so it goes whether or not this store indexes the
    // collection: another store (another replica's configuration) may have kept one.
    await this.#conn.send(client, 'unlink', [this.#names.index(collection)]);
    await this.#conn.scanAll(
      client,
      matchPrefix(driverPrefix + this.#names.collection(collection)),
      async (batch) => {
        if (batch.length === 0) return;
        const redisKeys = batch.map((k) => k.slice(driverPrefix.length));
        const counts = await Promise.all(
          this.#conn.groups(redisKeys).map((indexes) =>
            this.#conn.send<number>(
              client,
              'unlink',
              indexes.map((i) => redisKeys[i]!),
            ),
          ),
        );
        for (const n of counts) removed += n;
      },
    );
    return removed > 0;
  }

  /**
   * Adds every key of `collection` stored now (found by `SCAN`, as py-key-value lists them) to the
   * collection's key index: after `keyIndex` is turned on for a collection that already has
   * entries, or to pick up keys py-key-value wrote. Returns how many keys were found. Needs the
   * collection to be indexed (see `keyIndex`).
   *
   * @example
   * ```ts
   * import { RedisStore } from 'oauth-kv/redis';
   *
   * const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyIndex: ['mcp-oauth-proxy-clients'] });
   * await store.rebuildKeyIndex('mcp-oauth-proxy-clients'); // once, for entries written before
   * const page = await store.keys('mcp-oauth-proxy-clients', { limit: 100 }); // no SCAN
   * await store.close();
   * ```
   */
  async rebuildKeyIndex(collection: string): Promise<number> {
    if (typeof collection !== 'string' || collection.length === 0 || !this.#indexed(collection)) {
      const message = 'rebuildKeyIndex() needs a collection named in the keyIndex option';
      throw new ValidationError(message, [{ message, path: 'collection' }]);
    }
    const client = await this.#conn.ready();
    const head = this.#conn.driverPrefix + this.#names.collection(collection);
    const index = this.#names.index(collection);
    let found = 0;
    await this.#conn.scanAll(client, matchPrefix(head), async (batch) => {
      if (batch.length === 0) return;
      const args: Arg[] = [index];
      for (const redisKey of batch) args.push(0, redisKey.slice(head.length));
      found += batch.length;
      await this.#conn.send(client, 'zadd', args);
    });
    return found;
  }

  /** Redis expires entries natively (the TTL is set on every write), so there is nothing to cull. */
  protected override async removeExpired(): Promise<number> {
    await this.#conn.ready();
    return 0;
  }

  /** Redis `PING` (on a Cluster, to one node), bounded by the command timeout. */
  protected override async pingStore(): Promise<void> {
    const client = await this.#conn.ready();
    await this.#conn.send(client, 'ping', []);
  }

  protected override closeStore(): Promise<void> {
    return this.#conn.close();
  }

  /**
   * Awaits `written` and, for an indexed collection, the `ZADD` of `keys` to its index, sent right
   * after the write (the same tick, so the same round trip). A key is indexed no sooner than it is
   * written: a page that lists it finds it stored.
   */
  #thenIndex<T>(
    client: Client,
    collection: string,
    keys: readonly string[],
    written: Promise<T>,
  ): Promise<T> {
    if (!this.#indexed(collection)) return written;
    const args: Arg[] = [this.#names.index(collection)];
    for (const key of keys) args.push(0, key);
    const indexed = this.#conn.send(client, 'zadd', args);
    return Promise.all([written, indexed]).then(([value]) => value);
  }

  /**
   * For an indexed collection, the `ZREM` of `keys`, sent before the delete that follows in the same
   * tick: with writes adding to the index after their `SET`, a key that holds an entry is always
   * in the index (on one server; a Cluster does not order commands to different nodes).
   */
  #unindex(client: Client, collection: string, keys: readonly string[]): Promise<unknown> | undefined {
    if (!this.#indexed(collection)) return undefined;
    return this.#conn.send(client, 'zrem', [this.#names.index(collection), ...keys]);
  }

  /**
   * A `keys()` page of an indexed collection: the next keys of the index in key order
   * (`ZRANGEBYLEX`), each checked with `EXISTS` (all sent together: one round trip), so keys that
   * expired or that py-key-value deleted are left out; those are also dropped from the index (by a
   * script that checks again, on a single server). Two round trips per page, whatever the size of
   * the database.
   */
  async #listIndexed(
    client: Client,
    collection: string,
    limit: number,
    start: string | undefined,
  ): Promise<KeysPage> {
    const index = this.#names.index(collection);
    let after = start;
    const page: string[] = [];
    for (let round = 0; round < MAX_INDEX_READS_PER_PAGE; round++) {
      const want = limit - page.length;
      const members = await this.#conn.send<string[]>(client, 'zrangebylex', [
        index,
        after === undefined ? '-' : `(${after}`,
        '+',
        'LIMIT',
        0,
        want,
      ]);
      if (members.length === 0) return { keys: page, cursor: undefined };
      const head = this.#names.collection(collection);
      const redisKeys = members.map((key) => head + key);
      const exists = await Promise.all(redisKeys.map((k) => this.#conn.send<number>(client, 'exists', [k])));
      const gone: number[] = [];
      members.forEach((key, i) => {
        if (exists[i] === 1) page.push(key);
        else gone.push(i);
      });
      if (gone.length > 0 && !this.#conn.isCluster) {
        await this.#conn.eval(
          client,
          SCRIPTS.prune,
          [index, ...gone.map((i) => redisKeys[i]!)],
          gone.map((i) => members[i]!),
        );
      }
      after = members.at(-1);
      if (members.length < want) return { keys: page, cursor: undefined };
      if (page.length >= limit) break;
    }
    return { keys: page, cursor: after === undefined ? undefined : writeCursor(after) };
  }
}

/**
 * Reads a stored document. The one place the Redis store decodes documents: the shared reader of
 * Python-written JSON (exact integers beyond 2^53) takes over here through `documentToEntry`.
 */
function decode(document: string): StoredEntry {
  return documentToEntry(document);
}

/** What a removed document reported; an unreadable one counts as an entry without expiry. */
function removedFrom(document: string): RemovedEntry {
  try {
    return { expiresAt: decode(document).expiresAt };
  } catch {
    return { expiresAt: undefined };
  }
}

/** Native expiry in whole ms, never shorter than the TTL, at least 1. */
function px(ttlSeconds: number): number {
  return Math.min(Math.max(1, Math.ceil(ttlSeconds * 1000)), MAX_PX);
}

function isUnknownCommand(err: unknown): boolean {
  return err instanceof Error && replyCode(err) === 'ERR' && /unknown command/i.test(err.message);
}
