/**
 * The sorted listing of a collection directory that {@link FileStore} pages through, kept in the
 * process and reused while the directory is unchanged, so that a `keys()` page or a `cullPage()`
 * step costs one `stat` and a binary search instead of listing and sorting the whole directory.
 * @module
 */
import { stat } from 'node:fs/promises';
import { errorCode, listDir } from './io.js';
import { ENTRY_SUFFIX, isEntryFileName } from './names.js';

/** One directory as listed: its entry names (without `.json`) sorted, and every other name. */
export interface Listing {
  /** Encoded keys of the entry files, sorted by UTF-16 code units. */
  readonly entries: readonly string[];
  /** Names that are not entry files (temp, claim, lock files). */
  readonly others: readonly string[];
}

interface Cached extends Listing {
  ino: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * A listing is reused only when the directory was last changed more than this long before it was
 * listed: any change after that moves the directory's mtime to a later value, even on file systems
 * with coarse (up to 2 s) timestamps. A directory changed more recently is listed again each time.
 */
export const SETTLED_MS = 2_000;
/** Directories whose listings are kept (the most recently used). */
const KEPT = 16;

const EMPTY: Listing = { entries: [], others: [] };

/**
 * Listings of directories, checked against each directory's inode, mtime and ctime before reuse.
 * Every add, remove or rename of a file in a directory, by this process or another on the same
 * host, updates the directory's mtime and ctime, so a reused listing is what `readdir` would say.
 */
export class Listings {
  readonly #kept = new Map<string, Cached>();

  /** The listing of `dir` (empty when it does not exist). */
  async of(dir: string): Promise<Listing> {
    const started = Date.now();
    let info: Awaited<ReturnType<typeof statBig>>;
    try {
      info = await statBig(dir);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        this.#kept.delete(dir);
        return EMPTY;
      }
      throw err;
    }
    const kept = this.#kept.get(dir);
    if (
      kept !== undefined &&
      kept.ino === info.ino &&
      kept.mtimeNs === info.mtimeNs &&
      kept.ctimeNs === info.ctimeNs
    ) {
      this.#kept.delete(dir); // most recently used goes last
      this.#kept.set(dir, kept);
      return kept;
    }
    const entries: string[] = [];
    const others: string[] = [];
    for (const name of await listDir(dir)) {
      if (isEntryFileName(name)) entries.push(name.slice(0, -ENTRY_SUFFIX.length));
      else others.push(name);
    }
    entries.sort();
    const listing: Cached = { entries, others, ino: info.ino, mtimeNs: info.mtimeNs, ctimeNs: info.ctimeNs };
    this.#kept.delete(dir);
    // Changed within the last SETTLED_MS: a change right after the listing could keep the same mtime.
    if (Number(info.mtimeNs / 1_000_000n) < started - SETTLED_MS) {
      this.#kept.set(dir, listing);
      if (this.#kept.size > KEPT) this.#kept.delete(this.#kept.keys().next().value as string);
    }
    return listing;
  }

  /** Forgets everything (the store closed). */
  clear(): void {
    this.#kept.clear();
  }
}

function statBig(dir: string) {
  return stat(dir, { bigint: true });
}

/** The position of the first name in sorted `names` above `after` (0 without one). */
export function firstAbove(names: readonly string[], after: string | undefined): number {
  if (after === undefined) return 0;
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((names[mid] as string) > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
