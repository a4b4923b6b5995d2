import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { FileStore } from '../src/stores/file.js';

const conformanceDir = mkdtempSync(join(tmpdir(), 'oauth-kv-file-conf-'));
afterAll(() => rmSync(conformanceDir, { recursive: true, force: true }));

describeConformance('FileStore', {
  createStore: () => new FileStore({ directory: conformanceDir }),
  persistent: true,
  sharedBacking: true,
});
