/**
 * FileStore trusts only what it owns: a store or collection directory owned by another user or
 * writable by group or others is refused (as OpenSSH treats ~/.ssh), and no symbolic link inside
 * the store is ever followed. The attack: another local user who can create the store's directory
 * (or one of its collection directories) plants an entry file, e.g. a forged authorization code.
 *
 * Owned-by-another-user cases chown to uid 65534 (nobody), which needs root (the tests run as root
 * here); they are skipped, and say so, for anyone else.
 */
import {
  chmod,
  chown,
  lchown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { entryToDocumentJson } from '../src/entry.js';
import { DeserializationError, StoreSetupError } from '../src/errors.js';
import { encodeFileName, FileStore, type FileStoreOptions } from '../src/stores/file/index.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** A py-key-value document as an attacker would plant it: a code that issues tokens. */
function forged(collection: string, key: string): string {
  const now = Date.now();
  const value = { client_id: 'attacker', redirect_uri: 'https://evil.example/cb' };
  return entryToDocumentJson(
    { value, json: JSON.stringify(value), ttl: 600, createdAt: now, expiresAt: now + 600_000 },
    { key, collection },
  );
}

describe('FileStore refuses directories it does not own', () => {
  let dir: string;
  const stores: FileStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-trust-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
  const make = (options: Partial<FileStoreOptions> = {}) => {
    const s = new FileStore({ directory: join(dir, 'store'), ...options });
    stores.push(s);
    return s;
  };
  /** Plants `collection/key` as the attacker would, returning the file path. */
  const plant = async (root: string, collection: string, key: string) => {
    const cdir = join(root, encodeFileName(collection));
    await mkdir(cdir, { recursive: true });
    const file = join(cdir, `${encodeFileName(key)}.json`);
    await writeFile(file, forged(collection, key));
    return file;
  };
  const refusal = async (op: () => Promise<unknown>) => {
    const err = await op().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).toContain(join(dir, 'store'));
    expect((err as StoreSetupError).retryable).toBe(false);
    return (err as Error).message;
  };

  test.skipIf(!isRoot)(
    'a store directory created by another user is refused before any read (root only)',
    async () => {
      const root = join(dir, 'store');
      await mkdir(root, { mode: 0o777 });
      await plant(root, 'mcp-authorization-codes', 'code-1');
      await chmod(root, 0o755); // not even writable by others: the owner alone is enough to refuse
      await chown(root, NOBODY, NOBODY);
      const s = make();
      const message = await refusal(() => s.take('code-1', { collection: 'mcp-authorization-codes' }));
      expect(message).toMatch(/owned by another user/);
      await refusal(() => s.get('code-1', { collection: 'mcp-authorization-codes' }));
      await refusal(() => s.put('k', { a: 1 }));
      await refusal(() => s.collections());
      await refusal(() => s.cull());
      // The planted file is still there, unread and unconsumed.
      expect(await readdir(join(root, 'mcp-authorization-codes'))).toEqual(['code-1.json']);
    },
  );

  test('a store directory writable by group or others is refused; directoryMode may allow group write', async () => {
    const root = join(dir, 'store');
    await mkdir(root);
    for (const mode of [0o770, 0o707, 0o777, 0o720, 0o1777]) {
      await chmod(root, mode);
      const message = await refusal(() => make().get('k'));
      expect(message).toMatch(/writable by (its group|others)/);
    }
    // The user asked for a group-writable layout: group write is accepted, other write still not.
    await chmod(root, 0o770);
    const shared = make({ directoryMode: 0o770 });
    await shared.put('k', { a: 1 });
    expect(await shared.get('k')).toEqual({ a: 1 });
    await chmod(root, 0o777);
    await refusal(() => make({ directoryMode: 0o770 }).get('k'));
    // Fixed by the owner: the next call sets up again; the group-writable collection directory
    // the shared store created is refused by a store that does not allow group write.
    await chmod(root, 0o700);
    const strict = make();
    expect(await refusal(() => strict.get('k'))).toMatch(/A collection directory is writable by its group/);
    await chmod(join(root, 'default_collection'), 0o700);
    expect(await strict.get('k')).toEqual({ a: 1 });
  });

  test('a collection directory writable by others, or (as root) owned by another user, is refused', async () => {
    const s = make();
    await s.put('good', { ok: true }, { collection: 'clients' });
    const root = join(dir, 'store');
    await plant(root, 'codes', 'code-1');
    await chmod(join(root, 'codes'), 0o777);
    await refusal(() => s.get('code-1', { collection: 'codes' }));
    await refusal(() => s.put('code-2', { a: 1 }, { collection: 'codes' }));
    await refusal(() => s.putIfAbsent('code-1', { a: 1 }, { collection: 'codes' }));
    await refusal(() => s.destroyCollection('codes'));
    await refusal(() => s.collections());
    await refusal(() => s.cull());
    expect(await s.get('good', { collection: 'clients' })).toEqual({ ok: true }); // others unaffected
    if (isRoot) {
      await chmod(join(root, 'codes'), 0o700);
      await chown(join(root, 'codes'), NOBODY, NOBODY);
      const fresh = make();
      expect(await refusal(() => fresh.get('code-1', { collection: 'codes' }))).toMatch(
        /owned by another user/,
      );
    }
  });

  test('a collection directory created with a lax mode after the store checked it is refused when met again', async () => {
    const s = make();
    await s.put('k', { a: 1 }, { collection: 'c' });
    await s.destroyCollection('c'); // the store forgets the directory it moved away
    const root = join(dir, 'store');
    await plant(root, 'c', 'k');
    await chmod(join(root, 'c'), 0o777);
    await refusal(() => s.get('k', { collection: 'c' }));
  });
});

describe('FileStore never follows a symbolic link inside the store', () => {
  let dir: string;
  let outside: string;
  const stores: FileStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-link-'));
    outside = join(dir, 'outside');
    await mkdir(outside, { mode: 0o700 });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
  const make = (directory = join(dir, 'store')) => {
    const s = new FileStore({ directory });
    stores.push(s);
    return s;
  };

  test('a planted symlink entry file is never read through, and delete/take/put remove only the link', async () => {
    const s = make();
    await s.putMany(
      [
        ['a', { n: 1 }],
        ['c', { n: 3 }],
      ],
      { collection: 'codes' },
    );
    const target = join(outside, 'forged.json');
    const content = forged('codes', 'b');
    await writeFile(target, content);
    const entry = join(dir, 'store', 'codes', 'b.json');
    await symlink(target, entry);
    await expect(s.get('b', { collection: 'codes' })).rejects.toBeInstanceOf(DeserializationError);
    await expect(s.ttl('b', { collection: 'codes' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await s.getMany(['a', 'b', 'c'], { collection: 'codes' })).toEqual([
      { n: 1 },
      undefined,
      { n: 3 },
    ]);
    await expect(s.putIfAbsent('b', { mine: true }, { collection: 'codes' })).rejects.toBeInstanceOf(
      DeserializationError,
    );
    await expect(s.take('b', { collection: 'codes' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await readFile(target, 'utf8')).toBe(content); // the target is untouched
    expect(await s.get('b', { collection: 'codes' })).toBeUndefined(); // the link is gone

    await symlink(target, entry);
    expect(await s.delete('b', { collection: 'codes' })).toBe(true);
    await symlink(target, entry);
    await s.put('b', { replaced: true }, { collection: 'codes' }); // replaces the link itself
    expect(await s.get('b', { collection: 'codes' })).toEqual({ replaced: true });
    expect(await readFile(target, 'utf8')).toBe(content);
    expect(await readdir(outside)).toEqual(['forged.json']);
  });

  test('a symlinked collection directory is refused for every operation; its target is untouched', async () => {
    const s = make();
    await s.put('seed', { a: 1 }, { collection: 'seed' });
    const target = join(outside, 'codes');
    await mkdir(target, { mode: 0o700 });
    await writeFile(join(target, 'code-1.json'), forged('codes', 'code-1'));
    await symlink(target, join(dir, 'store', 'codes'));
    const refuse = async (op: () => Promise<unknown>) => {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message).toMatch(/symbolic link/);
    };
    await refuse(() => s.get('code-1', { collection: 'codes' }));
    await refuse(() => s.take('code-1', { collection: 'codes' }));
    await refuse(() => s.put('code-2', { a: 1 }, { collection: 'codes' }));
    await refuse(() => s.keys('codes'));
    await refuse(() => s.destroyCollection('codes'));
    await refuse(() => s.collections());
    await refuse(() => s.cull());
    expect(await readdir(target)).toEqual(['code-1.json']);
    expect(await s.get('seed', { collection: 'seed' })).toEqual({ a: 1 });
  });

  test('the store directory may be a symlink the user set up: its target is checked and used', async () => {
    const target = join(outside, 'data');
    await mkdir(target, { mode: 0o700 });
    await symlink(target, join(dir, 'store'));
    const s = make();
    await s.put('k', { a: 1 }, { collection: 'c' });
    expect(await readdir(join(target, 'c'))).toEqual(['k.json']);
    expect(s.directory).toBe(join(dir, 'store')); // as configured
    // A target writable by others is refused like any store directory.
    await chmod(target, 0o777);
    const err = await make()
      .get('k', { collection: 'c' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
  });

  test.skipIf(!isRoot)(
    'a store symlink owned by another user, or leading to their directory, is refused (root only)',
    async () => {
      const theirs = join(outside, 'theirs');
      await mkdir(theirs, { mode: 0o700 });
      await chown(theirs, NOBODY, NOBODY);
      await symlink(theirs, join(dir, 'store'));
      expect(
        await make()
          .get('k')
          .catch((e: unknown) => e),
      ).toBeInstanceOf(StoreSetupError);
      // A link planted by another user, even to a directory of ours.
      const mine = join(outside, 'mine');
      await mkdir(mine, { mode: 0o700 });
      await symlink(mine, join(dir, 'planted'));
      await lchown(join(dir, 'planted'), NOBODY, NOBODY);
      const err = await make(join(dir, 'planted'))
        .get('k')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message).toMatch(/symbolic link owned by another user/);
    },
  );
});
