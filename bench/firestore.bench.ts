/**
 * FirestoreStore against the floor: the raw `@google-cloud/firestore` client making the same calls
 * (document get / set, one getAll, one batch of 100 sets) and parsing the same documents, on the
 * emulator at FIRESTORE_EMULATOR_HOST. Without it the suite prints a skip line. Each run uses its
 * own project id and deletes its documents afterwards through the emulator's REST endpoint.
 *
 * Target: every operation within 1.25× of the raw client.
 */
import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { BENCH_COLLECTION, BENCH_KEYS, benchToken, newBench, report } from './lib.js';

export default async function run(): Promise<void> {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host) {
    console.log('\n## firestore\n  skipped: set FIRESTORE_EMULATOR_HOST to run it against the emulator');
    return;
  }
  const projectId = `oakv-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const raw = new Firestore({ projectId });
  const store = new FirestoreStore({ projectId });
  try {
    const c = BENCH_COLLECTION;
    const rc = raw.collection('raw-mcp-upstream-tokens');
    const value = benchToken();
    const keys = [...BENCH_KEYS];
    const entries = keys.map((k) => [k, value] as const);
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
    /** The py-key-value document the store writes, built the plain way. */
    const doc = () => {
      const now = Date.now();
      return {
        version: 1,
        value: JSON.stringify(value),
        created_at: iso(now),
        expires_at: iso(now + 3_600_000),
      };
    };
    const parse = (data: FirebaseFirestore.DocumentData | undefined) => {
      if (data === undefined) throw new Error('missing');
      if (Date.parse(data.expires_at as string) <= Date.now()) return undefined;
      return JSON.parse(data.value as string) as unknown;
    };
    await store.putMany(entries, { collection: c, ttl: 3600 });
    const seed = raw.batch();
    for (const k of keys) seed.set(rc.doc(k), doc());
    await seed.commit();
    const refs = keys.map((k) => rc.doc(k));

    const bench = newBench({ time: 1500 });
    bench
      .add('oauth-kv get', async () => {
        await store.get('token-1', { collection: c });
      })
      .add('raw firestore get', async () => {
        parse((await rc.doc('token-1').get()).data());
      })
      .add('oauth-kv put', async () => {
        await store.put('put-1', value, { collection: c, ttl: 3600 });
      })
      .add('raw firestore set', async () => {
        await rc.doc('put-1').set(doc());
      })
      .add('oauth-kv getMany(100)', async () => {
        await store.getMany(keys, { collection: c });
      })
      .add('raw firestore getAll(100)', async () => {
        (await raw.getAll(...refs)).map((s) => parse(s.data()));
      })
      .add('oauth-kv putMany(100)', async () => {
        await store.putMany(entries, { collection: c, ttl: 3600 });
      })
      .add('raw firestore batch(100)', async () => {
        const batch = raw.batch();
        for (const ref of refs) batch.set(ref, doc());
        await batch.commit();
      });
    await report('firestore', bench, {
      'get / raw': ['oauth-kv get', 'raw firestore get'],
      'put / raw': ['oauth-kv put', 'raw firestore set'],
      'getMany(100) / raw getAll': ['oauth-kv getMany(100)', 'raw firestore getAll(100)'],
      'putMany(100) / raw batch': ['oauth-kv putMany(100)', 'raw firestore batch(100)'],
    });
  } finally {
    await store.close();
    await raw.terminate();
    await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
      method: 'DELETE',
    }).catch(() => undefined);
  }
}
