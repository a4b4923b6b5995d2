/**
 * FileStore `keys()` paging at 1k, 10k and 100k entry files (bench/paging.ts; set
 * BENCH_PAGING_SIZES to change them): one page and a full pass per key, the larger collection over
 * the 1k one (target <= 1.5). Each collection directory is left settled (not changed for more than
 * 2 s), the state in which FileStore reuses a directory's sorted listing; a directory being written
 * to is listed again for each page (docs/file.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/stores/file/index.js';
import { benchPaging, pagingKey, pagingSizes } from './paging.js';

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-bench-file-paging-'));
  const store = new FileStore({ directory: join(dir, 'store'), fsync: false });
  const value = { client_id: 'c1', scope: 'openid profile' };
  try {
    for (const n of pagingSizes()) {
      const started = Date.now();
      for (let i = 0; i < n; i += 1000) {
        await store.putMany(
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => [pagingKey(i + j), value] as const),
          { collection: `c${n}` },
        );
      }
      const past = new Date(Date.now() - 60_000);
      await utimes(join(dir, 'store', `c${n}`), past, past);
      console.log(`  wrote ${n} entry files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    await benchPaging('file-paging', store, (n) => `c${n}`, {
      pageIterations: 100,
      passIterations: 5,
      note: 'fsync: false while filling; collection directories settled (mtime a minute old)',
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
