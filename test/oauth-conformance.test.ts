/**
 * The OAuth certification (describeOAuthConformance) on every bundled store that announces atomic
 * take/putIfAbsent, plain and encrypted, and the suites' setup and cleanup hooks on a real
 * PostgreSQL: what a run wrote is gone afterwards. (KeyvStore, which is not atomic, fails the
 * certification: test/conformance-self.test.ts checks it does, and why.)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { describeConformance, describeOAuthConformance } from '../src/conformance/index.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { FileStore } from '../src/stores/file/index.js';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { PostgresStore } from '../src/stores/postgres/index.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type EmulatorProject, emulatorProject } from './helpers/firestore-emulator.js';

const postgres = await findBackend('postgres');
const redis = await findBackend('redis');
const firestore = await findBackend('firestore');
const project: EmulatorProject | undefined = firestore.available
  ? emulatorProject(firestore.url, 'oakv-oauth')
  : undefined;
afterAll(async () => {
  await project?.dispose();
  await Promise.all([postgres.stop(), redis.stop(), firestore.stop()]);
});

describeOAuthConformance('MemoryStore', { createStore: () => new MemoryStore(), sharedBacking: false });

const fileDir = mkdtempSync(join(tmpdir(), 'oauth-kv-oauth-conf-'));
describeOAuthConformance('FileStore', {
  createStore: () => new FileStore({ directory: fileDir }),
  cleanup: () => {
    // The suite deleted every entry it wrote: no entry file is left in any collection directory.
    const left = readdirSync(fileDir, { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && e.name.endsWith('.json'),
    );
    rmSync(fileDir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`the certification left ${left.length} entry files behind`);
  },
});

describe.skipIf(!postgres.available)(`on PostgreSQL ${postgres.description}`, () => {
  const admin = new pg.Pool({ connectionString: postgres.url, max: 2 });
  admin.on('error', () => {});
  afterAll(() => admin.end());
  const count = async (schema: string) =>
    Number((await admin.query(`SELECT count(*) AS n FROM "${schema}".kv_store`)).rows[0].n);

  for (const [suite, register] of [
    ['OAuth certification', describeOAuthConformance],
    ['store conformance', describeConformance],
  ] as const) {
    const schema = uniqueName('oauthkv_hooks');
    let rowsAfter: number | undefined;
    describe(`${suite}, schema made by setup, rows removed by the suite`, () => {
      const options = {
        createStore: () => new PostgresStore({ url: postgres.url, schema }),
        setup: async () => void (await admin.query(`CREATE SCHEMA "${schema}"`)),
        cleanup: async () => {
          rowsAfter = await count(schema);
          await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
        },
        ttlSlack: 0.2,
      };
      if (register === describeOAuthConformance) register('PostgresStore', options);
      else {
        const skip = {
          'names.nul': 'PostgreSQL TEXT cannot hold U+0000: such names are refused (docs/postgres.md)',
        };
        describeConformance('PostgresStore', { ...options, persistent: true, skip });
      }
    });
    test(`after the ${suite}, the table it wrote to is empty and setup's schema is dropped`, async () => {
      expect(rowsAfter).toBe(0);
      const left = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(left.rowCount).toBe(0);
    });
  }

  const key = generateFernetKey();
  const schema = uniqueName('oauthkv_enc');
  describeOAuthConformance('withEncryption(PostgresStore)', {
    createStore: () => withEncryption(new PostgresStore({ url: postgres.url, schema }), { keys: key }),
    setup: async () => void (await admin.query(`CREATE SCHEMA "${schema}"`)),
    cleanup: async () => void (await admin.query(`DROP SCHEMA "${schema}" CASCADE`)),
  });
});

describe.skipIf(!redis.available)(`on Redis ${redis.description}`, () => {
  const prefix = `${uniqueName('oauthkv')}:`;
  describeOAuthConformance('RedisStore', {
    createStore: () => new RedisStore({ url: redis.url, keyPrefix: prefix }),
    ttlSlack: 0.2,
  });
});

describe.skipIf(!firestore.available)(`on the Firestore emulator ${firestore.description}`, () => {
  describeOAuthConformance('FirestoreStore', {
    createStore: () => new FirestoreStore({ projectId: (project as EmulatorProject).projectId }),
    raceTimeoutMs: 120_000,
  });
});
