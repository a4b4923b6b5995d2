/**
 * The backings of the better-auth replica tests: `open()` makes a NEW store object on one Redis key
 * prefix or one PostgreSQL schema unique to the run (a replica, or a replica after a restart), and
 * `dump()` is everything stored there, read below every oauth-kv layer, as one text to scan.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import type { AsyncKeyValue } from '../../src/contract.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { uniqueName } from '../harness/backends.js';

/** One backing: how to open a store instance on it, and everything stored there as text. */
export interface Backing {
  open(): AsyncKeyValue;
  dump(): Promise<string>;
  drop(): Promise<void>;
}

/** Every key and value under a fresh key prefix (`tag` names the run's keys). */
export function redisBacking(url: string, tag: string): Backing {
  const prefix = `${uniqueName(tag)}:`;
  const raw = new Redis(url);
  return {
    open: () => new RedisStore({ url, keyPrefix: prefix }),
    async dump() {
      const keys = await raw.keys(`${prefix}*`);
      const values = keys.length === 0 ? [] : await raw.mget(keys);
      return JSON.stringify([keys, values]);
    },
    async drop() {
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      raw.disconnect();
    },
  };
}

/** Every row of the store's table in a fresh schema (`tag` names the schema). */
export async function postgresBacking(url: string, tag: string): Promise<Backing> {
  const schema = uniqueName(tag);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  return {
    open: () => new PostgresStore({ url, schema }),
    async dump() {
      const rows = await client.query(`SELECT collection, key, value::text AS v FROM "${schema}".kv_store`);
      return JSON.stringify(rows.rows);
    },
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
