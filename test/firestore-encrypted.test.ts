import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { describeConformance } from '../src/conformance/index.js';
import { parseIsoDate } from '../src/entry.js';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend } from './harness/backends.js';
import { decryptPyKeyValue, type EmulatorProject, emulatorProject } from './helpers/firestore-emulator.js';

const backend = await findBackend('firestore');
const project: EmulatorProject | undefined = backend.available
  ? emulatorProject(backend.url, 'oakv-fs-enc')
  : undefined;
afterAll(async () => {
  await project?.dispose();
  await backend.stop();
});

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/vectors/py-key-value/firestore-documents.json', import.meta.url), 'utf8'),
) as Array<{ path: string; document: Record<string, unknown>; fernet_key: string; value: unknown }>;
const KEY = vectors[0]!.fernet_key;

describe.skipIf(!backend.available)(`Encrypted FirestoreStore on the emulator ${backend.description}`, () => {
  const p = project as EmulatorProject;

  describeConformance('withEncryption(FirestoreStore)', {
    createStore: () => withEncryption(new FirestoreStore({ projectId: p.projectId }), { keys: KEY }),
    persistent: true,
    sharedBacking: true,
    // The stored form (base64 of a base64 Fernet token) is about 16/9 of the JSON: 1 MiB documents
    // hold values up to about 580 kB.
    largeValueBytes: 500_000,
    modelRuns: 10,
  });

  test('the document Python wrote decrypts to the value Python encrypted', async () => {
    const vector = vectors[0]!;
    const [collection, key] = vector.path.split('/') as [string, string];
    await p.raw.doc(vector.path).set(vector.document);
    const expiresAt = parseIsoDate(vector.document.expires_at as string) as number;
    const store = withEncryption(
      new FirestoreStore({ projectId: p.projectId, clock: () => expiresAt - 60_000 }),
      {
        keys: KEY,
      },
    );
    expect(await store.get(key, { collection })).toEqual(vector.value);
    await store.close();
  });

  test('what we write encrypted is a document Python can decrypt', async () => {
    const store = withEncryption(new FirestoreStore({ projectId: p.projectId }), { keys: KEY });
    const value = { client_id: 'mcp_1', redirect_uris: ['https://a.example/cb'] };
    await store.put('mcp_1', value, { collection: 'mcp-oauth-proxy-clients', ttl: 3600 });
    const doc = (await p.raw.doc('mcp-oauth-proxy-clients/mcp_1').get()).data() as Record<string, unknown>;
    const stored = JSON.parse(doc.value as string) as {
      __encrypted_data__: string;
      __encryption_version__: number;
    };
    expect(stored.__encryption_version__).toBe(1);
    expect(decryptPyKeyValue(stored, KEY)).toEqual(value);
    await store.close();
  });
});
