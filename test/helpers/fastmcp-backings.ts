/**
 * Real backings for the FastMCP and oidc-provider replica tests: each `open()` creates a NEW store
 * object on the same backing (a PostgreSQL schema unique to this run), the way two server
 * replicas, or one server before and after a restart, each have their own store.
 */
import type { AsyncKeyValue } from '../../src/contract.js';
import { PostgresStore } from '../../src/stores/postgres.js';
import { findBackend, uniqueName } from '../harness/backends.js';

export interface ReplicaBacking {
  name: string;
  available: boolean;
  /** `true` when a new store object on the same backing sees what an earlier one wrote. */
  persistent: boolean;
  setup(): Promise<{ open(): Promise<AsyncKeyValue>; teardown(): Promise<void> }>;
}

/** The real backends this machine offers (skipped with a visible reason when missing). */
export async function fastmcpBackends(): Promise<ReplicaBacking[]> {
  const postgres = await findBackend('postgres');
  return [
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
