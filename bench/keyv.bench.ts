/**
 * Keyv over an oauth-kv store (`new Keyv({ store: toKeyv(new MemoryStore()) })`) against Keyv's
 * own in-memory Map (`new Keyv()`): what the adapter layer (validation, copy-on-read, the `{ v }`
 * wrapper) costs per get / set. Both sides pay Keyv's own serialization.
 */
import Keyv from 'keyv';
import { toKeyv } from '../src/stores/keyv/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { newBench, report } from './lib.js';

export default async function run(): Promise<void> {
  const memory = new MemoryStore();
  const viaOauthKv = new Keyv({ store: toKeyv(memory, { collection: 'bench' }) });
  const plain = new Keyv();
  const value = { access_token: 'a'.repeat(43), token_type: 'Bearer', expires_in: 3600, scope: 'openid' };
  await viaOauthKv.set('k', value, 3_600_000);
  await plain.set('k', value, 3_600_000);
  try {
    const bench = newBench({ time: 1000 });
    bench
      .add('keyv over toKeyv(MemoryStore) get', async () => {
        await viaOauthKv.get('k');
      })
      .add('keyv (Map) get', async () => {
        await plain.get('k');
      })
      .add('keyv over toKeyv(MemoryStore) set', async () => {
        await viaOauthKv.set('s', value, 3_600_000);
      })
      .add('keyv (Map) set', async () => {
        await plain.set('s', value, 3_600_000);
      });
    await report('keyv', bench, {
      'get: toKeyv(MemoryStore) / Map': ['keyv over toKeyv(MemoryStore) get', 'keyv (Map) get'],
      'set: toKeyv(MemoryStore) / Map': ['keyv over toKeyv(MemoryStore) set', 'keyv (Map) set'],
    });
  } finally {
    await memory.close();
  }
}
