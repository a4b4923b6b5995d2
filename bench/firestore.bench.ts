/**
 * FirestoreStore against the floor: the raw `@google-cloud/firestore` client making the same calls
 * (document get / set, one getAll, one batch of 100 sets) and parsing the same documents, on the
 * emulator at FIRESTORE_EMULATOR_HOST. Without it the suite prints a skip line. Each run uses its
 * own project id and deletes its documents afterwards through the emulator's REST endpoint.
 *
 * Target: every operation within 1.25× of the raw client. Paired and interleaved (`comparePaired`,
 * BENCH_REPS repetitions), written to bench/results/firestore.json.
 */
import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { BENCH_COLLECTION, BENCH_KEYS, benchToken, comparePaired } from './lib.js';

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

    await comparePaired('firestore', [
      {
        label: 'get / raw firestore get',
        target: '<= 1.25',
        a: { name: 'oauth-kv get', run: () => store.get('token-1', { collection: c }) },
        b: { name: 'raw firestore get', run: async () => parse((await rc.doc('token-1').get()).data()) },
        iterations: 300,
      },
      {
        label: 'put / raw firestore set',
        target: '<= 1.25',
        a: { name: 'oauth-kv put', run: () => store.put('put-1', value, { collection: c, ttl: 3600 }) },
        b: { name: 'raw firestore set', run: () => rc.doc('put-1').set(doc()) },
        iterations: 300,
      },
      {
        label: 'getMany(100) / raw getAll',
        target: '<= 1.25',
        a: { name: 'oauth-kv getMany(100)', run: () => store.getMany(keys, { collection: c }) },
        b: {
          name: 'raw firestore getAll(100)',
          run: async () => (await raw.getAll(...refs)).map((s) => parse(s.data())),
        },
        iterations: 80,
      },
      {
        label: 'putMany(100) / raw batch',
        target: '<= 1.25',
        a: {
          name: 'oauth-kv putMany(100)',
          run: () => store.putMany(entries, { collection: c, ttl: 3600 }),
        },
        b: {
          name: 'raw firestore batch(100)',
          run: () => {
            const batch = raw.batch();
            for (const ref of refs) batch.set(ref, doc());
            return batch.commit();
          },
        },
        iterations: 60,
      },
    ]);
  } finally {
    await store.close();
    await raw.terminate();
    await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
      method: 'DELETE',
    }).catch(() => undefined);
  }
}
