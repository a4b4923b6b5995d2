/**
 * The README quickstart, runnable: `npx tsx examples/quickstart.ts`.
 * In your project, import from 'oauth-kv' and 'oauth-kv/file' instead of ../src.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFernetKey, withEncryption } from '../src/index.js';
import { FileStore } from '../src/stores/file/index.js';

const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-quickstart-'));
// In production the key comes from your secret manager; a throwaway key is enough for this run.
const key = process.env.OAUTH_KV_KEY ?? generateFernetKey();
const store = withEncryption(new FileStore({ directory }), { keys: [key] });

await store.put('client-1', { client_id: 'client-1', client_secret: 's3cret' }, { collection: 'clients' });
await store.put('code-abc', { client_id: 'client-1' }, { collection: 'codes', ttl: 300 });
const code = await store.take('code-abc', { collection: 'codes' }); // single use
const again = await store.take('code-abc', { collection: 'codes' }); // undefined

console.log('client:', await store.get('client-1', { collection: 'clients' }));
console.log('code taken once:', code, '→ second take:', again);
await store.close();
rmSync(directory, { recursive: true, force: true });
