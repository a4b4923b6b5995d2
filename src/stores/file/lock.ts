/**
 * The per-key locks of {@link FileStore} (`putIfAbsent` and `cull`): a queue per key inside the
 * process, and a lock file that serializes processes. A lock file is a hard link to a temp file
 * already holding its holder's identity, so it is never seen empty; a lock whose holder died is
 * broken at once.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { link, lstat, readFile, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../backend/kit.js';
import { StoreTimeoutError } from '../../errors.js';
import { parseJsonObject } from '../../validation.js';
import { type Disk, errorCode, ignore, readText } from './io.js';
import { BREAK_PREFIX, ENTRY_SUFFIX, LOCK_PREFIX } from './names.js';

/** What a lock file holds. */
interface Holder {
  pid: number;
  /** Host name and, on Linux, PID namespace (containers can share a host name). */
  host: string;
  /** When the holder process started (Linux: clock ticks after boot), to tell a reused pid. */
  start: string | undefined;
  nonce: string;
}

/** Lock settings. */
export interface LockOptions {
  disk: Disk;
  /** How long to wait for a lock another process holds. */
  timeoutMs: number;
  /** A lock older than this is abandoned, whoever holds it. */
  staleMs: number;
  /** The store's directory, for messages. */
  root: string;
}

/** Per-lock-path FIFO queues of this process, shared by every FileStore instance. */
const localQueues = new Map<string, Promise<void>>();

export class KeyLocks {
  readonly #options: LockOptions;

  constructor(options: LockOptions) {
    this.#options = options;
  }

  /**
   * Runs `fn` holding the lock of one key: first this process's queue for the key (no polling
   * between callers of one process), then the lock file that serializes processes. A caller that
   * had to queue first asks `proceed()` and returns `skipped` when it says no.
   */
  async withKeyLock<T>(
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
        const holder = parseHolder(await readText(lockPath).catch(() => undefined));
        if (holder?.nonce === nonce) await unlink(lockPath).catch(ignore);
      }
    });
  }

  /**
   * Breaks a lock whose holder crashed: one that names no holder (empty or unreadable: never
   * written by this version, whose locks are complete from their first instant), one held by a
   * process of this host that no longer runs, or one older than `staleMs`. Breakers of one lock
   * are serialized by a hard link named after the lock's nonce, so a lock is broken at most once
   * and a newer lock is never broken in its place.
   */
  async breakIfStale(lockPath: string, dir: string): Promise<void> {
    const info = await lstat(lockPath).catch(() => undefined);
    if (info === undefined) return;
    const text = await readText(lockPath).catch((err: unknown) => (errorCode(err) ? undefined : ''));
    if (text === undefined) return; // gone meanwhile
    const holder = parseHolder(text);
    const abandoned =
      holder === undefined ||
      (await deadOnThisHost(holder)) ||
      Date.now() - info.mtimeMs > this.#options.staleMs;
    if (!abandoned) return;
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
          ? parseHolder(await readText(marker).catch(() => undefined))?.nonce === holder.nonce
          : await lstat(marker).then(
              (m) => m.ino === info.ino && Math.trunc(m.mtimeMs) === Math.trunc(info.mtimeMs),
            );
      if (same) await unlink(lockPath).catch(ignore);
    } finally {
      await unlink(marker).catch(ignore);
    }
  }

  /**
   * Takes the lock file: the holder's identity is written to a temp file first, which is then
   * hard-linked to the lock name (`link` fails when the lock exists). The lock is complete from
   * the instant it exists: a crash at any point leaves either no lock or one naming a holder that
   * is then dead. No flush is needed: a lock emptied by a power loss names no holder and is
   * broken at once.
   */
  async #acquire(lockPath: string, dir: string, nonce: string): Promise<void> {
    const { disk, timeoutMs, root } = this.#options;
    const holder: Holder = { pid: process.pid, host: lockHost(), start: await processStart('self'), nonce };
    const temp = await disk.writeTemp(dir, JSON.stringify(holder), false);
    try {
      const deadline = Date.now() + timeoutMs;
      let delay = 1;
      for (let attempt = 0; ; attempt++) {
        // The lock's age is its file's: a lock taken after a wait is as new as the moment it is taken.
        if (attempt > 0) await utimes(temp, new Date(), new Date());
        try {
          await link(temp, lockPath);
          return;
        } catch (err) {
          if (errorCode(err) !== 'EEXIST') throw err;
        }
        await this.breakIfStale(lockPath, dir);
        if (Date.now() > deadline) {
          throw new StoreTimeoutError(
            `FileStore waited more than ${timeoutMs} ms for a key lock in ${JSON.stringify(root)}`,
          );
        }
        await sleep(delay * (1 + Math.random()));
        delay = Math.min(delay * 2, 25);
      }
    } finally {
      await unlink(temp).catch(ignore);
    }
  }
}

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

function parseHolder(text: string | undefined): Holder | undefined {
  const doc = text === undefined ? undefined : parseJsonObject(text);
  if (doc === undefined) return undefined;
  const { pid, host, start, nonce } = doc;
  if (typeof pid !== 'number' || typeof host !== 'string' || typeof nonce !== 'string') return undefined;
  if (!/^[0-9a-f]{1,64}$/.test(nonce)) return undefined;
  return { pid, host, start: typeof start === 'string' ? start : undefined, nonce };
}

/** `true` when the holder ran on this host (and PID namespace) and that process is gone. */
async function deadOnThisHost(holder: Holder): Promise<boolean> {
  if (holder.host !== lockHost()) return false; // another host or container: unknown
  if (holder.pid === process.pid) {
    // This process, or an earlier one that had the same pid (a restarted container's pid 1).
    const own = await processStart('self');
    return own !== undefined && holder.start !== undefined && holder.start !== own;
  }
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if (errorCode(err) === 'ESRCH') return true;
  }
  // Running (or not ours to signal): dead all the same if that pid now belongs to a later process.
  const start = await processStart(holder.pid);
  return start !== undefined && holder.start !== undefined && start !== holder.start;
}

/** Who holds a lock: host name plus, on Linux, the PID namespace. */
let holderHost: string | undefined;
function lockHost(): string {
  if (holderHost === undefined) {
    let namespace = '';
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      // not Linux: the host name alone
    }
    holderHost = `${hostname()}${namespace ? ` ${namespace}` : ''}`;
  }
  return holderHost;
}

/** When a process started (field 22 of `/proc/<pid>/stat`), or `undefined` where unknown. */
let ownStart: Promise<string | undefined> | undefined;
function processStart(pid: number | 'self'): Promise<string | undefined> {
  if (pid !== 'self') return readStart(pid);
  ownStart ??= readStart('self');
  return ownStart;
}

async function readStart(pid: number | 'self'): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
