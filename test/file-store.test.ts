import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { DeserializationError, StoreClosedError, StoreSetupError, StoreTimeoutError } from '../src/errors.js';
import {
  decodeFileName,
  encodeFileName,
  FileStore,
  type FileStoreOptions,
  isHashedFileName,
  MAX_PLAIN_ENCODING,
} from '../src/stores/file/index.js';

const conformanceDir = mkdtempSync(join(tmpdir(), 'oauth-kv-file-conf-'));
afterAll(() => rmSync(conformanceDir, { recursive: true, force: true }));

describeConformance('FileStore', {
  createStore: () => new FileStore({ directory: conformanceDir }),
  persistent: true,
  sharedBacking: true,
});

describe('FileStore file-name encoding', () => {
  const nasty = [
    'https://app.example/client.json',
    '../../etc/passwd',
    '..',
    '.',
    'a::b',
    '%2F',
    '%2f',
    'con',
    'NUL',
    'com1',
    'Client',
    'client',
    'CLIENT',
    'emoji 😀 key',
    'x'.repeat(1000),
    'é'.repeat(1000),
    '😀'.repeat(1000),
    'with\\backslash',
    'C:\\windows',
    ' spaced ',
    'tab\tnewline\n',
    '-leading-dash',
    '~tilde',
    '%%',
    'a%%b',
  ];

  test('named nasty cases round-trip, stay distinct and use only [a-z0-9_%-]', () => {
    const seen = new Map<string, string>();
    for (const name of nasty) {
      const encoded = encodeFileName(name);
      expect(encoded).toMatch(/^[a-z0-9_%-]+$/);
      expect(encoded.length).toBeLessThanOrEqual(MAX_PLAIN_ENCODING);
      expect(decodeFileName(encoded)).toBe(isHashedFileName(encoded) ? null : name);
      expect(seen.get(encoded.toLowerCase())).toBeUndefined(); // case-insensitive file systems
      seen.set(encoded.toLowerCase(), name);
    }
    expect(encodeFileName('https://app.example/client.json')).toBe(
      'https%3a%2f%2fapp%2eexample%2fclient%2ejson',
    );
    expect(encodeFileName('con')).toBe('%63on'); // never a Windows device name
    expect(isHashedFileName(encodeFileName('x'.repeat(1000)))).toBe(true);
    expect(isHashedFileName(encodeFileName('x'.repeat(200)))).toBe(false);
  });

  test('property: the encoding is injective, reversible and case-insensitive-safe for any Unicode', () => {
    const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).filter((s) => s.isWellFormed());
    fc.assert(
      fc.property(name, name, (a, b) => {
        const ea = encodeFileName(a);
        const eb = encodeFileName(b);
        expect(ea).toMatch(/^[a-z0-9_%-]+$/);
        expect(ea.startsWith('.')).toBe(false);
        expect(Buffer.byteLength(`${ea}.json`)).toBeLessThan(255);
        expect(decodeFileName(ea)).toBe(isHashedFileName(ea) ? null : a);
        expect(ea === eb).toBe(a === b);
      }),
      { numRuns: 1000, seed: 20261122 },
    );
    // Names that differ only in case never meet, whatever the file system folds.
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (s) => {
        const upper = s.toUpperCase();
        fc.pre(upper !== s && upper.isWellFormed());
        expect(encodeFileName(upper).toLowerCase()).not.toBe(encodeFileName(s).toLowerCase());
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  test('long names: the hashed form is injective too and never equals a plain encoding', () => {
    const long = fc
      .string({ unit: 'binary', minLength: 201, maxLength: 1200 })
      .filter((s) => s.isWellFormed());
    fc.assert(
      fc.property(long, long, (a, b) => {
        const ea = encodeFileName(a);
        expect(ea.length).toBeLessThanOrEqual(130);
        expect(ea === encodeFileName(b)).toBe(a === b);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  test('decoding refuses what the encoder never writes (uppercase, dots, non-canonical escapes)', () => {
    for (const foreign of ['A', 'a.b', '%61', '%2F', '%zz', '%e9', '', '.tmp-x', 'Thumbs%2edb', 'a%']) {
      expect(decodeFileName(foreign)).toBeUndefined();
    }
  });

  test('every file stays inside the directory, whatever the names', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'oauth-kv-file-escape-'));
    try {
      const store = new FileStore({ directory: join(parent, 'store') });
      for (const collection of ['../outside', '..', '/abs', 'default_collection', 'C:\\x']) {
        for (const key of nasty) await store.put(key, { key }, { collection });
      }
      expect(await readdir(parent)).toEqual(['store']);
      const files = await walk(join(parent, 'store'));
      expect(files.length).toBe(5 * new Set(nasty).size);
      for (const file of files) {
        const [dir, name, ...rest] = relative(join(parent, 'store'), file).split(sep);
        expect(rest).toEqual([]);
        expect(dir).toMatch(/^[a-z0-9_%-]+$/);
        expect(name).toMatch(/^[a-z0-9_%-]+\.json$/);
      }
      for (const key of nasty) expect(await store.get(key, { collection: '..' })).toEqual({ key });
      const keys = await store.keys('../outside', { limit: 1000 });
      expect(keys.keys.sort()).toEqual([...new Set(nasty)].sort());
      expect((await store.collections()).sort()).toEqual(
        ['../outside', '..', '/abs', 'default_collection', 'C:\\x'].sort(),
      );
      await store.close();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('FileStore on disk', () => {
  let dir: string;
  const stores: FileStore[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oauth-kv-file-'));
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
  const entryFile = (collection: string, key: string) =>
    join(dir, 'store', encodeFileName(collection), `${encodeFileName(key)}.json`);

  test('files are 0600 and directories 0700 whatever the umask; other modes on request', async () => {
    const previous = process.umask(0o000);
    try {
      const nested = new FileStore({ directory: join(dir, 'a', 'b', 'store') });
      stores.push(nested);
      await nested.put('k', { a: 1 }, { collection: 'c' });
      for (const d of [
        join(dir, 'a'),
        join(dir, 'a', 'b'),
        join(dir, 'a', 'b', 'store'),
        join(dir, 'a', 'b', 'store', 'c'),
      ]) {
        expect((await stat(d)).mode & 0o777).toBe(0o700);
      }
      expect((await stat(join(dir, 'a', 'b', 'store', 'c', 'k.json'))).mode & 0o777).toBe(0o600);
      await nested.putIfAbsent('k2', { a: 2 }, { collection: 'c' });
      expect((await stat(join(dir, 'a', 'b', 'store', 'c', 'k2.json'))).mode & 0o777).toBe(0o600);
      process.umask(0o077);
      const shared = make({ fileMode: 0o640, directoryMode: 0o750 });
      await shared.put('k', { a: 1 }, { collection: 'c' });
      expect((await stat(join(dir, 'store'))).mode & 0o777).toBe(0o750);
      expect((await stat(join(dir, 'store', 'c'))).mode & 0o777).toBe(0o750);
      expect((await stat(entryFile('c', 'k'))).mode & 0o777).toBe(0o640);
    } finally {
      process.umask(previous);
    }
  });

  test('an existing directory keeps its mode; a missing one is created on first use', async () => {
    const s = make();
    await expect(stat(join(dir, 'store'))).rejects.toMatchObject({ code: 'ENOENT' }); // lazy
    expect(await s.get('k')).toBeUndefined();
    expect((await stat(join(dir, 'store'))).isDirectory()).toBe(true);
    await chmod(join(dir, 'store'), 0o755);
    const again = make();
    await again.put('k', { a: 1 });
    expect((await stat(join(dir, 'store'))).mode & 0o777).toBe(0o755);
  });

  test('a store directory removed while the store is open is created again by the next write', async () => {
    const s = make();
    await s.put('k', { a: 1 }, { collection: 'c' });
    await rm(join(dir, 'store'), { recursive: true });
    expect(await s.get('k', { collection: 'c' })).toBeUndefined();
    await s.put('k', { a: 2 }, { collection: 'c' });
    expect(await s.putIfAbsent('k2', { b: 1 }, { collection: 'c' })).toBe(true);
    expect(await s.get('k', { collection: 'c' })).toEqual({ a: 2 });
    expect((await stat(join(dir, 'store'))).mode & 0o777).toBe(0o700);
  });

  test('each entry is a readable py-key-value document at <collection>/<key>.json', async () => {
    const s = make({ clock: () => Date.UTC(2026, 10, 22, 10, 30, 0, 123) });
    await s.put('https://app.example/client.json', { client_id: 'c1' }, { collection: 'clients', ttl: 60 });
    const text = await readFile(entryFile('clients', 'https://app.example/client.json'), 'utf8');
    expect(JSON.parse(text)).toEqual({
      collection: 'clients',
      created_at: '2026-11-22T10:30:00.123000+00:00',
      expires_at: '2026-11-22T10:31:00.123000+00:00',
      key: 'https://app.example/client.json',
      value: { client_id: 'c1' },
      version: 1,
    });
  });

  test('reads documents written by other tools (Python spacing, Z dates, no names, value as string)', async () => {
    const s = make();
    await s.put('seed', { a: 1 }, { collection: 'py' });
    await writeFile(
      entryFile('py', 'from-python'),
      '{"created_at": "2026-01-01T00:00:00Z", "expires_at": "2999-01-01T00:00:00.000001+00:00", "value": {"b": [1, 2]}, "version": 1}',
    );
    await writeFile(entryFile('py', 'as-string'), '{"version":1,"value":"{\\"c\\":true}"}');
    expect(await s.get('from-python', { collection: 'py' })).toEqual({ b: [1, 2] });
    expect((await s.ttl('from-python', { collection: 'py' })).ttl).toBeGreaterThan(1e9);
    expect(await s.get('as-string', { collection: 'py' })).toEqual({ c: true });
    expect((await s.keys('py')).keys).toEqual(['as-string', 'from-python', 'seed']);
  });

  test('a corrupted or foreign file is a DeserializationError that never shows its content', async () => {
    const s = make();
    await s.put('k', { a: 1 }, { collection: 'c' });
    await s.put('other', { a: 2 }, { collection: 'c' });
    const secret = 'SECRET-TOKEN-abc123';
    await writeFile(entryFile('c', 'k'), `{"value": {"token": "${secret}"`); // truncated
    for (const read of [() => s.get('k', { collection: 'c' }), () => s.ttl('k', { collection: 'c' })]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeserializationError);
      expect(String((err as Error).message)).not.toContain(secret);
      expect(JSON.stringify(err)).not.toContain(secret);
    }
    // getMany: the corrupted entry reads as missing in its own position only.
    expect(await s.getMany(['other', 'k', 'other'], { collection: 'c' })).toEqual([
      { a: 2 },
      undefined,
      { a: 2 },
    ]);
    await expect(s.putIfAbsent('k', { a: 3 }, { collection: 'c' })).rejects.toBeInstanceOf(
      DeserializationError,
    );
    // Still listed (so it can be found), and delete clears it.
    expect((await s.keys('c')).keys).toEqual(['k', 'other']);
    expect(await s.delete('k', { collection: 'c' })).toBe(true);
    expect(await s.get('k', { collection: 'c' })).toBeUndefined();

    // The document of another key copied over this one is refused, not served.
    await copyFile(entryFile('c', 'other'), entryFile('c', 'copied'));
    await expect(s.get('copied', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
    expect((await s.keys('c')).keys).toEqual(['other']);
    // A corrupted entry that is taken is consumed and reported.
    await writeFile(entryFile('c', 'bad'), 'not json');
    await expect(s.take('bad', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await s.get('bad', { collection: 'c' })).toBeUndefined();
    // A directory where an entry file should be.
    await mkdir(entryFile('c', 'dir'));
    await expect(s.get('dir', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
  });

  test('a corrupt entry file: get throws DeserializationError, getMany reads it as missing in its position only', async () => {
    const s = make();
    await s.putMany(
      [
        ['good-1', { n: 1 }],
        ['corrupt', { n: 2 }],
        ['good-2', { n: 3 }],
      ],
      { collection: 'c' },
    );
    await writeFile(entryFile('c', 'corrupt'), '{"version": 1, "value": {garbage');
    await expect(s.get('corrupt', { collection: 'c' })).rejects.toBeInstanceOf(DeserializationError);
    expect(await s.getMany(['good-1', 'corrupt', 'good-2'], { collection: 'c' })).toEqual([
      { n: 1 },
      undefined,
      { n: 3 },
    ]);
    const ttls = await s.ttlMany(['good-1', 'corrupt', 'good-2'], { collection: 'c' });
    expect(ttls.map((t) => t.value)).toEqual([{ n: 1 }, undefined, { n: 3 }]);
  });

  test('a temp file left by a crashed writer is ignored by reads and removed by cull after a minute', async () => {
    const s = make();
    await s.put('k', { a: 1 }, { collection: 'c' });
    const cdir = join(dir, 'store', 'c');
    const old = (Date.now() - 120_000).toString(36);
    const recent = Date.now().toString(36);
    // What a writer killed before its rename leaves: a partial document under a temp name.
    await writeFile(join(cdir, `.tmp-${old}-deadbeef`), '{"version":1,"value":{"a":');
    await writeFile(join(cdir, `.tmp-${recent}-cafe`), '{"version":1,"value":{"a":');
    await writeFile(join(cdir, `.claim-${old}-feed`), '{"version":1,"value":{"a":2}}');
    await mkdir(join(dir, 'store', `.trash-${old}-0ff`));
    await writeFile(join(dir, 'store', `.trash-${old}-0ff`, 'x.json'), '{}');
    expect(await s.get('k', { collection: 'c' })).toEqual({ a: 1 });
    expect(await s.keys('c')).toEqual({ keys: ['k'], cursor: undefined });
    expect(await s.collections()).toEqual(['c']);
    expect(await s.cull()).toBe(0); // leftovers are not entries
    expect((await readdir(cdir)).sort()).toEqual([`.tmp-${recent}-cafe`, 'k.json']);
    expect(await readdir(join(dir, 'store'))).toEqual(['c']);
  });

  test('cull deletes expired entry files, keeps live ones, and removes emptied collection directories', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s = make({ clock: () => now });
    for (let i = 0; i < 30; i++) await s.put(`e${i}`, { i }, { collection: 'short', ttl: 10 });
    await s.put('keep', { k: 1 }, { collection: 'mixed' });
    await s.put('go', { k: 2 }, { collection: 'mixed', ttl: 10 });
    now += 10_000;
    expect(await s.collections()).toEqual(['mixed']); // only collections holding live entries
    expect(await s.cull()).toBe(31);
    expect(await readdir(join(dir, 'store'))).toEqual(['mixed']);
    expect(await readdir(join(dir, 'store', 'mixed'))).toEqual(['keep.json']);
    expect(await s.cull()).toBe(0);
    // A collection whose directory was culled is recreated by the next write.
    await s.put('again', { a: 1 }, { collection: 'short' });
    expect(await s.get('again', { collection: 'short' })).toEqual({ a: 1 });
  });

  test('delete is true only for an unexpired entry; the expired file is removed either way', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s = make({ clock: () => now });
    await s.put('k', { a: 1 }, { ttl: 1 });
    now += 1000;
    expect(await s.delete('k')).toBe(false);
    await expect(stat(entryFile('default_collection', 'k'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('putIfAbsent replaces an expired entry once, even with 40 racers on two instances', async () => {
    let now = Date.UTC(2026, 0, 1);
    const a = make({ clock: () => now });
    const b = make({ clock: () => now });
    await a.put('jti', { old: true }, { collection: 'j', ttl: 5 });
    now += 5000;
    const won = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).putIfAbsent('jti', { i }, { collection: 'j', ttl: 60 }),
      ),
    );
    const winners = won.flatMap((w, i) => (w ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(await a.get('jti', { collection: 'j' })).toEqual({ i: winners[0] });
    expect((await readdir(join(dir, 'store', 'j'))).sort()).toEqual(['jti.json']);
  });

  test('putIfAbsent racing with put and take never yields two putIfAbsent winners', async () => {
    const s = make();
    const t = make();
    for (let round = 0; round < 10; round++) {
      const key = `r${round}`;
      const ops = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => s.putIfAbsent(key, { i }, { collection: 'mix' })),
        t.take(key, { collection: 'mix' }),
        t.put(`${key}-other`, { x: 1 }, { collection: 'mix' }),
        ...Array.from({ length: 10 }, (_, i) => t.putIfAbsent(key, { i: i + 10 }, { collection: 'mix' })),
      ]);
      const pia = [...ops.slice(0, 10), ...ops.slice(12)] as boolean[];
      expect(pia).toHaveLength(20);
      const taken = ops[10];
      // A take that found nothing leaves exactly one winner; one that consumed the first winner's
      // entry may let exactly one more in.
      const wins = pia.filter(Boolean).length;
      if (taken === undefined) expect(wins).toBe(1);
      else expect([1, 2]).toContain(wins);
      const stored = await s.get(key, { collection: 'mix' });
      expect(stored === undefined).toBe(wins === 1 && taken !== undefined);
    }
  });

  test('long keys and collection names (hashed file names) work with every operation', async () => {
    const s = make();
    const collection = `c-${'Ç'.repeat(400)}`;
    const keys = ['😀'.repeat(1000), 'k'.repeat(1000), `${'k'.repeat(999)}K`, 'short'];
    for (const key of keys) await s.put(key, { key }, { collection });
    for (const key of keys) expect(await s.get(key, { collection })).toEqual({ key });
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.keys(collection, { limit: 1, cursor });
      listed.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(listed.sort()).toEqual([...keys].sort());
    expect(await s.collections()).toEqual([collection]);
    expect(await s.take(keys[0] as string, { collection })).toEqual({ key: keys[0] });
    expect(await s.putIfAbsent(keys[0] as string, { again: true }, { collection })).toBe(true);
    expect(await s.destroyCollection(collection)).toBe(true);
    expect(await readdir(join(dir, 'store'))).toEqual([]);
  });

  test('keys(): a page has a cursor only when another live key follows', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s = make({ clock: () => now });
    await s.putMany(
      [
        ['a', {}],
        ['b', {}],
      ],
      { collection: 'c' },
    );
    await s.putMany(
      [
        ['c', {}],
        ['d', {}],
      ],
      { collection: 'c', ttl: 1 },
    );
    now += 1000;
    expect(await s.keys('c', { limit: 2 })).toEqual({ keys: ['a', 'b'], cursor: undefined });
    expect(await s.keys('c', { limit: 1 })).toEqual({ keys: ['a'], cursor: 'a' });
    expect(await s.keys('c', { limit: 1, cursor: 'a' })).toEqual({ keys: ['b'], cursor: undefined });
  });

  test('destroyCollection reports false when only expired entries remain, and removes them', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s = make({ clock: () => now });
    await s.put('k', {}, { collection: 'gone', ttl: 1 });
    now += 1000;
    expect(await s.destroyCollection('gone')).toBe(false);
    expect(await readdir(join(dir, 'store'))).toEqual([]);
  });

  test('a stale lock left by a dead process is broken; a live holder makes putIfAbsent time out', async () => {
    const s = make({ lockTimeoutMs: 300 });
    await s.put('seed', {}, { collection: 'l' });
    const lock = join(dir, 'store', 'l', '.lock-k');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid as number;
    const owner = lockOwnerOfThisProcess();
    await writeFile(lock, JSON.stringify({ pid: dead, host: owner, nonce: 'aa', at: Date.now() }));
    // The same dead pid in another container (other PID namespace) is not known to be dead: kept.
    const elsewhere = join(dir, 'store', 'l', '.lock-k9');
    await writeFile(
      elsewhere,
      JSON.stringify({ pid: dead, host: `${hostname()} pid:[1]`, nonce: 'cc', at: Date.now() }),
    );
    expect(await s.putIfAbsent('k', { a: 1 }, { collection: 'l' })).toBe(true);
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });

    // Held by a live process (this one, as far as the lock says): wait, then a StoreTimeoutError.
    await writeFile(
      join(dir, 'store', 'l', '.lock-k2'),
      JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'bb', at: Date.now() }),
    );
    const err = await s.putIfAbsent('k2', { a: 1 }, { collection: 'l' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreTimeoutError);
    expect(await s.get('k2', { collection: 'l' })).toBeUndefined();

    // The same dead pid in another container is only broken once older than staleLockMs.
    await expect(s.putIfAbsent('k9', { a: 1 }, { collection: 'l' })).rejects.toBeInstanceOf(
      StoreTimeoutError,
    );
    const old = new Date(Date.now() - 120_000);
    await utimes(join(dir, 'store', 'l', '.lock-k2'), old, old);
    await utimes(elsewhere, old, old);
    await s.cull();
    expect((await readdir(join(dir, 'store', 'l'))).sort()).toEqual(['k.json', 'seed.json']);
  });

  test('a lock that names no holder (empty: a crash before the old write) is broken at once', async () => {
    // A lock this version takes is complete from its first instant (a hard link to a written
    // file), so an empty or unreadable lock can only be a crash leftover: not kept for staleLockMs.
    const s = make({ lockTimeoutMs: 2_000, staleLockMs: 60_000 });
    await s.put('seed', {}, { collection: 'l' });
    for (const [name, content] of [
      ['empty', ''],
      ['garbage', '{"pid":'],
      ['no-nonce', JSON.stringify({ pid: 1, host: hostname() })],
    ] as const) {
      await writeFile(join(dir, 'store', 'l', `.lock-${name}`), content); // fresh: mtime is now
      const started = performance.now();
      expect(await s.putIfAbsent(name, { a: 1 }, { collection: 'l' })).toBe(true);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    expect((await readdir(join(dir, 'store', 'l'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test.skipIf(process.platform !== 'linux')(
    'a lock whose pid now belongs to a later process (or to this one, restarted) is broken at once (Linux: /proc start times)',
    async () => {
      const s = make({ lockTimeoutMs: 300, staleLockMs: 60_000 });
      await s.put('seed', {}, { collection: 'l' });
      const owner = lockOwnerOfThisProcess();
      // A live process whose start time differs from the one the lock recorded: the pid was reused.
      const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const lock = (pid: number, start: string) =>
          JSON.stringify({ pid, host: owner, start, nonce: 'ab', at: Date.now() });
        await writeFile(join(dir, 'store', 'l', '.lock-reused'), lock(sleeper.pid as number, '1'));
        expect(await s.putIfAbsent('reused', { a: 1 }, { collection: 'l' })).toBe(true);
        // This very pid, but recorded by an earlier process (a restarted container's pid 1).
        await writeFile(join(dir, 'store', 'l', '.lock-restarted'), lock(process.pid, '1'));
        expect(await s.putIfAbsent('restarted', { a: 1 }, { collection: 'l' })).toBe(true);
        // The same live process with its real start time is a live holder: wait, then time out.
        const start = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] ?? '';
        await writeFile(join(dir, 'store', 'l', '.lock-held'), lock(sleeper.pid as number, start));
        await expect(s.putIfAbsent('held', { a: 1 }, { collection: 'l' })).rejects.toBeInstanceOf(
          StoreTimeoutError,
        );
      } finally {
        sleeper.kill('SIGKILL');
      }
    },
  );

  test('a directory that cannot be used is a StoreSetupError naming it, never a key', async () => {
    await writeFile(join(dir, 'store'), 'a file, not a directory');
    const s = make();
    const err = await s.put('secret-code-xyz', { a: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreSetupError);
    expect((err as Error).message).toContain(join(dir, 'store'));
    await rm(join(dir, 'store'));
    expect(await s.get('k')).toBeUndefined(); // fixed: the next call sets up again

    // A collection path taken by a file: the error names the directory, not the key.
    await writeFile(join(dir, 'store', 'blocked'), 'x');
    const blocked = await s
      .put('secret-code-xyz', { a: 1 }, { collection: 'blocked' })
      .catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(StoreSetupError);
    expect((blocked as Error).message).not.toContain('secret');
    expect(JSON.stringify(blocked)).not.toContain('secret');
  });

  test('a directory this process cannot write is a StoreSetupError naming it', async () => {
    // Root ignores permission bits; as root the probe runs without the capabilities that allow it
    // (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so the 0500 directory is really read-only for it.
    const target = join(dir, 'store');
    await mkdir(target, { mode: 0o500 });
    const node = [process.execPath, '--import', 'tsx', 'test/helpers/file-setup-probe.mts', target];
    const argv =
      process.getuid?.() === 0
        ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--', ...node]
        : node;
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string };
    expect(result.code).toBe('STORE_SETUP');
    expect(result.message).toContain(target);
  });

  test('bad options are refused at construction', () => {
    expect(() => new FileStore({ directory: '' })).toThrow(StoreSetupError);
    expect(() => new FileStore({} as FileStoreOptions)).toThrow(StoreSetupError);
    expect(() => new FileStore({ directory: dir, fileMode: 0o10000 })).toThrow(StoreSetupError);
    expect(() => new FileStore({ directory: dir, lockTimeoutMs: 0 })).toThrow(StoreSetupError);
    const bad: unknown[] = [
      { fsync: 'yes' },
      { staleLockMs: Number.NaN },
      { lockTimeoutMs: '100' },
      { directoryMode: '700' },
      { fileMode: 1.5 },
    ];
    for (const options of bad) {
      expect(
        () => new FileStore({ directory: dir, ...(options as Partial<FileStoreOptions>) }),
        JSON.stringify(options),
      ).toThrow(StoreSetupError);
    }
    expect(() => new FileStore(null as unknown as FileStoreOptions)).toThrow(StoreSetupError);
    expect(() => new FileStore('./dir' as unknown as FileStoreOptions)).toThrow(StoreSetupError);
    expect(new FileStore({ directory: 'relative/dir' }).directory).toBe(resolve('relative/dir'));
  });

  test('fsync: false still writes atomically and reads back', async () => {
    const s = make({ fsync: false });
    await s.putMany(
      Array.from({ length: 50 }, (_, i) => [`k${i}`, { i }] as const),
      { collection: 'f' },
    );
    expect(await s.getMany(['k0', 'k49'], { collection: 'f' })).toEqual([{ i: 0 }, { i: 49 }]);
    expect((await readdir(join(dir, 'store', 'f'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('close() ends the store; the files stay', async () => {
    const s = make();
    await s.put('k', { a: 1 });
    await s.close();
    await expect(s.get('k')).rejects.toBeInstanceOf(StoreClosedError);
    expect(await make().get('k')).toEqual({ a: 1 });
  });
});

/** The holder identity FileStore records in its locks: host name and, on Linux, PID namespace. */
function lockOwnerOfThisProcess(): string {
  let namespace = '';
  try {
    namespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux
  }
  return namespace ? `${hostname()} ${namespace}` : hostname();
}

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}
