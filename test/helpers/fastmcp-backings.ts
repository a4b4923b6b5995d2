/**
 * Real backings for the FastMCP and oidc-provider replica tests: each `open()` creates a NEW store
 * object on the same backing (a PostgreSQL schema unique to this run), the way two server
 * replicas, or one server before and after a restart, each have their own store.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncKeyValue } from '../../src/contract.js';
import { decodeFileName, FileStore } from '../../src/stores/file/index.js';
import { FirestoreStore } from '../../src/stores/firestore/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { findBackend, uniqueName } from '../harness/backends.js';
import { emulatorProject } from './firestore-emulator.js';

export interface ReplicaBacking {
  name: string;
  available: boolean;
  /** `true` when a new store object on the same backing sees what an earlier one wrote. */
  persistent: boolean;
  setup(): Promise<BackingEnv>;
}

export interface BackingEnv {
  open(): Promise<AsyncKeyValue>;
  teardown(): Promise<void>;
  /**
   * Everything the backing holds for this run, read below every oauth-kv layer: each key (raw and,
   * where the backend encodes names, decoded) and each raw value, as text. The files on disk for
   * FileStore, every key and value under the run's prefix for Redis, every row of the run's schema
   * for PostgreSQL, every document of the run's project for Firestore.
   */
  dump(): Promise<string[]>;
}

/**
 * Every backing the replica tests run on: one MemoryStore instance shared by all replicas (not
 * persistent), then the real backends.
 */
export async function replicaBackings(): Promise<ReplicaBacking[]> {
  const shared: ReplicaBacking = {
    name: 'MemoryStore (one instance shared)',
    available: true,
    persistent: false,
    setup: async () => {
      const store = new MemoryStore({ sweepIntervalMs: 0 });
      return {
        open: async () => store,
        teardown: () => store.close(),
        // The MemoryStore is the backing itself: its collections, keys and stored values.
        dump: async () => {
          const out: string[] = [];
          for (const collection of await store.collections()) {
            out.push(collection);
            for (const key of (await store.keys(collection, { limit: 100_000 })).keys) {
              out.push(key, JSON.stringify(await store.get(key, { collection })));
            }
          }
          return out;
        },
      };
    },
  };
  return [shared, ...(await fastmcpBackends())];
}

/** The real backends this machine offers (skipped with a visible reason when missing). */
async function fastmcpBackends(): Promise<ReplicaBacking[]> {
  const postgres = await findBackend('postgres');
  const redis = await findBackend('redis');
  const firestore = await findBackend('firestore');
  return [
    {
      name: `FirestoreStore ${firestore.description}`,
      available: firestore.available,
      persistent: true,
      setup: async () => {
        const project = emulatorProject(firestore.url, 'oakv-integrations');
        return {
          open: async () => new FirestoreStore({ projectId: project.projectId }),
          teardown: async () => {
            await project.dispose();
            await firestore.stop();
          },
          dump: async () => {
            const out: string[] = [];
            for (const collection of await project.raw.listCollections()) {
              out.push(collection.id);
              for (const doc of (await collection.get()).docs) {
                out.push(doc.id, JSON.stringify(doc.data()));
              }
            }
            return out;
          },
        };
      },
    },
    {
      name: 'FileStore (temporary directory)',
      available: true,
      persistent: true,
      setup: async () => {
        const directory = await mkdtemp(join(tmpdir(), 'oauth-kv-integrations-'));
        return {
          open: async () => new FileStore({ directory }),
          teardown: () => rm(directory, { recursive: true, force: true }),
          dump: async () => {
            const out: string[] = [];
            for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
              const name = entry.name.endsWith('.json') ? entry.name.slice(0, -5) : entry.name;
              out.push(entry.name, decodeFileName(name) ?? '');
              if (entry.isFile()) out.push(await readFile(join(entry.parentPath, entry.name), 'utf8'));
            }
            return out;
          },
        };
      },
    },
    {
      name: `RedisStore ${redis.description}`,
      available: redis.available,
      persistent: true,
      setup: async () => {
        const keyPrefix = `${uniqueName('oauthkv_integrations')}:`;
        return {
          open: async () => new RedisStore({ url: redis.url, keyPrefix }),
          teardown: async () => {
            // Only this run's keys: every collection under the unique prefix.
            const cleaner = new RedisStore({ url: redis.url, keyPrefix });
            for (const collection of await cleaner.collections()) await cleaner.destroyCollection(collection);
            await cleaner.close();
            await redis.stop();
          },
          dump: async () => {
            const { Redis } = await import('ioredis');
            const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
            try {
              await raw.connect();
              const out: string[] = [];
              let cursor = '0';
              do {
                const [next, keys] = await raw.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
                cursor = next;
                for (const key of keys) {
                  const value = (await raw.type(key)) === 'string' ? await raw.get(key) : await raw.dump(key);
                  out.push(key, value ?? '');
                }
              } while (cursor !== '0');
              return out;
            } finally {
              raw.disconnect();
            }
          },
        };
      },
    },
    {
      name: `PostgresStore ${postgres.description}`,
      available: postgres.available,
      persistent: true,
      setup: async () => {
        const { default: pg } = await import('pg');
        const schema = uniqueName('oauthkv_integrations');
        const admin = new pg.Pool({ connectionString: postgres.url, max: 1 });
        admin.on('error', () => {});
        await admin.query(`CREATE SCHEMA "${schema}"`);
        return {
          open: async () =>
            new PostgresStore({ poolConfig: { connectionString: postgres.url, max: 4 }, schema }),
          teardown: async () => {
            await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
            await admin.end();
            await postgres.stop();
          },
          dump: async () => {
            const out: string[] = [];
            const tables = await admin.query<{ table_name: string }>(
              'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
              [schema],
            );
            for (const { table_name: table } of tables.rows) {
              const rows = await admin.query<{ row: string }>(
                `SELECT row_to_json(t)::text AS row FROM "${schema}"."${table}" t`,
              );
              out.push(table, ...rows.rows.map(({ row }) => row));
            }
            return out;
          },
        };
      },
    },
  ];
}
