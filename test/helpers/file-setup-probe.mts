// Child process for test/file-store.test.ts: opens a FileStore on argv[2] and prints the error code
// of the first read (run as an unprivileged user when the tests run as root).
import { FileStore } from '../../src/stores/file/index.js';

const store = new FileStore({ directory: process.argv[2] ?? '' });
try {
  await store.get('k');
  console.log(JSON.stringify({ code: null }));
} catch (err) {
  console.log(JSON.stringify({ code: (err as { code?: string }).code, message: (err as Error).message }));
}
