/**
 * FileStore speed on a ~200-byte value, paired and interleaved (`comparePaired`, BENCH_REPS
 * repetitions), written to bench/results/file.json: a durable put (fsync of the file and its
 * directory) against a put with `fsync: false`, `putIfAbsent` (it takes a cross-process lock)
 * against a durable put, a read and a put + take (a single-use code) against MemoryStore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { comparePaired } from './lib.js';

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-bench-file-'));
  const value = { client_id: 'c1', redirect_uris: ['https://a.example/cb'], scope: 'openid profile', n: 42 };
  const memory = new MemoryStore();
  const file = new FileStore({ directory: join(dir, 'fsync') });
  const nosync = new FileStore({ directory: join(dir, 'nosync'), fsync: false });
  const collection = 'bench';
  let n = 0;
  for (const store of [memory, file, nosync])
    for (let i = 0; i < 100; i++) await store.put(`k${i}`, value, { collection });
  const put = (name: string, store: MemoryStore | FileStore) => ({
    name,
    run: () => store.put(`p${n++ % 100}`, value, { collection }),
  });
  const get = (name: string, store: MemoryStore | FileStore) => ({
    name,
    run: () => store.get(`k${n++ % 100}`, { collection }),
  });
  const putTake = (name: string, store: MemoryStore | FileStore) => ({
    name,
    run: async () => {
      const key = `t${n++}`;
      await store.put(key, value, { collection });
      await store.take(key, { collection });
    },
  });
  try {
    await comparePaired('file', [
      {
        label: 'durable put / put with fsync: false',
        a: put('file put', file),
        b: put('file fsync:false put', nosync),
        iterations: 300,
      },
      {
        label: 'putIfAbsent / durable put',
        a: { name: 'file putIfAbsent', run: () => file.putIfAbsent(`a${n++}`, value, { collection }) },
        b: put('file put', file),
        iterations: 300,
      },
      {
        label: 'read / MemoryStore read',
        a: get('file get', file),
        b: get('memory get', memory),
        iterations: 1000,
        batch: 4,
      },
      {
        label: 'put + take / MemoryStore put + take',
        a: putTake('file put+take', file),
        b: putTake('memory put+take', memory),
        iterations: 300,
      },
    ]);
  } finally {
    await Promise.all([memory, file, nosync].map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
