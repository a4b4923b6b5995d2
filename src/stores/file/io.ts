/**
 * The file operations of {@link FileStore}: reading without following symbolic links, atomic
 * temp-file writes, directory flushes, claims by rename, and the error policy for what the file
 * system reports.
 * @module
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeserializationError,
  OAuthKVError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
} from '../../errors.js';
import { CLAIM_PREFIX, leftoverName, TEMP_PREFIX } from './names.js';

/** `O_NOFOLLOW` / `O_DIRECTORY` where the platform has them (0 elsewhere). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
/** Opens a file for reading, never through a symbolic link, never blocking on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);
/** Opens a directory itself, never a symbolic link to one. */
export const DIRECTORY_FLAGS = constants.O_RDONLY | DIRECTORY | NOFOLLOW;

/** The directory is unusable as configured: permissions, a file or link in the way, a bad path. */
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
/** Transient: a limit of this process or a busy resource that passes. */
const TRANSIENT_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR']);

/**
 * Rethrows a file-system failure under the error policy (see docs/file.md), naming the store's
 * directory, never a key, a path below it or a value. `ENOSPC`, `EDQUOT`, `EIO` and unknown
 * failures are a permanent {@link StoreOperationError}.
 */
export function fileError(err: unknown, action: string, root: string): OAuthKVError {
  if (err instanceof OAuthKVError) return err;
  const code = errorCode(err);
  const where = JSON.stringify(root);
  if (code !== undefined && SETUP_CODES.has(code)) {
    return new StoreSetupError(
      `FileStore could not ${action} in ${where} (${code}): the directory must be writable by this process`,
    );
  }
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new StoreConnectionError(
      `FileStore could not ${action} in ${where} (${code}); the operation may be retried`,
    );
  }
  return new StoreOperationError(`FileStore could not ${action} in ${where} (${code ?? 'unknown error'})`);
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function ignore(): void {}

/**
 * Reads a file as UTF-8; `undefined` when it does not exist. A symbolic link or a directory in its
 * place is a {@link DeserializationError}: a link is never followed (`O_NOFOLLOW`), and a FIFO
 * never blocks the read (`O_NONBLOCK`).
 */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, { encoding: 'utf8', flag: READ_FLAGS });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return undefined;
    // Linux and macOS report a symbolic link opened with O_NOFOLLOW as ELOOP, FreeBSD as EMLINK.
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new DeserializationError('An entry file is a symbolic link; it is never followed');
    }
    if (code === 'EISDIR') throw new DeserializationError('An entry file is a directory');
    throw err;
  }
}

/** The names in a directory; `[]` when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

/** Writes files with the store's mode, flushing them (and directories) when `fsync` is on. */
export class Disk {
  constructor(
    readonly fsync: boolean,
    readonly fileMode: number,
  ) {}

  /** Writes `content` to a new temp file in `dir` (mode applied, flushed) and returns its path. */
  async writeTemp(dir: string, content: string, flush = this.fsync): Promise<string> {
    const path = join(dir, leftoverName(TEMP_PREFIX));
    // O_CREAT | O_EXCL: never opens an existing file or follows a link planted under the name.
    const handle = await open(path, 'wx', this.fileMode);
    try {
      await handle.chmod(this.fileMode);
      await handle.writeFile(content, 'utf8');
      if (flush) await handle.sync();
    } catch (err) {
      await handle.close().catch(ignore);
      await unlink(path).catch(ignore);
      throw err;
    }
    await handle.close();
    return path;
  }

  /** Flushes a directory's entries to disk (with `fsync` on). */
  async syncDir(dir: string): Promise<void> {
    if (!this.fsync) return;
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, DIRECTORY_FLAGS);
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
   * A claimed file that is not a readable regular file is deleted and its error thrown.
   */
  async takeFile(dir: string, name: string): Promise<string | undefined> {
    const claim = join(dir, leftoverName(CLAIM_PREFIX));
    try {
      await rename(join(dir, name), claim);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return (await readText(claim)) ?? '';
    } finally {
      await unlink(claim).catch(ignore);
      await this.syncDir(dir);
    }
  }
}
