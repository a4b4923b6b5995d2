/**
 * What {@link FileStore} does across a collection directory: removing an expired entry under its
 * key lock (claim and re-check), finding a live entry, and `cull()`.
 * @module
 */
import { link, lstat, rename, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../../backend/kit.js';
import { isExpired } from '../../entry.js';
import { DeserializationError } from '../../errors.js';
import { inspectEntry, parseEntry } from './document.js';
import { type Disk, errorCode, ignore, listDir, readText } from './io.js';
import type { KeyLocks } from './lock.js';
import {
  BREAK_PREFIX,
  CLAIM_PREFIX,
  decodeFileName,
  ENTRY_SUFFIX,
  encodeFileName,
  isEntryFileName,
  LOCK_PREFIX,
  leftoverAge,
  leftoverName,
  TEMP_PREFIX,
} from './names.js';

/** Temp, claim and trash files older than this are left over by a crash; `cull()` removes them. */
export const STALE_LEFTOVER_MS = 60_000;
/** Parallel file operations of one bulk call or scan. */
export const PARALLEL = 16;

/**
 * Removes `dir/name` if it is expired at `now()`; call with the key's lock held. The entry is
 * claimed by rename and checked again; a live entry a concurrent `put` wrote in between is put back.
 */
export async function removeIfExpired(
  dir: string,
  name: string,
  collection: string,
  key: string,
  now: () => number,
): Promise<boolean> {
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
    expired = isExpired(parseEntry((await readText(claim)) ?? '', collection, key), now());
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

/** The collection name of `dir` when it holds a live entry; `undefined` otherwise. */
export async function firstLive(
  dir: string,
  encodedCollection: string,
  now: () => number,
): Promise<string | undefined> {
  const decoded = decodeFileName(encodedCollection) ?? undefined;
  const names = (await listDir(dir))
    .filter((n) => isEntryFileName(n))
    .map((n) => n.slice(0, -ENTRY_SUFFIX.length));
  for (let i = 0; i < names.length; i += PARALLEL) {
    const at = now();
    const found = await Promise.all(
      names.slice(i, i + PARALLEL).map((n) => inspectEntry(dir, n, decoded, at)),
    );
    for (const item of found) {
      if (item?.live && encodeFileName(item.collection) === encodedCollection) return item.collection;
    }
  }
  return undefined;
}

/** What culling needs from the store. */
export interface CullContext {
  locks: KeyLocks;
  disk: Disk;
  now: () => number;
}

/**
 * Culls one collection directory: expired entries (under their key locks), leftovers of crashed
 * writers older than a minute, abandoned locks; removes the directory once empty. How many
 * expired entries it deleted.
 */
export async function cullDirectory(
  dir: string,
  encodedCollection: string,
  context: CullContext,
): Promise<number> {
  let removed = 0;
  await mapLimit(await listDir(dir), PARALLEL, async (name) => {
    if (isEntryFileName(name)) {
      if (await cullEntry(dir, name.slice(0, -ENTRY_SUFFIX.length), encodedCollection, context)) removed++;
    } else await cullLeftover(dir, name, context.locks);
  });
  await finishDirectory(dir, removed, context.disk);
  return removed;
}

/** Removes the entry `dir/<encodedKey>.json` when it has expired (under its key lock); whether it did. */
export async function cullEntry(
  dir: string,
  encodedKey: string,
  encodedCollection: string,
  context: CullContext,
): Promise<boolean> {
  const { locks, now } = context;
  const decoded = decodeFileName(encodedCollection) ?? undefined;
  const item = await inspectEntry(dir, encodedKey, decoded, now());
  if (item === undefined || item.live || encodeFileName(item.collection) !== encodedCollection) return false;
  const name = encodedKey + ENTRY_SUFFIX;
  return locks
    .withKeyLock(
      dir,
      name,
      async () => true,
      () => removeIfExpired(dir, name, item.collection, item.key, now),
      false,
    )
    .catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return false; // the collection was destroyed meanwhile
      throw err;
    });
}

/** Removes `dir/name` when it is a temp, claim or break file left over by a crash, or a stale lock. */
export async function cullLeftover(dir: string, name: string, locks: KeyLocks): Promise<void> {
  const path = join(dir, name);
  if (name.startsWith(TEMP_PREFIX) || name.startsWith(CLAIM_PREFIX)) {
    if (leftoverAge(name) > STALE_LEFTOVER_MS) await unlink(path).catch(ignore);
  } else if (name.startsWith(BREAK_PREFIX)) {
    const info = await lstat(path).catch(() => undefined);
    if (info !== undefined && Date.now() - info.ctimeMs > STALE_LEFTOVER_MS) await unlink(path).catch(ignore);
  } else if (name.startsWith(LOCK_PREFIX)) {
    await locks.breakIfStale(path, dir);
  }
}

/** After culling `dir`: flushes the removals and removes the directory if it is empty. */
export async function finishDirectory(dir: string, removed: number, disk: Disk): Promise<void> {
  if (removed > 0) await disk.syncDir(dir);
  await rmdir(dir).catch(ignore); // only succeeds when empty; writers recreate it as needed
}
