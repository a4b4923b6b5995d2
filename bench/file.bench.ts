/**
 * FileStore speed against MemoryStore on the same ~200-byte value: get, put (fsync on and off),
 * put + take (a single-use code), and putIfAbsent. Ratios are FileStore / MemoryStore mean times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { newBench, report } from './lib.js';

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-bench-file-'));
  const value = { client_id: 'c1', redirect_uris: ['https://a.example/cb'], scope: 'openid profile', n: 42 };
  const stores = {
    memory: new MemoryStore(),
    file: new FileStore({ directory: join(dir, 'fsync') }),
    'file fsync:false': new FileStore({ directory: join(dir, 'nosync'), fsync: false }),
  };
  const collection = 'bench';
  let n = 0;
  const bench = newBench();
  for (const [name, store] of Object.entries(stores)) {
    for (let i = 0; i < 100; i++) await store.put(`k${i}`, value, { collection });
    bench.add(`${name} get`, async () => {
      await store.get(`k${n++ % 100}`, { collection });
    });
    bench.add(`${name} put`, async () => {
      await store.put(`p${n++ % 100}`, value, { collection });
    });
    bench.add(`${name} put+take`, async () => {
      const key = `t${n++}`;
      await store.put(key, value, { collection });
      await store.take(key, { collection });
    });
    bench.add(`${name} putIfAbsent`, async () => {
      await store.putIfAbsent(`a${n++}`, value, { collection });
    });
  }
  try {
    await report('file', bench, {
      'file get / memory get': ['file get', 'memory get'],
      'file put / file fsync:false put': ['file put', 'file fsync:false put'],
      'file put+take / memory put+take': ['file put+take', 'memory put+take'],
      'file putIfAbsent / file put': ['file putIfAbsent', 'file put'],
    });
  } finally {
    await Promise.all(Object.values(stores).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
