/**
 * Child process for test/file-store-faults.test.ts: runs one file-system fault scenario on a real
 * FileStore and prints what happened as one JSON line. The disk scenarios mount a small tmpfs, so
 * the test runs this in its own mount namespace (`unshare --mount`): the mount vanishes with it.
 * Run: node --import tsx test/helpers/file-fault.ts '<json args>'.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '../../src/stores/file/index.js';

interface Args {
  scenario: 'full-disk' | 'read-only' | 'no-fds';
  dir: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const collection = 'codes';

/** What an operation gave: its value, or its error's class, code and retryability. */
async function outcome(op: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: (await op()) ?? null };
  } catch (err) {
    const e = err as { name?: string; code?: string; retryable?: boolean; message?: string };
    return { error: e.name, code: e.code, retryable: e.retryable, message: e.message };
  }
}

const leftovers = async (store: FileStore) =>
  (await readdir(join(store.directory, collection))).filter((n) => n.startsWith('.'));

let result: unknown;
switch (args.scenario) {
  case 'full-disk': {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', args.dir]);
    const store = new FileStore({ directory: join(args.dir, 'store') });
    await store.put('small', { a: 1 }, { collection });
    // A value larger than the whole file system.
    const big = await outcome(() => store.put('big', { blob: 'x'.repeat(400_000) }, { collection }));
    // Fill the disk to its last byte, then take a key lock (putIfAbsent of an absent key).
    const filler = join(args.dir, 'filler');
    const fd = openSync(filler, 'w');
    for (const size of [4096, 1]) {
      const chunk = Buffer.alloc(size, 120);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC: the next, smaller size fills what is left
      }
    }
    closeSync(fd);
    const full = await outcome(() => store.putIfAbsent('code-1', { a: 1 }, { collection }));
    const leftBehind = await leftovers(store);
    await unlink(filler);
    // Space is back: the key is not blocked by anything the failure left behind.
    const started = performance.now();
    const after = await outcome(() => store.putIfAbsent('code-1', { a: 2 }, { collection }));
    result = {
      big,
      full,
      leftBehind,
      after,
      afterMs: performance.now() - started,
      small: await store.get('small', { collection }),
    };
    await store.close();
    break;
  }
  case 'read-only': {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', args.dir]);
    const store = new FileStore({ directory: join(args.dir, 'store') });
    await store.put('k', { a: 1 }, { collection });
    execFileSync('mount', ['-o', 'remount,ro', args.dir]);
    result = {
      put: await outcome(() => store.put('k2', { a: 2 }, { collection })),
      take: await outcome(() => store.take('k', { collection })),
      get: await outcome(() => store.get('k', { collection })),
    };
    await store.close();
    break;
  }
  case 'no-fds': {
    const store = new FileStore({ directory: join(args.dir, 'store') });
    await store.put('k', { a: 1 }, { collection });
    // Exhaust this process's file descriptors (run under a low RLIMIT_NOFILE).
    const held: number[] = [];
    try {
      for (;;) held.push(openSync('/dev/null', 'r'));
    } catch {
      // EMFILE
    }
    const get = await outcome(() => store.get('k', { collection }));
    const put = await outcome(() => store.put('k2', { a: 2 }, { collection }));
    for (const fd of held) closeSync(fd);
    result = {
      held: held.length,
      get,
      put,
      again: await outcome(() => store.get('k', { collection })),
    };
    await store.close();
    break;
  }
}
process.stdout.write(`${JSON.stringify({ result })}\n`);
