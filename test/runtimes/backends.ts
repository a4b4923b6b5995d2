/**
 * The stores with a backend (FileStore, PostgreSQL, Redis) on runtimes that can reach them (Bun and
 * Deno; a Worker has no file system and no raw TCP to these servers). Each writes, reads, takes once
 * and reads expiry, plain and encrypted, and removes what it wrote. The modules come from the
 * caller, which imports them from the installed package.
 */
import type { Check, Lib } from './checks.js';

export interface BackendModules {
  lib: Lib;
  file: typeof import('../../src/stores/file/index.js');
  postgres: typeof import('../../src/stores/postgres/index.js');
  redis: typeof import('../../src/stores/redis/index.js');
  /** The `pg` driver, to drop the table afterwards. */
  pg: typeof import('pg').default;
}

export interface BackendSettings {
  /** A directory the FileStore may create. */
  directory: string;
  postgresUrl?: string | undefined;
  redisUrl?: string | undefined;
  /** Unique per run: the PostgreSQL table and the Redis key prefix. */
  suffix: string;
}

async function roundTrip(lib: Lib, inner: import('../../src/contract.js').AsyncKeyValue): Promise<void> {
  const key = lib.generateFernetKey();
  const store = lib.withEncryption(inner, { keys: [key], bindToKey: true });
  for (const target of [inner, store]) {
    await target.put(
      'client',
      { client_id: 'c1', n: 1.5, list: [1, 'two', null] },
      { collection: 'runtime' },
    );
    const read = await target.get('client', { collection: 'runtime' });
    // PostgreSQL's JSONB orders keys its own way: compare them sorted.
    const sorted =
      read && JSON.stringify(Object.fromEntries(Object.entries(read).sort(([a], [b]) => a.localeCompare(b))));
    if (sorted !== '{"client_id":"c1","list":[1,"two",null],"n":1.5}')
      throw new Error(`read back ${JSON.stringify(read)}`);
    await target.put('code', { c: 1 }, { collection: 'runtime', ttl: 120 });
    const ttl = await target.ttl('code', { collection: 'runtime' });
    if (ttl.ttl === undefined || ttl.ttl > 120 || ttl.ttl < 100) throw new Error(`ttl ${ttl.ttl}`);
    const first = await target.take('code', { collection: 'runtime' });
    const second = await target.take('code', { collection: 'runtime' });
    if (JSON.stringify(first) !== '{"c":1}' || second !== undefined)
      throw new Error('take is not single use');
    if (!(await target.delete('client', { collection: 'runtime' }))) throw new Error('delete found nothing');
  }
  const raw = await inner.get('client', { collection: 'runtime' });
  if (raw !== undefined) throw new Error('the entry survived its delete');
}

export function backendChecks(modules: BackendModules, settings: BackendSettings): Check[] {
  const { lib } = modules;
  const checks: Check[] = [
    {
      name: 'FileStore: plain and encrypted round trip, TTL, take once',
      run: async () => {
        await using store = new modules.file.FileStore({ directory: settings.directory });
        await roundTrip(lib, store);
      },
    },
  ];
  if (settings.postgresUrl) {
    const url = settings.postgresUrl;
    checks.push({
      name: 'PostgresStore: plain and encrypted round trip, TTL, take once',
      run: async () => {
        const table = `oakv_runtime_${settings.suffix}`;
        const pool = new modules.pg.Pool({ connectionString: url });
        try {
          await using store = new modules.postgres.PostgresStore({ pool, table });
          await roundTrip(lib, store);
        } finally {
          await pool.query(`DROP TABLE IF EXISTS "${table}"`);
          await pool.end();
        }
      },
    });
  }
  if (settings.redisUrl) {
    const url = settings.redisUrl;
    checks.push({
      name: 'RedisStore: plain and encrypted round trip, TTL, take once',
      run: async () => {
        await using store = new modules.redis.RedisStore({
          url,
          keyPrefix: `oakv-runtime-${settings.suffix}:`,
        });
        await roundTrip(lib, store);
        await store.destroyCollection('runtime');
      },
    });
  }
  return checks;
}
