/**
 * FileStore paging at scale: the sorted listing of a collection directory is reused only while the
 * directory is unchanged (by this process or another), and `cullPage()` culls a step at a time.
 */
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StoreClosedError, ValidationError } from '../src/errors.js';
import { FileStore, type FileStoreOptions } from '../src/stores/file/index.js';
import { Listings, SETTLED_MS } from '../src/stores/file/listing.js';

let dir: string;
const stores: FileStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-paging-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});
const make = (options: Partial<FileStoreOptions> = {}) => {
  const s = new FileStore({ directory: join(dir, 'store'), fsync: false, ...options });
  stores.push(s);
  return s;
};
/** Sets a directory's mtime far enough in the past that its listing may be reused. */
const settle = (path: string) => {
  const past = new Date(Date.now() - 10 * SETTLED_MS);
  return utimes(path, past, past);
};
const pad = (i: number) => `k${String(i).padStart(4, '0')}`;

describe('FileStore directory listings', () => {
  test('a settled directory listing is reused until a file is added, removed or renamed in it', async () => {
    const sub = join(dir, 'sub');
    const s = make({ directory: sub });
    await s.putMany(
      [
        ['b', { n: 1 }],
        ['a', { n: 2 }],
      ],
      { collection: 'c' },
    );
    const cdir = join(sub, 'c');
    const listings = new Listings();
    // Just changed: listed again each time, since a change in the same clock tick would not show.
    const fresh = await listings.of(cdir);
    expect(fresh.entries).toEqual(['a', 'b']);
    expect(await listings.of(cdir)).not.toBe(fresh);
    await settle(cdir);
    const settled = await listings.of(cdir);
    expect(await listings.of(cdir)).toBe(settled);
    // Another writer (here another instance, as another process would) adds a file.
    await make({ directory: sub }).put('c', { n: 3 }, { collection: 'c' });
    const after = await listings.of(cdir);
    expect(after).not.toBe(settled);
    expect(after.entries).toEqual(['a', 'b', 'c']);
    await settle(cdir);
    const again = await listings.of(cdir);
    await s.delete('a', { collection: 'c' });
    expect((await listings.of(cdir)).entries).toEqual(['b', 'c']);
    expect(again.entries).toEqual(['a', 'b', 'c']);
    // A leftover is listed apart from the entries.
    await writeFile(join(cdir, '.tmp-0-x'), '');
    expect((await listings.of(cdir)).others).toEqual(['.tmp-0-x']);
    // A directory that is gone lists as empty.
    await rm(cdir, { recursive: true });
    expect(await listings.of(cdir)).toEqual({ entries: [], others: [] });
  });

  test('keys() paging over a settled listing sees keys another instance adds and deletes between pages', async () => {
    const a = make();
    const b = make();
    await a.putMany(
      Array.from({ length: 300 }, (_, i) => [pad(i), { i }] as const),
      { collection: 'c' },
    );
    await settle(join(dir, 'store', 'c'));
    const first = await a.keys('c', { limit: 100 });
    expect(first.keys).toEqual(Array.from({ length: 100 }, (_, i) => pad(i)));
    await b.put('k9999', { i: 9999 }, { collection: 'c' });
    await b.delete(pad(150), { collection: 'c' });
    const rest: string[] = [];
    let cursor = first.cursor;
    while (cursor !== undefined) {
      const page = await a.keys('c', { limit: 100, cursor });
      rest.push(...page.keys);
      cursor = page.cursor;
    }
    expect(rest).toEqual([
      ...Array.from({ length: 200 }, (_, i) => pad(i + 100)).filter((k) => k !== pad(150)),
      'k9999',
    ]);
  });
});

describe('FileStore cullPage()', () => {
  test('culls every collection a step at a time, each step looking at no more than limit entries', async () => {
    let now = 1_700_000_000_000;
    const s = make({ clock: () => now });
    for (const c of ['x', 'y', 'z']) {
      await s.putMany(
        Array.from({ length: 20 }, (_, i) => [`e${i}`, { i }] as const),
        { collection: c, ttl: 10 },
      );
      await s.putMany(
        Array.from({ length: 5 }, (_, i) => [`l${i}`, { i }] as const),
        { collection: c },
      );
    }
    await s.put('gone', { i: 0 }, { collection: 'only-expired', ttl: 10 });
    const old = (Date.now() - 120_000).toString(36);
    await writeFile(join(dir, 'store', 'y', `.tmp-${old}-dead`), '{');
    now += 60_000;
    let cursor: string | undefined;
    let removed = 0;
    const cursors: string[] = [];
    do {
      const step = await s.cullPage({ limit: 7, cursor });
      expect(step.removed).toBeLessThanOrEqual(7);
      removed += step.removed;
      cursor = step.cursor;
      if (cursor !== undefined) cursors.push(cursor);
    } while (cursor !== undefined);
    expect(removed).toBe(61);
    // 76 entries in steps of 7 (a step also ends where a directory ends).
    expect(cursors.length).toBeGreaterThanOrEqual(10);
    expect(new Set(cursors).size).toBe(cursors.length);
    for (const c of ['x', 'y', 'z']) {
      expect((await s.keys(c)).keys).toEqual(['l0', 'l1', 'l2', 'l3', 'l4']);
    }
    expect(await readdir(join(dir, 'store', 'y'))).not.toContain(`.tmp-${old}-dead`);
    // The directory left empty is removed, as cull() does.
    expect((await readdir(join(dir, 'store'))).sort()).toEqual(['x', 'y', 'z']);
    expect(await s.cullPage()).toEqual({ removed: 0, cursor: undefined });
  });

  test('a pass goes on when another instance deletes entries between its steps', async () => {
    let now = 1_700_000_000_000;
    const s = make({ clock: () => now });
    const other = make({ clock: () => now });
    await s.putMany(
      Array.from({ length: 20 }, (_, i) => [pad(i), { i }] as const),
      { collection: 'c', ttl: 10 },
    );
    now += 60_000;
    const first = await s.cullPage({ limit: 5 });
    expect(first).toEqual({ removed: 5, cursor: `c/${pad(4)}` });
    // Expired entries are invisible, so delete() answers false, but it removes the files.
    await other.deleteMany([pad(5), pad(6), pad(19)], { collection: 'c' });
    let removed = first.removed;
    let cursor = first.cursor;
    while (cursor !== undefined) {
      const step = await s.cullPage({ limit: 5, cursor });
      removed += step.removed;
      cursor = step.cursor;
    }
    expect(removed).toBe(17);
    expect(await readdir(join(dir, 'store'))).toEqual([]);
  });

  test('a step stopped at the end of a directory resumes with the next one', async () => {
    let now = 1_700_000_000_000;
    const s = make({ clock: () => now });
    await s.putMany([['a', { i: 1 }]], { collection: 'p', ttl: 10 });
    await s.putMany([['b', { i: 2 }]], { collection: 'q', ttl: 10 });
    now += 60_000;
    const first = await s.cullPage({ limit: 1 });
    expect(first).toEqual({ removed: 1, cursor: 'q/' });
    expect(await s.cullPage({ limit: 1, cursor: first.cursor })).toEqual({ removed: 1, cursor: undefined });
  });

  test('bad options are a ValidationError naming the option; a closed store rejects', async () => {
    const s = make();
    for (const [options, path] of [
      [{ limit: 0 }, 'options.limit'],
      [{ limit: 1.5 }, 'options.limit'],
      [{ limit: '10' }, 'options.limit'],
      [{ cursor: 5 }, 'options.cursor'],
      [null, 'options'],
    ] as const) {
      const err = await s.cullPage(options as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toBe(path);
    }
    await s.close();
    await expect(s.cullPage()).rejects.toBeInstanceOf(StoreClosedError);
  });
});
