/**
 * Keyv over an oauth-kv store (`new Keyv({ store: toKeyv(new MemoryStore()) })`) against Keyv's
 * own in-memory Map (`new Keyv()`): what the adapter layer (validation, copy-on-read, the `{ v }`
 * wrapper) costs per get / set. Both sides pay Keyv's own serialization.
 */
import Keyv from 'keyv';
import { toKeyv } from '../src/stores/keyv/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { comparePaired } from './lib.js';

export default async function run(): Promise<void> {
  const memory = new MemoryStore();
  const viaOauthKv = new Keyv({ store: toKeyv(memory, { collection: 'bench' }) });
  const plain = new Keyv();
  const value = { access_token: 'a'.repeat(43), token_type: 'Bearer', expires_in: 3600, scope: 'openid' };
  await viaOauthKv.set('k', value, 3_600_000);
  await plain.set('k', value, 3_600_000);
  try {
    const viaGet = { name: 'keyv over toKeyv(MemoryStore) get', run: () => viaOauthKv.get('k') };
    const plainGet = { name: 'keyv (Map) get', run: () => plain.get('k') };
    const viaSet = {
      name: 'keyv over toKeyv(MemoryStore) set',
      run: () => viaOauthKv.set('s', value, 3_600_000),
    };
    const plainSet = { name: 'keyv (Map) set', run: () => plain.set('s', value, 3_600_000) };
    await comparePaired('keyv', [
      { label: 'get: toKeyv(MemoryStore) / Map', a: viaGet, b: plainGet, iterations: 2000, batch: 8 },
      { label: 'set: toKeyv(MemoryStore) / Map', a: viaSet, b: plainSet, iterations: 2000, batch: 8 },
    ]);
  } finally {
    await memory.close();
  }
}
