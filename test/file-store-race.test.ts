/**
 * FileStore across processes: two child processes share one directory. take and putIfAbsent must
 * have exactly one winner per key across both; data written by one process is read by another;
 * a process killed in the middle of writes never leaves a partial entry.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FileStore } from '../src/stores/file/index.js';

const HELPER = resolve(import.meta.dirname, 'helpers/file-race.ts');
const ROOT = resolve(import.meta.dirname, '..');

interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves on the "ready" line. */
  ready: Promise<void>;
  /** Resolves with the `result` of the final JSON line (rejects if the child fails). */
  result: Promise<unknown>;
  /** Every stdout line, as it arrives. */
  lines: string[];
  go(): void;
}

function startChild(args: Record<string, unknown>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', HELPER, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: string[] = [];
  let onReady: () => void = () => {};
  const ready = new Promise<void>((done) => {
    onReady = done;
  });
  const result = new Promise<unknown>((done, fail) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) done((JSON.parse(line) as { result: unknown }).result);
    });
    child.on('exit', (code, signal) => {
      fail(new Error(`child exited (${code ?? signal}) without a result: ${stderr.slice(0, 2000)}`));
    });
  });
  result.catch(() => {}); // observed by the test when it matters
  return { process: child, ready, result, lines, go: () => child.stdin.write('go\n') };
}

/** Starts children together: all are loaded and waiting before any begins. */
async function runTogether(argsList: Record<string, unknown>[]): Promise<unknown[]> {
  const children = argsList.map(startChild);
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  return Promise.all(children.map((c) => c.result));
}

describe('FileStore across processes', () => {
  let dir: string;
  const stores: FileStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-race-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });
  const open = () => {
    const s = new FileStore({ directory: dir });
    stores.push(s);
    return s;
  };

  test('take: exactly one winner per key across two processes with 25 concurrent callers each', async () => {
    const collection = 'codes';
    const keys = Array.from({ length: 20 }, (_, i) => `code-${i}`);
    await open().putMany(
      keys.map((k) => [k, { code: k }] as const),
      { collection, ttl: 600 },
    );
    const results = (await runTogether([
      { dir, op: 'take', collection, keys, callers: 25 },
      { dir, op: 'take', collection, keys, callers: 25 },
    ])) as { key: string; value: unknown }[][];
    const all = results.flat();
    expect(all.map((w) => w.key).sort()).toEqual([...keys].sort());
    for (const w of all) expect(w.value).toEqual({ code: w.key });
    expect(await open().keys(collection)).toEqual({ keys: [], cursor: undefined });
  }, 120_000);

  test('putIfAbsent: exactly one winner per key across two processes, also over expired entries', async () => {
    const collection = 'jti';
    const fresh = Array.from({ length: 10 }, (_, i) => `fresh-${i}`);
    const expired = Array.from({ length: 10 }, (_, i) => `expired-${i}`);
    // Entries that expired an hour ago: they count as absent and must be replaced exactly once.
    const past = new FileStore({ directory: dir, clock: () => Date.now() - 3_600_000 });
    stores.push(past);
    await past.putMany(
      expired.map((k) => [k, { stale: true }] as const),
      { collection, ttl: 1 },
    );
    const keys = [...fresh, ...expired];
    const results = (await runTogether([
      { dir, op: 'putIfAbsent', collection, keys, callers: 25, tag: 'A' },
      { dir, op: 'putIfAbsent', collection, keys, callers: 25, tag: 'B' },
    ])) as { key: string; writer: string; i: number }[][];
    const winners = results.flat();
    expect(winners.map((w) => w.key).sort()).toEqual([...keys].sort());
    const store = open();
    for (const w of winners) {
      expect(await store.get(w.key, { collection })).toEqual({ writer: w.writer, i: w.i });
    }
    // Nothing left behind: no temp, claim or lock files.
    const left = (await readdir(join(dir, collection))).filter((n) => n.startsWith('.'));
    expect(left).toEqual([]);
  }, 120_000);

  test('what one process writes, a later process reads back (restart persistence)', async () => {
    const collection = 'https://app.example/clients';
    const keys = [
      'https://app.example/client.json',
      '../../etc/passwd',
      'a::b',
      'Ünïcode 😀',
      'K'.repeat(1000),
    ];
    const [written] = await runTogether([{ dir, op: 'write', collection, keys }]);
    expect(written).toBe('written');
    const [read] = (await runTogether([{ dir, op: 'read', collection, keys }])) as {
      values: unknown[];
      withTtl: unknown;
      ttl: number;
      keys: string[];
      collections: string[];
    }[];
    expect(read?.values).toEqual(keys.map((key) => ({ key, written: 'by-child' })));
    expect(read?.withTtl).toEqual({ ttl: true });
    expect(read?.ttl).toBeGreaterThan(3000);
    expect(read?.keys.sort()).toEqual([...keys, 'with-ttl'].sort());
    expect(read?.collections).toEqual([collection]);
  }, 120_000);

  test('a process killed in the middle of writes leaves a complete entry and no visible partial file', async () => {
    const collection = 'crash';
    const child = startChild({ dir, op: 'hammer', collection, keys: [] });
    await child.ready;
    child.go();
    // Kill it once it has completed a few writes (it is then almost surely inside another one).
    for (let i = 0; i < 6000 && child.lines.filter((l) => l.startsWith('wrote')).length < 5; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.process.kill('SIGKILL');
    await new Promise((r) => child.process.once('exit', r));
    const done = child.lines.filter((l) => l.startsWith('wrote')).length;
    expect(done).toBeGreaterThanOrEqual(5);
    const store = open();
    const value = (await store.get('hammered', { collection })) as {
      seq: number;
      tail: number;
      blob: string;
    };
    // The entry is one whole write: the last reported one or the one in flight, never a mix.
    expect(value.seq).toBeGreaterThanOrEqual(done);
    expect(value.seq).toBeLessThanOrEqual(done + 1);
    expect(value.tail).toBe(value.seq);
    expect(value.blob).toHaveLength(256 * 1024);
    expect(await store.keys(collection)).toEqual({ keys: ['hammered'], cursor: undefined });
  }, 120_000);

  test('a process killed while holding a key lock: its lock is broken at once, its temp file ignored', async () => {
    const collection = 'killed';
    const child = startChild({ dir, op: 'die-in-lock', collection, keys: ['jti-1'] });
    await child.ready;
    child.go();
    const [, signal] = await new Promise<[number | null, string | null]>((r) =>
      child.process.once('exit', (code, sig) => r([code, sig])),
    );
    expect(signal).toBe('SIGKILL');
    const left = await readdir(join(dir, collection));
    expect(left).toContain('.lock-jti-1'); // died holding it
    expect(left.some((n) => n.startsWith('.tmp-'))).toBe(true); // and its written temp file
    const store = open();
    expect(await store.get('jti-1', { collection })).toBeUndefined();
    // The holder is a dead process of this host: the lock is broken without waiting for it to age.
    expect(await store.putIfAbsent('jti-1', { survivor: true }, { collection })).toBe(true);
    expect(await store.get('jti-1', { collection })).toEqual({ survivor: true });
    expect((await readdir(join(dir, collection))).filter((n) => n.startsWith('.lock-'))).toEqual([]);
  }, 120_000);

  test('a lock file is never seen empty or half-written: it appears complete, naming its holder', async () => {
    const collection = 'churn';
    await open().put('seed', {}, { collection });
    const lockPath = join(dir, collection, '.lock-k');
    const child = startChild({ dir, op: 'lock-churn', collection, keys: ['k'], durationMs: 3000 });
    await child.ready;
    child.go();
    let finished = false;
    void child.result.finally(() => {
      finished = true;
    });
    const seen: string[] = [];
    while (!finished) {
      try {
        seen.push(await readFile(lockPath, 'utf8'));
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    const rounds = (await child.result) as number;
    expect(rounds).toBeGreaterThan(50);
    expect(seen.length).toBeGreaterThan(20); // the lock was caught held many times
    for (const text of seen) {
      const holder = JSON.parse(text) as { pid: number; nonce: string };
      expect(holder.pid).toBe(child.process.pid);
      expect(holder.nonce).toMatch(/^[0-9a-f]{24}$/);
    }
  }, 120_000);

  test('a process killed inside take after claiming: the entry is consumed, never served twice', async () => {
    const collection = 'codes';
    await open().put('code-1', { code: 1 }, { collection, ttl: 600 });
    const child = startChild({ dir, op: 'die-in-take', collection, keys: ['code-1'] });
    await child.ready;
    child.go();
    await new Promise((r) => child.process.once('exit', r));
    const store = open();
    expect(await store.take('code-1', { collection })).toBeUndefined(); // fail-closed
    expect(await store.keys(collection)).toEqual({ keys: [], cursor: undefined });
    const claims = (await readdir(join(dir, collection))).filter((n) => n.startsWith('.claim-'));
    expect(claims).toHaveLength(1); // removed by cull() once a minute old
  }, 120_000);
});
