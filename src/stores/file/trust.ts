/**
 * What {@link FileStore} trusts: only directories it owns that no one else can write, as OpenSSH
 * treats `~/.ssh`. Another local user who could create or write the store's directory could plant
 * an entry (a forged authorization code that issues tokens); such a directory is refused with a
 * `StoreSetupError`, and no symbolic link inside the store is ever followed.
 * @module
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { StoreSetupError } from '../../errors.js';
import { DIRECTORY_FLAGS, errorCode, ignore } from './io.js';

/** Group- and other-write bits. */
const SHARED_WRITE = 0o022;

/**
 * Checks directories against the process's user: each must be owned by it and must not be
 * writable by group or others beyond what the configured `directoryMode` grants.
 */
export class Trust {
  readonly #uid: number | undefined;
  readonly #allowedWrite: number;
  readonly #root: string;

  /**
   * @param root the configured path, for messages
   * @param directoryMode the mode the store gives its directories: write bits it grants group or
   *   others (`0o770`) are accepted, since the user asked for them
   */
  constructor(root: string, directoryMode: number) {
    // No user ids on Windows: ownership cannot be checked there.
    this.#uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    this.#allowedWrite = directoryMode & SHARED_WRITE;
    this.#root = root;
  }

  /**
   * Creates the store's directory when missing (parents too, each with `directoryMode` whatever
   * the umask), then returns its real path once it passed the checks. The configured path may be
   * a symbolic link the user set up (owned by the user or root); the directory it leads to is
   * checked, and used from then on.
   */
  async openRoot(path: string, directoryMode: number): Promise<string> {
    const created = await mkdir(path, { recursive: true, mode: directoryMode });
    if (created !== undefined) {
      let dir = created;
      await chmodDirectory(dir, directoryMode);
      for (const part of relative(created, path).split(sep).filter(Boolean)) {
        dir = join(dir, part);
        await chmodDirectory(dir, directoryMode);
      }
    }
    const link = await lstat(path);
    if (link.isSymbolicLink() && this.#uid !== undefined && link.uid !== this.#uid && link.uid !== 0) {
      throw this.#refuse('is a symbolic link owned by another user');
    }
    const real = link.isSymbolicLink() ? await realpath(path) : path;
    await this.checkDirectory(real, 'The store directory');
    return real;
  }

  /**
   * Checks one directory without following a symbolic link: `false` when it does not exist,
   * `true` when it passes; a {@link StoreSetupError} otherwise.
   */
  async checkDirectory(path: string, what = 'A collection directory'): Promise<boolean> {
    let info: Stats;
    try {
      const handle = await open(path, DIRECTORY_FLAGS);
      try {
        info = await handle.stat();
      } finally {
        await handle.close().catch(ignore);
      }
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT') return false;
      if (code === 'ELOOP' || code === 'EMLINK' || code === 'ENOTDIR') {
        // Linux answers O_DIRECTORY | O_NOFOLLOW on a link with ENOTDIR: tell the two apart.
        const link = await lstat(path).then(
          (s) => s.isSymbolicLink(),
          () => false,
        );
        throw this.#refuse(`${what} is ${link ? 'a symbolic link' : 'not a directory'}`);
      }
      throw err;
    }
    if (this.#uid === undefined) return true;
    if (info.uid !== this.#uid) throw this.#refuse(`${what} is owned by another user (uid ${info.uid})`);
    if ((info.mode & SHARED_WRITE & ~this.#allowedWrite) !== 0) {
      throw this.#refuse(
        `${what} is writable by ${info.mode & 0o002 ? 'others' : 'its group'} (mode ${(info.mode & 0o7777).toString(8)})`,
      );
    }
    return true;
  }

  #refuse(problem: string): StoreSetupError {
    const subject = problem.startsWith('is ') ? `The store directory ${problem}` : problem;
    return new StoreSetupError(
      `FileStore refuses ${JSON.stringify(this.#root)}: ${subject}. Another user could plant entries there; ` +
        'the store directory and its collection directories must be owned by this user and writable by no one else ' +
        '(on a shared volume, point the store at a subdirectory it creates itself)',
    );
  }
}

/** Sets a directory's mode through a handle on the directory itself, never through a link. */
export async function chmodDirectory(path: string, mode: number): Promise<void> {
  const handle = await open(path, DIRECTORY_FLAGS);
  try {
    await handle.chmod(mode);
  } finally {
    await handle.close().catch(ignore);
  }
}
