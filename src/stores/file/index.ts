/**
 * `FileStore`: the embedded persistent store. One directory per collection, one py-key-value JSON
 * document per entry, atomic writes, and `take` / `putIfAbsent` that stay exactly-once across
 * processes sharing the directory. Layout, encoding and guarantees: `docs/file.md`.
 * @module
 */
import { link, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { options as check, mapLimit } from '../../backend/kit.js';
import { BaseStore, type BaseStoreOptions, type BatchTiming, type RemovedEntry } from '../../base-store.js';
import { COUNTER_FIELD, type KeysPage, type StoreCapabilities } from '../../contract.js';
import { entryToDocumentJson, isExpired, type PreparedEntry, type StoredEntry } from '../../entry.js';
import {
  DeserializationError,
  type OAuthKVError,
  StoreClosedError,
  StoreSetupError,
  StoreTimeoutError,
  ValidationError,
} from '../../errors.js';
import { StoreDirectory } from './directory.js';
import { inspectEntry, parseEntry } from './document.js';
import { Disk, errorCode, fileError, ignore, listDir, readText } from './io.js';
import { firstAbove, type Listing, Listings } from './listing.js';
import { KeyLocks } from './lock.js';
import {
  cullDirectory,
  cullEntry,
  cullLeftover,
  finishDirectory,
  firstLive,
  PARALLEL,
  removeIfExpired,
  STALE_LEFTOVER_MS,
} from './maintenance.js';
import {
  encodeFileName,
  entryFileName,
  leftoverAge,
  leftoverName,
  TEMP_PREFIX,
  TRASH_PREFIX,
} from './names.js';

export { decodeFileName, encodeFileName, isHashedFileName, MAX_PLAIN_ENCODING } from './names.js';

/**
 * Options of {@link FileStore}.
 *
 * @example
 * ```ts
 * import { FileStore } from 'oauth-kv/file';
 * const store = new FileStore({ directory: './data/oauth', fsync: true, fileMode: 0o600 });
 * ```
 */
export interface FileStoreOptions extends BaseStoreOptions {
  /**
   * The store's directory; created (with {@link FileStoreOptions.directoryMode}) when missing. It
   * must be owned by this user and writable by no one else (as OpenSSH requires of `~/.ssh`); it
   * may be a symbolic link set up by this user or root, resolved once.
   */
  directory: string;
  /**
   * Flush every write to disk before it resolves: the file (`fsync`) and its directory entry
   * (`fsync` of the directory). Default `true`. With `false` a write survives a process crash
   * but may be lost on a power failure or kernel crash.
   */
  fsync?: boolean | undefined;
  /** Permission bits of every file the store creates, applied whatever the umask. Default `0o600`. */
  fileMode?: number | undefined;
  /**
   * Permission bits of every directory the store creates, applied whatever the umask. Default
   * `0o700`. Group or other write bits given here (`0o770`) are also what the store accepts on
   * directories it did not create; any other shared write access is refused.
   */
  directoryMode?: number | undefined;
  /**
   * How long `putIfAbsent` waits for the per-key lock another caller holds before it fails with a
   * `StoreTimeoutError`, in ms. Default `10_000`.
   */
  lockTimeoutMs?: number | undefined;
  /**
   * A per-key lock older than this (ms), or held by a process on this host that no longer runs, is
   * considered abandoned by a crashed holder and broken. Default `30_000`. Keep it far above the
   * longest time a `putIfAbsent` can stall (a lock is held for a few file operations).
   */
  staleLockMs?: number | undefined;
}

/** Rounds of putIfAbsent's link / read / replace-expired loop. */
const PUT_IF_ABSENT_ROUNDS = 64;

/**
 * A persistent store in a directory: a subdirectory per collection and a file per entry, holding
 * the py-key-value document (`{"collection", "created_at", "expires_at", "key", "value", "version"}`)
 * so the files are readable and portable. Names of any shape are stored through a reversible,
 * case-insensitive-safe file-name encoding ({@link encodeFileName}) that never leaves the directory.
 *
 * - Writes are atomic: a temp file in the same directory, `fsync`, `rename` over the entry,
 *   `fsync` of the directory. Readers never see a partial file.
 * - `take` renames the entry to a unique claim name (exactly one racer succeeds, across processes),
 *   then reads and removes the claim.
 * - `putIfAbsent` links a fully written temp file to the entry name (`link` fails when the entry
 *   exists), holding a per-key lock file so an expired entry is replaced atomically.
 * - `cull()` deletes expired entries and files left over by crashed writers.
 *
 * - A store or collection directory owned by another user or writable by others is refused
 *   (`StoreSetupError`); no symbolic link inside the store is ever followed.
 *
 * Several processes on one host may share the directory. Network file systems are not supported.
 *
 * @example
 * ```ts
 * import { FileStore } from 'oauth-kv/file';
 *
 * const store = new FileStore({ directory: './data/oauth' });
 * await store.put('https://app.example/client.json', { client_id: 'c1' }, { collection: 'clients' });
 * await store.put('code-1', { client_id: 'c1' }, { collection: 'codes', ttl: 300 });
 * const code = await store.take('code-1', { collection: 'codes' }); // single use
 * setInterval(() => void store.cull(), 60_000).unref();
 * ```
 */
export class FileStore extends BaseStore {
  readonly capabilities: StoreCapabilities = {
    keys: true,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
    increment: true,
  };
  readonly #directory: StoreDirectory;
  readonly #disk: Disk;
  readonly #locks: KeyLocks;
  readonly #listings = new Listings();
  #cullPass: { dir: string; listing: Listing } | undefined;

  constructor(options: FileStoreOptions) {
    const opts: Partial<FileStoreOptions> = check.object('FileStore', 'options', options);
    super(opts);
    const directory = opts.directory;
    if (typeof directory !== 'string' || directory.length === 0 || directory.includes('\0')) {
      throw new StoreSetupError('FileStore needs a `directory` option: a non-empty path');
    }
    const root = resolve(directory);
    const fileMode = checkMode(opts.fileMode ?? 0o600, 'fileMode');
    const dirMode = checkMode(opts.directoryMode ?? 0o700, 'directoryMode');
    this.#disk = new Disk(check.boolean('FileStore', 'fsync', opts.fsync, true), fileMode);
    this.#directory = new StoreDirectory(root, dirMode, this.#disk);
    this.#locks = new KeyLocks({
      disk: this.#disk,
      timeoutMs: check.positiveNumber('FileStore', 'lockTimeoutMs', opts.lockTimeoutMs, 10_000),
      staleMs: check.positiveNumber('FileStore', 'staleLockMs', opts.staleLockMs, 30_000),
      root,
    });
  }

  /**
   * The absolute path of the store's directory.
   *
   * @example
   * ```ts
   * console.log(new FileStore({ directory: './data' }).directory); // "/srv/app/data"
   * ```
   */
  get directory(): string {
    return this.#directory.root;
  }

  // ---- primitives ------------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    try {
      const dir = await this.#directory.dir(collection);
      const text = await readText(join(dir, entryFileName(key)));
      return text === undefined ? undefined : parseEntry(text, collection, key);
    } catch (err) {
      throw this.#fail(err, 'read an entry');
    }
  }

  /** The directory is set up, trusted and still there (one `stat` once set up). */
  protected override async pingStore(): Promise<void> {
    try {
      await this.#directory.init();
      await stat(this.#directory.base);
    } catch (err) {
      throw this.#fail(err, 'reach its directory');
    }
  }

  protected override readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | DeserializationError | undefined)[]> {
    // A corrupted entry fails only its own position.
    return mapLimit(keys, PARALLEL, (key) =>
      this.readEntry(collection, key).catch((err: unknown) => {
        if (err instanceof DeserializationError) return err;
        throw err;
      }),
    );
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    await this.writeEntries(collection, [[key, entry]], entry);
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    try {
      const dir = await this.#directory.dir(collection);
      await mapLimit(entries, PARALLEL, ([key, entry]) =>
        this.#directory.inDirectory(dir, async () => {
          const temp = await this.#disk.writeTemp(dir, entryToDocumentJson(entry, { key, collection }));
          try {
            await rename(temp, join(dir, entryFileName(key)));
          } catch (err) {
            await unlink(temp).catch(ignore);
            throw err;
          }
        }),
      );
      await this.#disk.syncDir(dir);
    } catch (err) {
      throw this.#fail(err, 'write an entry');
    }
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    try {
      const dir = await this.#directory.dir(collection);
      const text = await this.#disk.takeFile(dir, entryFileName(key));
      return text === undefined ? undefined : { expiresAt: parseEntry(text, collection, key).expiresAt };
    } catch (err) {
      // Deleting is how a corrupted entry is cleared; it counts as an entry.
      if (err instanceof DeserializationError) return { expiresAt: undefined };
      throw this.#fail(err, 'delete an entry');
    }
  }

  protected override removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    return mapLimit(keys, PARALLEL, (key) => this.removeEntry(collection, key));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    let text: string | undefined;
    try {
      const dir = await this.#directory.dir(collection);
      text = await this.#disk.takeFile(dir, entryFileName(key));
    } catch (err) {
      throw this.#fail(err, 'take an entry');
    }
    return text === undefined ? undefined : parseEntry(text, collection, key);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    const name = entryFileName(key);
    try {
      const dir = await this.#directory.dir(collection);
      const file = join(dir, name);
      // A live entry means `false` at once, without the lock (the read is a linearization point).
      if ((await this.#state(file, collection, key)) === 'live') return false;
      const content = entryToDocumentJson(entry, { key, collection });
      return await this.#directory.inDirectory(dir, () =>
        this.#locks.withKeyLock(
          dir,
          name,
          // Checked again once this caller's turn comes in this process: most racers stop here.
          async () => (await this.#state(file, collection, key)) !== 'live',
          async () => {
            for (let round = 0; round < PUT_IF_ABSENT_ROUNDS; round++) {
              const state = await this.#state(file, collection, key);
              if (state === 'live') return false;
              if (state === 'expired') {
                await removeIfExpired(dir, name, collection, key, () => this.now());
                continue;
              }
              const temp = await this.#disk.writeTemp(dir, content);
              try {
                await link(temp, file); // fails with EEXIST when a concurrent put got there first
              } catch (err) {
                if (errorCode(err) === 'EEXIST') continue;
                throw err;
              } finally {
                await unlink(temp).catch(ignore);
              }
              await this.#disk.syncDir(dir);
              return true;
            }
            throw new StoreTimeoutError(
              `FileStore putIfAbsent did not settle after ${PUT_IF_ABSENT_ROUNDS} rounds of concurrent writes`,
            );
          },
          false,
        ),
      );
    } catch (err) {
      throw this.#fail(err, 'write an entry');
    }
  }

  /**
   * Read, add and replace under the per-key lock, so increments of one key never interleave across
   * processes on this directory (a plain `put` of the same key is not locked and may be overtaken).
   */
  protected override async incrementEntry(
    collection: string,
    key: string,
    by: number,
    created: PreparedEntry,
  ): Promise<number | undefined> {
    const dir = await this.#directory.dir(collection).catch((err: unknown) => {
      throw this.#fail(err, 'increment an entry');
    });
    const step = async (): Promise<number | undefined> => {
      const current = await this.readEntry(collection, key);
      if (current === undefined || isExpired(current, this.now())) {
        await this.writeEntry(collection, key, created);
        return by;
      }
      const count = current.value[COUNTER_FIELD];
      if (typeof count !== 'number') return undefined;
      const value = { ...current.value, [COUNTER_FIELD]: count + by };
      const { expiresAt } = current;
      const ttl = expiresAt === undefined ? undefined : (expiresAt - this.now()) / 1000;
      const createdAt = current.createdAt ?? created.createdAt;
      await this.writeEntry(collection, key, {
        value,
        json: JSON.stringify(value),
        createdAt,
        expiresAt,
        ttl,
      });
      return count + by;
    };
    return this.#directory.inDirectory(dir, () =>
      this.#locks.withKeyLock(dir, entryFileName(key), async () => true, step, undefined),
    );
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    try {
      const dir = await this.#directory.dir(collection);
      // The sorted listing, reused while the directory is unchanged; the page starts at the cursor.
      const names = (await this.#listings.of(dir)).entries;
      const keys: string[] = [];
      let last: string | undefined;
      for (let i = firstAbove(names, cursor); i < names.length; i += PARALLEL) {
        const batch = names.slice(i, i + PARALLEL);
        const now = this.now();
        const found = await Promise.all(batch.map((n) => inspectEntry(dir, n, collection, now)));
        for (let j = 0; j < batch.length; j++) {
          const item = found[j];
          if (item === undefined || !item.live) continue;
          // One more live key follows the page: only then is there a next page.
          if (keys.length === limit) return { keys, cursor: last };
          keys.push(item.key);
          last = batch[j];
        }
      }
      return { keys, cursor: undefined };
    } catch (err) {
      throw this.#fail(err, 'list keys');
    }
  }

  protected override async listCollections(): Promise<string[]> {
    try {
      const out: string[] = [];
      const base = this.#directory.base;
      for (const name of await this.#directory.collectionDirs()) {
        const found = await firstLive(join(base, name), name, () => this.now());
        if (found !== undefined) out.push(found);
      }
      return out.sort();
    } catch (err) {
      throw this.#fail(err, 'list collections');
    }
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    try {
      const dir = await this.#directory.dir(collection);
      const base = this.#directory.base;
      const trash = join(base, leftoverName(TRASH_PREFIX));
      try {
        await rename(dir, trash); // atomic: writers racing with us retry elsewhere
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return false;
        throw err;
      }
      this.#directory.forget(dir);
      await this.#disk.syncDir(base);
      try {
        return (await firstLive(trash, encodeFileName(collection), () => this.now())) !== undefined;
      } finally {
        await rm(trash, { recursive: true, force: true });
      }
    } catch (err) {
      throw this.#fail(err, 'delete a collection');
    }
  }

  protected override async removeExpired(): Promise<number> {
    try {
      const names = await this.#directory.collectionDirs();
      const base = this.#directory.base;
      await this.#removeStaleLeftovers();
      const context = { locks: this.#locks, disk: this.#disk, now: () => this.now() };
      let removed = 0;
      for (const name of names) removed += await cullDirectory(join(base, name), name, context);
      return removed;
    } catch (err) {
      throw this.#fail(err, 'delete expired entries');
    }
  }

  /**
   * One step of an incremental `cull()`: looks at no more than `limit` entry files (default 1000),
   * deletes those that have expired, and returns how many it deleted with a `cursor` to pass to the
   * next step; `cursor` is `undefined` once every collection was visited. Each step costs about
   * `limit` file reads whatever the store's size, so a large store can be culled a little at a time
   * (for instance one step per timer tick). Leftovers of crashed writers and abandoned locks are
   * removed as each collection directory is finished, as `cull()` does. Entries written while a
   * pass runs may be visited in a later pass only; nothing live is ever deleted.
   *
   * @example
   * ```ts
   * import { FileStore } from 'oauth-kv/file';
   *
   * const store = new FileStore({ directory: './data/oauth' });
   * let cursor: string | undefined;
   * let removed = 0;
   * do {
   *   const step = await store.cullPage({ limit: 500, cursor });
   *   removed += step.removed;
   *   cursor = step.cursor;
   * } while (cursor !== undefined);
   * ```
   */
  async cullPage(options: FileCullPageOptions = {}): Promise<FileCullPage> {
    if (this.closed) throw new StoreClosedError('FileStore is closed');
    const { limit, cursor } = checkCullPageOptions(options);
    try {
      // The cursor is "<collection directory>/<entry name>": neither part can hold a "/".
      const slash = cursor === undefined ? -1 : cursor.indexOf('/');
      const fromDir = cursor === undefined ? undefined : cursor.slice(0, slash < 0 ? undefined : slash);
      const fromEntry = slash < 0 || cursor === undefined ? undefined : cursor.slice(slash + 1);
      const base = this.#directory.base;
      if (cursor === undefined) {
        this.#cullPass = undefined; // a new pass lists every directory afresh
        await this.#removeStaleLeftovers();
      }
      const dirs = (await this.#directory.collectionDirs()).sort();
      const context = { locks: this.#locks, disk: this.#disk, now: () => this.now() };
      let budget = limit;
      let removed = 0;
      for (
        let d = fromDir === undefined ? 0 : dirs.findIndex((n) => n >= fromDir);
        d >= 0 && d < dirs.length;
        d++
      ) {
        const name = dirs[d] as string;
        const dir = join(base, name);
        // A pass keeps the listing of the directory it is in: its own removals change the directory,
        // and an entry written since then is culled by a later pass (a missing file is skipped).
        const kept = this.#cullPass;
        const listing = kept !== undefined && kept.dir === dir ? kept.listing : await this.#listings.of(dir);
        this.#cullPass = { dir, listing };
        const start = name === fromDir ? firstAbove(listing.entries, fromEntry) : 0;
        const batch = listing.entries.slice(start, start + budget);
        let removedHere = 0;
        await mapLimit(batch, PARALLEL, async (encodedKey) => {
          if (await cullEntry(dir, encodedKey, name, context)) removedHere++;
        });
        removed += removedHere;
        budget -= batch.length;
        if (start + batch.length < listing.entries.length) {
          if (removedHere > 0) await this.#disk.syncDir(dir);
          return { removed, cursor: `${name}/${batch[batch.length - 1] as string}` };
        }
        // This directory is done: its leftovers go, and the directory too when it is empty.
        await mapLimit(listing.others, PARALLEL, (other) => cullLeftover(dir, other, this.#locks));
        await finishDirectory(dir, removedHere, this.#disk);
        if (budget === 0) {
          const next = dirs[d + 1];
          if (next === undefined) this.#cullPass = undefined;
          return { removed, cursor: next === undefined ? undefined : `${next}/` };
        }
      }
      this.#cullPass = undefined;
      return { removed, cursor: undefined };
    } catch (err) {
      throw this.#fail(err, 'delete expired entries');
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Removes trash directories and temp files in the store's directory left over by a crash. */
  async #removeStaleLeftovers(): Promise<void> {
    const base = this.#directory.base;
    for (const name of await listDir(base)) {
      if (!name.startsWith(TRASH_PREFIX) && !name.startsWith(TEMP_PREFIX)) continue;
      if (leftoverAge(name) > STALE_LEFTOVER_MS) await rm(join(base, name), { recursive: true, force: true });
    }
  }

  async #state(file: string, collection: string, key: string): Promise<'absent' | 'live' | 'expired'> {
    const text = await readText(file);
    if (text === undefined) return 'absent';
    return isExpired(parseEntry(text, collection, key), this.now()) ? 'expired' : 'live';
  }

  /** The typed error for a failure, naming the directory, never a key or a value. */
  #fail(err: unknown, action: string): OAuthKVError {
    return fileError(err, action, this.#directory.root);
  }
}

/**
 * Options of {@link FileStore.cullPage}.
 *
 * @example
 * ```ts
 * import type { FileCullPageOptions } from 'oauth-kv/file';
 * const options: FileCullPageOptions = { limit: 500 };
 * ```
 */
export interface FileCullPageOptions {
  /** Most entry files one step looks at: a positive integer, default 1000. */
  limit?: number | undefined;
  /** The `cursor` the previous step returned; none to start a pass. */
  cursor?: string | undefined;
}

/**
 * What one {@link FileStore.cullPage} step did.
 *
 * @example
 * ```ts
 * import type { FileCullPage } from 'oauth-kv/file';
 * const step: FileCullPage = { removed: 3, cursor: undefined }; // the pass is over
 * ```
 */
export interface FileCullPage {
  /** Expired entries this step deleted. */
  removed: number;
  /** Where the next step starts; `undefined` when the pass is over. */
  cursor: string | undefined;
}

function checkCullPageOptions(options: unknown): { limit: number; cursor: string | undefined } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('cullPage() options must be an object', [
      { message: 'must be an object', path: 'options' },
    ]);
  }
  const { limit = 1000, cursor } = options as { limit?: unknown; cursor?: unknown };
  if (!Number.isSafeInteger(limit) || (limit as number) < 1) {
    throw new ValidationError('cullPage() limit must be a positive integer', [
      { message: 'must be a positive integer', path: 'options.limit' },
    ]);
  }
  if (cursor !== undefined && typeof cursor !== 'string') {
    throw new ValidationError('cullPage() cursor must be the string a previous step returned', [
      { message: 'must be a string', path: 'options.cursor' },
    ]);
  }
  return { limit: limit as number, cursor };
}

function checkMode(mode: unknown, name: string): number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new StoreSetupError(`FileStore option ${name} must be permission bits such as 0o600`);
  }
  return mode;
}
