/**
 * FileStore under real file-system faults, each in a child process: a full disk (a 256 KiB tmpfs),
 * a file system remounted read-only, and a process out of file descriptors. Each failure gets the
 * class the error policy gives it (docs/file.md): ENOSPC permanent, EROFS setup, EMFILE retryable;
 * a full disk never leaves a lock behind (the old empty-lock crash).
 *
 * The disk cases mount a tmpfs in a private mount namespace (`unshare --mount`), which needs root;
 * they are skipped, and say so, for anyone else.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const HELPER = resolve(import.meta.dirname, 'helpers/file-fault.ts');
const ROOT = resolve(import.meta.dirname, '..');
const canMount =
  process.getuid?.() === 0 &&
  process.platform === 'linux' &&
  spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
const hasPrlimit = process.platform === 'linux' && spawnSync('prlimit', ['--version']).status === 0;

interface Outcome {
  value?: unknown;
  error?: string;
  code?: string;
  retryable?: boolean;
  message?: string;
}

async function fault(prefix: string[], args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const argv = [...prefix, process.execPath, '--import', 'tsx', HELPER, JSON.stringify(args)];
  const { stdout } = await run(argv[0] as string, argv.slice(1), { cwd: ROOT, timeout: 60_000 });
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return (JSON.parse(last) as { result: Record<string, unknown> }).result;
}

describe('FileStore under file-system faults', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-fault-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const inNamespace = ['unshare', '--mount', '--propagation', 'private'];

  test.skipIf(!canMount)(
    'a full disk is a permanent StoreOperationError and leaves no lock behind (root)',
    async () => {
      const r = (await fault(inNamespace, { scenario: 'full-disk', dir })) as {
        big: Outcome;
        full: Outcome;
        after: Outcome;
        leftBehind: string[];
        afterMs: number;
        small: unknown;
      };
      for (const failed of [r.big, r.full]) {
        expect(failed.error).toBe('StoreOperationError');
        expect(failed.code).toBe('STORE_OPERATION');
        expect(failed.retryable).toBe(false);
        expect(failed.message).toContain('ENOSPC');
      }
      // No temp file and, above all, no lock file: the key is free as soon as space is back.
      expect(r.leftBehind).toEqual([]);
      expect(r.after).toEqual({ value: true });
      expect(r.afterMs).toBeLessThan(1_000);
      expect(r.small).toEqual({ a: 1 });
    },
    60_000,
  );

  test.skipIf(!canMount)(
    'a file system remounted read-only is a StoreSetupError for writes; reads go on (root)',
    async () => {
      const r = (await fault(inNamespace, { scenario: 'read-only', dir })) as {
        put: Outcome;
        take: Outcome;
        get: Outcome;
      };
      for (const failed of [r.put, r.take]) {
        expect(failed.error).toBe('StoreSetupError');
        expect(failed.retryable).toBe(false);
        expect(failed.message).toContain('EROFS');
      }
      expect(r.get).toEqual({ value: { a: 1 } });
    },
    60_000,
  );

  test.skipIf(!hasPrlimit)(
    'running out of file descriptors is a retryable StoreConnectionError',
    async () => {
      const r = (await fault(['prlimit', '--nofile=256:256'], { scenario: 'no-fds', dir })) as {
        held: number;
        get: Outcome;
        put: Outcome;
        again: Outcome;
      };
      expect(r.held).toBeGreaterThan(100);
      for (const failed of [r.get, r.put]) {
        expect(failed.error).toBe('StoreConnectionError');
        expect(failed.retryable).toBe(true);
        expect(failed.message).toContain('EMFILE');
      }
      expect(r.again).toEqual({ value: { a: 1 } });
    },
    60_000,
  );
});
