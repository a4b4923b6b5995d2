/**
 * The directory of {@link FileStore}: set up on first use, checked (see `trust.ts`), and the
 * collection directories in it, each checked before the store reads or writes in it.
 * @module
 */
import type { Dirent } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreConnectionError, StoreSetupError } from '../../errors.js';
import { type Disk, errorCode, fileError } from './io.js';
import { decodeFileName, encodeFileName } from './names.js';
import { chmodDirectory, Trust } from './trust.js';

/** Failures of the disk, not of the setup. */
const PERMANENT = new Set(['ENOSPC', 'EDQUOT', 'EIO']);
/** Attempts of an operation whose collection directory vanished under it (destroyCollection, cull). */
const DIRECTORY_ATTEMPTS = 8;

export class StoreDirectory {
  /** The configured directory, absolute. */
  readonly root: string;
  readonly #dirMode: number;
  readonly #disk: Disk;
  readonly #trust: Trust;
  /** The directory the store works in: `root` once it passed the checks (its target, for a link). */
  #base: string;
  /** Collection directories that passed the checks. */
  readonly #trusted = new Set<string>();
  #ready: Promise<void> | undefined;

  constructor(root: string, dirMode: number, disk: Disk) {
    this.root = root;
    this.#base = root;
    this.#dirMode = dirMode;
    this.#disk = disk;
    this.#trust = new Trust(root, dirMode);
  }

  /** The checked directory, after {@link init}. */
  get base(): string {
    return this.#base;
  }

  /** Creates and checks the store's directory on first use (and after it was removed). */
  init(): Promise<void> {
    this.#ready ??= this.#setup().catch((err: unknown) => {
      this.#ready = undefined; // a later call tries again (the directory may have been fixed)
      throw err;
    });
    return this.#ready;
  }

  /** The directory of a collection, once it passed the checks (when it exists). */
  async dir(collection: string): Promise<string> {
    await this.init();
    const dir = join(this.#base, encodeFileName(collection));
    await this.#check(dir);
    return dir;
  }

  /** Forgets that a directory was checked (it was moved away). */
  forget(dir: string): void {
    this.#trusted.delete(dir);
  }

  /**
   * The encoded names of the collection directories, each checked. Files that merely have such a
   * name are not the store's and are skipped; a link or a directory that fails the checks is
   * refused.
   */
  async collectionDirs(): Promise<string[]> {
    await this.init();
    let entries: Dirent[];
    try {
      entries = await readdir(this.#base, { withFileTypes: true });
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return [];
      throw err;
    }
    const out: string[] = [];
    for (const entry of entries) {
      if (entry.isFile() || decodeFileName(entry.name) === undefined) continue;
      const dir = join(this.#base, entry.name);
      await this.#check(dir);
      if (this.#trusted.has(dir)) out.push(entry.name);
    }
    return out;
  }

  /** Runs `fn`, creating the collection directory and retrying when it is missing or vanished. */
  async inDirectory<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (errorCode(err) !== 'ENOENT' || attempt >= DIRECTORY_ATTEMPTS) throw err;
      }
      this.#trusted.delete(dir);
      try {
        await mkdir(dir, { mode: this.#dirMode });
        await chmodDirectory(dir, this.#dirMode);
        await this.#disk.syncDir(this.#base);
      } catch (err) {
        if (errorCode(err) === 'ENOENT') {
          this.#ready = undefined; // the store's directory itself was removed: set it up again
          await this.init();
          continue;
        }
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      // Created here or by a concurrent writer: checked before anything is written in it.
      await this.#check(dir);
    }
  }

  async #check(dir: string): Promise<void> {
    if (!this.#trusted.has(dir) && (await this.#trust.checkDirectory(dir))) this.#trusted.add(dir);
  }

  async #setup(): Promise<void> {
    this.#trusted.clear();
    try {
      this.#base = await this.#trust.openRoot(this.root, this.#dirMode);
      const probe = await this.#disk.writeTemp(this.#base, '', false);
      await unlink(probe);
    } catch (err) {
      if (err instanceof StoreSetupError) throw err;
      // A transient limit (EMFILE) or a full disk keeps its class; anything else is setup.
      const mapped = fileError(err, 'set up its directory', this.root);
      if (mapped instanceof StoreConnectionError || PERMANENT.has(errorCode(err) ?? '')) throw mapped;
      throw new StoreSetupError(
        `FileStore cannot use the directory ${JSON.stringify(this.root)} (${errorCode(err) ?? 'error'}): ` +
          'it must be a directory this process can create files in',
      );
    }
  }
}
