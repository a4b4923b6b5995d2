/**
 * `FileStore`: the embedded persistent store. One directory per collection, one py-key-value JSON
 * document per entry, atomic writes, and `take` / `putIfAbsent` that stay exactly-once across
 * processes sharing the directory. Layout, encoding and guarantees: `docs/file.md`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import {
  chmod,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
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
import { parseJsonObject } from '../../validation.js';
import { decodeFileName, encodeFileName } from './names.js';

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
  /** The store's directory; created (with {@link FileStoreOptions.directoryMode}) when missing. */
  directory: string;
  /**
   * Flush every write to disk before it resolves: the file (`fsync`) and its directory entry
   * (`fsync` of the directory). Default `true`. With `false` a write survives a process crash
   * but may be lost on a power failure or kernel crash.
   */
  fsync?: boolean | undefined;
  /** Permission bits of every file the store creates, applied whatever the umask. Default `0o600`. */
  fileMode?: number | undefined;
  /** Permission bits of every directory the store creates, applied whatever the umask. Default `0o700`. */
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

/** Temp, claim and trash files older than this are left over by a crash; `cull()` removes them. */
const STALE_LEFTOVER_MS = 60_000;
const TEMP_PREFIX = '.tmp-';
const CLAIM_PREFIX = '.claim-';
const TRASH_PREFIX = '.trash-';
const LOCK_PREFIX = '.lock-';
const BREAK_PREFIX = '.brk-';
const ENTRY_SUFFIX = '.json';
/** Who holds a lock: host name plus, on Linux, the PID namespace (containers can share a host name). */
let holderIdentity: string | undefined;
function lockOwner(): string {
  if (holderIdentity === undefined) {
    let namespace = '';
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      // not Linux: the host name alone
    }
    holderIdentity = `${hostname()}${namespace ? ` ${namespace}` : ''}`;
  }
  return holderIdentity;
}
/** Parallel file operations of one bulk call or scan. */
const PARALLEL = 16;
/** Attempts of an operation whose collection directory vanished under it (destroyCollection, cull). */
const DIRECTORY_ATTEMPTS = 8;
/** Rounds of putIfAbsent's link / read / replace-expired loop. */
const PUT_IF_ABSENT_ROUNDS = 64;
/** File-system error codes that mean the directory is unusable rather than busy. */
const SETUP_CODES = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EEXIST',
  'EISDIR',
  'ELOOP',
  'ENAMETOOLONG',
]);

interface Inspected {
  key: string;
  collection: string;
  live: boolean;
}

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
  };
  readonly #root: string;
  readonly #fsync: boolean;
  readonly #fileMode: number;
  readonly #dirMode: number;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  #ready: Promise<void> | undefined;

  constructor(options: FileStoreOptions) {
    super(options);
    const directory = (options as Partial<FileStoreOptions> | undefined)?.directory;
    if (typeof directory !== 'string' || directory.length === 0 || directory.includes('\0')) {
      throw new StoreSetupError('FileStore needs a `directory` option: a non-empty path');
    }
    this.#root = resolve(directory);
    this.#fsync = options.fsync ?? true;
    this.#fileMode = checkMode(options.fileMode ?? 0o600, 'fileMode');
    this.#dirMode = checkMode(options.directoryMode ?? 0o700, 'directoryMode');
    this.#lockTimeoutMs = checkMs(options.lockTimeoutMs ?? 10_000, 'lockTimeoutMs');
    this.#staleLockMs = checkMs(options.staleLockMs ?? 30_000, 'staleLockMs');
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
    return this.#root;
  }

  // ---- primitives ------------------------------------------------------------------------------

  protected async readEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    await this.#init();
    const file = this.#entryPath(collection, key);
    try {
      const text = await readText(file);
      return text === undefined ? undefined : this.#parse(text, collection, key);
    } catch (err) {
      return this.#fail(err, 'read an entry');
    }
  }

  protected override readEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(StoredEntry | undefined)[]> {
    return mapLimit(keys, PARALLEL, (key) => this.readEntry(collection, key));
  }

  protected async writeEntry(collection: string, key: string, entry: PreparedEntry): Promise<void> {
    await this.writeEntries(collection, [[key, entry]], entry);
  }

  protected override async writeEntries(
    collection: string,
    entries: ReadonlyArray<readonly [string, PreparedEntry]>,
    _timing: BatchTiming,
  ): Promise<void> {
    await this.#init();
    const dir = this.#collectionDir(collection);
    try {
      await mapLimit(entries, PARALLEL, ([key, entry]) =>
        this.#inDirectory(dir, async () => {
          const temp = await this.#writeTemp(dir, entryToDocumentJson(entry, { key, collection }));
          try {
            await rename(temp, join(dir, entryFileName(key)));
          } catch (err) {
            await unlink(temp).catch(ignore);
            throw err;
          }
        }),
      );
      await this.#syncDir(dir);
    } catch (err) {
      this.#fail(err, 'write an entry');
    }
  }

  protected async removeEntry(collection: string, key: string): Promise<RemovedEntry | undefined> {
    await this.#init();
    const dir = this.#collectionDir(collection);
    try {
      const text = await this.#takeFile(dir, entryFileName(key));
      if (text === undefined) return undefined;
      try {
        return this.#parse(text, collection, key);
      } catch (err) {
        // deleting is how a corrupted entry is cleared; it counts as an entry
        if (err instanceof DeserializationError) return { expiresAt: undefined };
        throw err;
      }
    } catch (err) {
      return this.#fail(err, 'delete an entry');
    }
  }

  protected override removeEntries(
    collection: string,
    keys: readonly string[],
  ): Promise<(RemovedEntry | undefined)[]> {
    return mapLimit(keys, PARALLEL, (key) => this.removeEntry(collection, key));
  }

  protected async takeEntry(collection: string, key: string): Promise<StoredEntry | undefined> {
    await this.#init();
    const dir = this.#collectionDir(collection);
    let text: string | undefined;
    try {
      text = await this.#takeFile(dir, entryFileName(key));
    } catch (err) {
      return this.#fail(err, 'take an entry');
    }
    return text === undefined ? undefined : this.#parse(text, collection, key);
  }

  protected async writeEntryIfAbsent(
    collection: string,
    key: string,
    entry: PreparedEntry,
  ): Promise<boolean> {
    await this.#init();
    const dir = this.#collectionDir(collection);
    const name = entryFileName(key);
    const file = join(dir, name);
    try {
      // A live entry means `false` at once, without the lock (the read is a linearization point).
      if ((await this.#state(file, collection, key)) === 'live') return false;
      const content = entryToDocumentJson(entry, { key, collection });
      return await this.#inDirectory(dir, () =>
        this.#withKeyLock(
          dir,
          name,
          // Checked again once this caller's turn comes in this process: most racers stop here.
          async () => (await this.#state(file, collection, key)) !== 'live',
          async () => {
            for (let round = 0; round < PUT_IF_ABSENT_ROUNDS; round++) {
              const state = await this.#state(file, collection, key);
              if (state === 'live') return false;
              if (state === 'expired') {
                await this.#removeIfExpired(dir, name, collection, key);
                continue;
              }
              const temp = await this.#writeTemp(dir, content);
              try {
                await link(temp, file); // fails with EEXIST when a concurrent put got there first
              } catch (err) {
                if (errorCode(err) === 'EEXIST') continue;
                throw err;
              } finally {
                await unlink(temp).catch(ignore);
              }
              await this.#syncDir(dir);
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
      return this.#fail(err, 'write an entry');
    }
  }

  protected override async listKeys(
    collection: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<KeysPage> {
    await this.#init();
    const dir = this.#collectionDir(collection);
    try {
      const names = (await listDir(dir))
        .filter((n) => isEntryFileName(n))
        .map((n) => n.slice(0, -ENTRY_SUFFIX.length))
        .filter((n) => cursor === undefined || n > cursor)
        .sort();
      const keys: string[] = [];
      let last: string | undefined;
      for (let i = 0; i < names.length; i += PARALLEL) {
        const batch = names.slice(i, i + PARALLEL);
        const found = await Promise.all(batch.map((n) => this.#inspect(dir, n, collection)));
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
      return this.#fail(err, 'list keys');
    }
  }

  protected override async listCollections(): Promise<string[]> {
    await this.#init();
    try {
      const out: string[] = [];
      for (const name of await listDir(this.#root)) {
        if (decodeFileName(name) === undefined) continue;
        const found = await this.#firstLive(join(this.#root, name), name);
        if (found !== undefined) out.push(found);
      }
      return out.sort();
    } catch (err) {
      return this.#fail(err, 'list collections');
    }
  }

  protected override async removeCollection(collection: string): Promise<boolean> {
    await this.#init();
    const encoded = encodeFileName(collection);
    const trash = join(this.#root, leftoverName(TRASH_PREFIX));
    try {
      try {
        await rename(join(this.#root, encoded), trash); // atomic: writers racing with us retry elsewhere
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return false;
        throw err;
      }
      await this.#syncDir(this.#root);
      try {
        return (await this.#firstLive(trash, encoded)) !== undefined;
      } finally {
        await rm(trash, { recursive: true, force: true });
      }
    } catch (err) {
      return this.#fail(err, 'delete a collection');
    }
  }

  protected override async removeExpired(): Promise<number> {
    await this.#init();
    try {
      let removed = 0;
      for (const name of await listDir(this.#root)) {
        const path = join(this.#root, name);
        if (name.startsWith(TRASH_PREFIX) || name.startsWith(TEMP_PREFIX)) {
          if (leftoverAge(name) > STALE_LEFTOVER_MS) await rm(path, { recursive: true, force: true });
        } else if (decodeFileName(name) !== undefined) {
          removed += await this.#cullDirectory(path, name);
        }
      }
      return removed;
    } catch (err) {
      return this.#fail(err, 'delete expired entries');
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Creates the directory on first use and checks that it is writable. */
  #init(): Promise<void> {
    this.#ready ??= this.#setup().catch((err: unknown) => {
      this.#ready = undefined; // a later call tries again (the directory may have been fixed)
      throw err;
    });
    return this.#ready;
  }

  async #setup(): Promise<void> {
    try {
      const created = await mkdir(this.#root, { recursive: true, mode: this.#dirMode });
      if (created !== undefined) {
        // Apply the mode to each directory we created, whatever the umask.
        let path = created;
        await chmod(path, this.#dirMode);
        for (const part of relative(created, this.#root).split(sep).filter(Boolean)) {
          path = join(path, part);
          await chmod(path, this.#dirMode);
        }
      }
      if (!(await stat(this.#root)).isDirectory())
        throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      const probe = await this.#writeTemp(this.#root, '');
      await unlink(probe);
    } catch (err) {
      throw new StoreSetupError(
        `FileStore cannot use the directory ${JSON.stringify(this.#root)} (${errorCode(err) ?? 'error'}): ` +
          'it must be a directory this process can create files in',
      );
    }
  }

  #collectionDir(collection: string): string {
    return join(this.#root, encodeFileName(collection));
  }

  #entryPath(collection: string, key: string): string {
    return join(this.#collectionDir(collection), entryFileName(key));
  }

  /** Runs `fn`, creating the collection directory and retrying when it is missing or vanished. */
  async #inDirectory<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (errorCode(err) !== 'ENOENT' || attempt >= DIRECTORY_ATTEMPTS) throw err;
      }
      try {
        await mkdir(dir, { mode: this.#dirMode });
        await chmod(dir, this.#dirMode);
        await this.#syncDir(this.#root);
      } catch (err) {
        if (errorCode(err) === 'ENOENT') {
          this.#ready = undefined; // the store's directory itself was removed: set it up again
          await this.#init();
        } else if (errorCode(err) !== 'EEXIST') {
          throw err;
        }
      }
    }
  }

  /** Writes `content` to a new temp file in `dir` (mode applied, flushed) and returns its path. */
  async #writeTemp(dir: string, content: string): Promise<string> {
    const path = join(dir, leftoverName(TEMP_PREFIX));
    const handle = await open(path, 'wx', this.#fileMode);
    try {
      await handle.chmod(this.#fileMode);
      await handle.writeFile(content, 'utf8');
      if (this.#fsync) await handle.sync();
    } catch (err) {
      await handle.close().catch(ignore);
      await unlink(path).catch(ignore);
      throw err;
    }
    await handle.close();
    return path;
  }

  async #syncDir(dir: string): Promise<void> {
    if (!this.#fsync) return;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(dir, 'r');
      await handle.sync();
    } catch (err) {
      // A directory that vanished (destroyed concurrently) has nothing left to flush; some
      // platforms cannot open or flush directories at all.
      if (!['ENOENT', 'EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(errorCode(err) ?? ''))
        throw err;
    } finally {
      await handle?.close().catch(ignore);
    }
  }

  /**
   * Atomically removes `dir/name` by renaming it to a unique claim name (of all racers exactly one
   * succeeds), then reads and deletes the claim. Returns the content, or `undefined` when absent.
   */
  async #takeFile(dir: string, name: string): Promise<string | undefined> {
    const claim = join(dir, leftoverName(CLAIM_PREFIX));
    try {
      await rename(join(dir, name), claim);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return await readFile(claim, 'utf8');
    } finally {
      await unlink(claim).catch(ignore);
      await this.#syncDir(dir);
    }
  }

  /**
   * Removes `dir/name` if it is expired; call with the key's lock held. The entry is claimed by
   * rename and checked again; a live entry a concurrent `put` wrote in between is put back.
   */
  async #removeIfExpired(dir: string, name: string, collection: string, key: string): Promise<boolean> {
    const file = join(dir, name);
    const claim = join(dir, leftoverName(CLAIM_PREFIX));
    try {
      await rename(file, claim);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return false;
      throw err;
    }
    let expired = false;
    try {
      expired = isExpired(this.#parse(await readFile(claim, 'utf8'), collection, key), this.now());
    } catch (err) {
      if (!(err instanceof DeserializationError)) {
        await link(claim, file).catch(ignore);
        await unlink(claim).catch(ignore);
        throw err;
      }
    }
    if (!expired) {
      // Not ours to remove: restore it unless an even newer entry already took its place.
      try {
        await link(claim, file);
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
    }
    await unlink(claim);
    return expired;
  }

  async #state(file: string, collection: string, key: string): Promise<'absent' | 'live' | 'expired'> {
    const text = await readText(file);
    if (text === undefined) return 'absent';
    return isExpired(this.#parse(text, collection, key), this.now()) ? 'expired' : 'live';
  }

  /** Parses an entry file, checking that it holds the document of `(collection, key)`. */
  #parse(text: string, collection: string, key: string): StoredEntry {
    const doc = parseJsonObject(text);
    if (doc === undefined) {
      throw new DeserializationError(
        `An entry file of collection ${JSON.stringify(collection)} is not a JSON document (corrupted or truncated)`,
      );
    }
    if (
      (doc.key !== undefined && doc.key !== key) ||
      (doc.collection !== undefined && doc.collection !== collection)
    ) {
      throw new DeserializationError(
        `An entry file of collection ${JSON.stringify(collection)} holds the document of another key or collection`,
      );
    }
    try {
      return documentToEntry(doc);
    } catch (err) {
      throw new DeserializationError(
        `An entry file of collection ${JSON.stringify(collection)} cannot be read: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Reads the entry file `dir/<encoded>.json` and reports its key, collection and liveness;
   * `undefined` for a file that vanished or cannot be attributed to a name. A corrupted file with
   * a readable name is reported live, so enumeration shows it and `get` reports the corruption.
   */
  async #inspect(
    dir: string,
    encoded: string,
    collection: string | undefined,
  ): Promise<Inspected | undefined> {
    const decoded = decodeFileName(encoded);
    if (decoded === undefined) return undefined;
    const text = await readText(join(dir, encoded + ENTRY_SUFFIX));
    if (text === undefined) return undefined;
    const doc = parseJsonObject(text);
    const docKey = typeof doc?.key === 'string' ? doc.key : undefined;
    const docCollection = typeof doc?.collection === 'string' ? doc.collection : undefined;
    const key = decoded ?? docKey;
    const name = collection ?? docCollection;
    if (key === undefined || name === undefined || encodeFileName(key) !== encoded) return undefined;
    if ((docKey ?? key) !== key || (docCollection ?? name) !== name) return undefined; // a misplaced file
    try {
      return { key, collection: name, live: !isExpired(this.#parse(text, name, key), this.now()) };
    } catch {
      return { key, collection: name, live: true };
    }
  }

  /** The collection name of `dir` when it holds a live entry; `undefined` otherwise. */
  async #firstLive(dir: string, encodedCollection: string): Promise<string | undefined> {
    const decoded = decodeFileName(encodedCollection);
    const names = (await listDir(dir))
      .filter((n) => isEntryFileName(n))
      .map((n) => n.slice(0, -ENTRY_SUFFIX.length));
    for (let i = 0; i < names.length; i += PARALLEL) {
      const found = await Promise.all(
        names.slice(i, i + PARALLEL).map((n) => this.#inspect(dir, n, decoded ?? undefined)),
      );
      for (const item of found) {
        if (item?.live && encodeFileName(item.collection) === encodedCollection) return item.collection;
      }
    }
    return undefined;
  }

  async #cullDirectory(dir: string, encodedCollection: string): Promise<number> {
    const decoded = decodeFileName(encodedCollection);
    let removed = 0;
    const names = await listDir(dir);
    await mapLimit(names, PARALLEL, async (name) => {
      const path = join(dir, name);
      if (name.startsWith(TEMP_PREFIX) || name.startsWith(CLAIM_PREFIX)) {
        if (leftoverAge(name) > STALE_LEFTOVER_MS) await unlink(path).catch(ignore);
      } else if (name.startsWith(BREAK_PREFIX)) {
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined && Date.now() - info.ctimeMs > STALE_LEFTOVER_MS)
          await unlink(path).catch(ignore);
      } else if (name.startsWith(LOCK_PREFIX)) {
        await this.#breakIfStale(path, dir);
      } else if (isEntryFileName(name)) {
        const item = await this.#inspect(dir, name.slice(0, -ENTRY_SUFFIX.length), decoded ?? undefined);
        if (item === undefined || item.live || encodeFileName(item.collection) !== encodedCollection) return;
        const gone = await this.#withKeyLock(
          dir,
          name,
          async () => true,
          () => this.#removeIfExpired(dir, name, item.collection, item.key),
          false,
        ).catch((err: unknown) => {
          if (errorCode(err) === 'ENOENT') return false; // the collection was destroyed meanwhile
          throw err;
        });
        if (gone) removed++;
      }
    });
    if (removed > 0) await this.#syncDir(dir);
    await rmdir(dir).catch(ignore); // only succeeds when empty; writers recreate it as needed
    return removed;
  }

  // ---- per-key lock (putIfAbsent and cull only) -------------------------------------------------

  /**
   * Runs `fn` holding the lock of one key: first this process's queue for the key (no polling
   * between callers of one process), then the lock file that serializes processes. A caller that
   * had to queue first asks `proceed()` and returns `skipped` when it says no.
   */
  async #withKeyLock<T>(
    dir: string,
    entryName: string,
    proceed: () => Promise<boolean>,
    fn: () => Promise<T>,
    skipped: T,
  ): Promise<T> {
    const lockPath = join(dir, LOCK_PREFIX + entryName.slice(0, -ENTRY_SUFFIX.length));
    return withLocalLock(lockPath, async (waited) => {
      if (waited && !(await proceed())) return skipped;
      const nonce = randomBytes(12).toString('hex');
      await this.#acquire(lockPath, dir, nonce);
      try {
        return await fn();
      } finally {
        const holder = parseLock(await readText(lockPath).catch(() => undefined));
        if (holder?.nonce === nonce) await unlink(lockPath).catch(ignore);
      }
    });
  }

  async #acquire(lockPath: string, dir: string, nonce: string): Promise<void> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    let delay = 1;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', this.#fileMode);
        try {
          await handle.writeFile(
            JSON.stringify({ pid: process.pid, host: lockOwner(), nonce, at: Date.now() }),
          );
        } finally {
          await handle.close();
        }
        return;
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      await this.#breakIfStale(lockPath, dir);
      if (Date.now() > deadline) {
        throw new StoreTimeoutError(
          `FileStore waited more than ${this.#lockTimeoutMs} ms for a key lock in ${JSON.stringify(this.#root)}`,
        );
      }
      await sleep(delay * (1 + Math.random()));
      delay = Math.min(delay * 2, 25);
    }
  }

  /**
   * Breaks a lock whose holder crashed: one held by a dead process on this host, or older than
   * `staleLockMs`. Breakers of one lock are serialized by a hard link named after the lock's
   * nonce, so a lock is broken at most once and a newer lock is never broken in its place.
   */
  async #breakIfStale(lockPath: string, dir: string): Promise<void> {
    const info = await stat(lockPath).catch(() => undefined);
    const text = await readText(lockPath).catch(() => undefined);
    if (info === undefined || text === undefined) return;
    const holder = parseLock(text);
    const deadHolder =
      holder !== undefined &&
      holder.host === lockOwner() &&
      holder.pid !== process.pid &&
      !processAlive(holder.pid);
    if (!deadHolder && Date.now() - info.mtimeMs <= this.#staleLockMs) return;
    const identity = holder?.nonce ?? `${info.ino}-${Math.trunc(info.mtimeMs)}`;
    const marker = join(dir, BREAK_PREFIX + identity);
    try {
      await link(lockPath, marker);
    } catch {
      return; // another breaker is at it, or the lock is gone
    }
    try {
      const same =
        holder !== undefined
          ? parseLock(await readText(marker))?.nonce === holder.nonce
          : await stat(marker).then(
              (m) => m.ino === info.ino && Math.trunc(m.mtimeMs) === Math.trunc(info.mtimeMs),
            );
      if (same) await unlink(lockPath).catch(ignore);
    } finally {
      await unlink(marker).catch(ignore);
    }
  }

  /** Rethrows `err` as a typed error that names the directory, never a key or a value. */
  #fail(err: unknown, action: string): never {
    if (err instanceof OAuthKVError) throw err;
    const code = errorCode(err);
    const where = JSON.stringify(this.#root);
    if (code !== undefined && SETUP_CODES.has(code)) {
      throw new StoreSetupError(
        `FileStore could not ${action} in ${where} (${code}): the directory must be writable by this process`,
      );
    }
    throw new StoreConnectionError(`FileStore could not ${action} in ${where} (${code ?? 'unknown error'})`);
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

function entryFileName(key: string): string {
  return encodeFileName(key) + ENTRY_SUFFIX;
}

function isEntryFileName(name: string): boolean {
  return !name.startsWith('.') && name.endsWith(ENTRY_SUFFIX);
}

/** A unique name for a temp, claim or trash file that carries its creation time. */
function leftoverName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/** Age in ms of a file named by {@link leftoverName}; unreadable names count as old. */
function leftoverAge(name: string): number {
  const rest = name.slice(name.indexOf('-') + 1);
  const created = Number.parseInt(rest.slice(0, rest.indexOf('-')), 36);
  return Number.isFinite(created) ? Date.now() - created : Number.POSITIVE_INFINITY;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    if (errorCode(err) === 'EISDIR') throw new DeserializationError('An entry file is a directory');
    throw err;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

function parseLock(text: string | undefined): { pid: number; host: string; nonce: string } | undefined {
  const doc = text === undefined ? undefined : parseJsonObject(text);
  if (doc === undefined) return undefined;
  const { pid, host, nonce } = doc;
  if (typeof pid !== 'number' || typeof host !== 'string' || typeof nonce !== 'string') return undefined;
  if (!/^[0-9a-f]{1,64}$/.test(nonce)) return undefined;
  return { pid, host, nonce };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) !== 'ESRCH';
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ignore(): void {}

/** Per-lock-path FIFO queues of this process, shared by every FileStore instance. */
const localQueues = new Map<string, Promise<void>>();

async function withLocalLock<T>(id: string, fn: (waited: boolean) => Promise<T>): Promise<T> {
  const queued = localQueues.get(id);
  const previous = queued ?? Promise.resolve();
  let release: () => void = ignore;
  const mine = new Promise<void>((done) => {
    release = done;
  });
  const tail = previous.then(() => mine);
  localQueues.set(id, tail);
  await previous;
  try {
    return await fn(queued !== undefined);
  } finally {
    release();
    if (localQueues.get(id) === tail) localQueues.delete(id);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function checkMode(mode: number, name: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new StoreSetupError(`FileStore ${name} must be permission bits such as 0o600, got ${String(mode)}`);
  }
  return mode;
}

function checkMs(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new StoreSetupError(`FileStore ${name} must be a positive number of ms, got ${String(ms)}`);
  }
  return ms;
}
