/**
 * Real backings for the FastMCP and oidc-provider replica tests: each `open()` creates a NEW store
 * object on the same backing (a PostgreSQL schema unique to this run), the way two server
 * replicas, or one server before and after a restart, each have their own store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncKeyValue } from '../../src/contract.js';
import { FileStore } from '../../src/stores/file/index.js';
import { FirestoreStore } from '../../src/stores/firestore/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { PostgresStore } from '../../src/stores/postgres.js';
import { RedisStore } from '../../src/stores/redis.js';
import { findBackend, uniqueName } from '../harness/backends.js';
import { emulatorProject } from './firestore-emulator.js';

export interface ReplicaBacking {
  name: string;
  available: boolean;
  /** `true` when a new store object on the same backing sees what an earlier one wrote. */
  persistent: boolean;
  setup(): Promise<{ open(): Promise<AsyncKeyValue>; teardown(): Promise<void> }>;
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
      return { open: async () => store, teardown: () => store.close() };
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
        };
      },
    },
  ];
}
