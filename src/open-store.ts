/**
 * What {@link createStore} does: parse the URL, pick the backend, import its module and driver,
 * construct it, wrap it with encryption. Internal, and outside the root entry's module graph:
 * src/create-store.ts imports it on the first call (the build makes it dist/open-store.js and
 * dist/open-store.cjs), so `import('oauth-kv')` does not parse it.
 * @module
 */
import { loadPeer } from './backend/kit.js';
import { scrubbedMessage } from './backend/scrub.js';
import type { AsyncKeyValue } from './contract.js';
import type { CreateStoreOptions, OpenedStore } from './create-store.js';
import type { FernetKey } from './crypto/fernet.js';
import { StoreSetupError } from './errors.js';
import { MemoryStore } from './stores/memory.js';
import { parseStoreUrl, type StoreSpec } from './url/parse.js';
import { type EncryptionWrapper, withEncryption } from './wrappers/encryption.js';

/** {@link createStore}'s work, once this module is loaded (see `openStoreUrl`). */
export async function openStoreUrlNow(
  url: string | undefined,
  options: CreateStoreOptions = {},
): Promise<OpenedStore> {
  if (typeof options !== 'object' || options === null) {
    throw new StoreSetupError('createStore options must be an object');
  }
  const env = options.env ?? process.env;
  const spec = parseStoreUrl(url ?? env.OAUTH_KV_URL ?? missingUrl(), options.cwd);
  const keys = keysFrom(options.keys, env);
  const extra = { ...(options.storeOptions ?? {}) };
  const raw = await openSpec(spec, extra);
  if (keys === undefined) return { store: raw, raw, encrypted: undefined, spec };
  let encrypted: EncryptionWrapper;
  try {
    encrypted = withEncryption(raw, { ...options.encryption, keys });
  } catch (err) {
    await raw.close().catch(() => {});
    throw err;
  }
  return { store: encrypted, raw, encrypted, spec };
}

function missingUrl(): never {
  throw new StoreSetupError('No store URL given and OAUTH_KV_URL is not set');
}

/** The keys to encrypt with, or `undefined` for none. */
function keysFrom(
  given: CreateStoreOptions['keys'],
  env: Readonly<Record<string, string | undefined>>,
): readonly FernetKey[] | undefined {
  if (given === false) return undefined;
  if (given !== undefined) {
    const list = Array.isArray(given) ? (given as readonly FernetKey[]) : [given as FernetKey];
    return list.length === 0 ? undefined : list;
  }
  const fromEnv = (env.OAUTH_KV_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return fromEnv.length === 0 ? undefined : fromEnv;
}

/** Imports the store module of `spec`, checks its driver is installed, and constructs the store. */
async function openSpec(spec: StoreSpec, extra: Record<string, unknown>): Promise<AsyncKeyValue> {
  switch (spec.kind) {
    case 'memory': {
      return new MemoryStore(extra);
    }
    case 'file': {
      const { FileStore } = await loadEntry<typeof import('./stores/file/index.js')>('file');
      return new FileStore({ ...extra, directory: spec.directory });
    }
    case 'redis':
    case 'redis-sentinel':
    case 'redis-cluster': {
      await loadDriver('RedisStore', 'ioredis');
      const { RedisStore } = await loadEntry<typeof import('./stores/redis/index.js')>('redis');
      const prefix = spec.keyPrefix === undefined ? {} : { keyPrefix: spec.keyPrefix };
      if (spec.kind === 'redis') return new RedisStore({ ...extra, ...prefix, url: spec.url });
      if (spec.kind === 'redis-cluster')
        return new RedisStore({ ...extra, ...prefix, clusterNodes: spec.nodes });
      const given = (extra.redisOptions ?? {}) as Record<string, unknown>;
      return new RedisStore({ ...extra, ...prefix, redisOptions: { ...given, ...sentinelOptions(spec) } });
    }
    case 'postgres': {
      await loadDriver('PostgresStore', 'pg');
      const { PostgresStore } = await loadEntry<typeof import('./stores/postgres/index.js')>('postgres');
      return new PostgresStore({
        ...extra,
        url: spec.url,
        ...defined({ schema: spec.schema, table: spec.table, createTable: spec.createTable }),
      });
    }
    case 'keyv': {
      await loadDriver('KeyvStore', 'keyv');
      const pkg = spec.adapter === 'redis' ? '@keyv/redis' : '@keyv/postgres';
      const Adapter = classOf(await loadDriver('KeyvStore', pkg), pkg);
      const { KeyvStore } = await loadEntry<typeof import('./stores/keyv/index.js')>('keyv');
      let adapter: object;
      try {
        adapter =
          spec.adapter === 'redis'
            ? new Adapter(spec.url, { throwOnConnectError: true, connectionTimeout: KEYV_CONNECT_MS })
            : new Adapter({ uri: spec.url, ...defined({ table: spec.table, schema: spec.schema }) });
      } catch (err) {
        throw new StoreSetupError(`${pkg} refused the URL: ${described(err, spec.url)}`);
      }
      // The adapters are event emitters: an "error" with no listener would end the process.
      let failed: unknown;
      (adapter as { on?: (event: string, f: (err: unknown) => void) => void }).on?.('error', (err) => {
        failed ??= err;
      });
      if (spec.adapter === 'postgres') {
        // @keyv/postgres connects and creates its table in its constructor, and a failure there
        // only reaches the "error" event: wait for it, so it fails here as what it is.
        const query = (adapter as { query: (sql: string) => Promise<unknown> }).query;
        await query('SELECT 1').catch((err: unknown) => {
          failed ??= err;
        });
        if (failed !== undefined) {
          await (adapter as { disconnect(): Promise<void> }).disconnect().catch(() => {});
          throw new StoreSetupError(
            `${pkg} could not connect or create its table: ${described(failed, spec.url)}`,
          );
        }
      }
      return new KeyvStore(adapter as Map<unknown, unknown>, {
        ...extra,
        ...defined({ namespace: spec.namespace }),
        closeAdapter: true,
      });
    }
    case 'firestore': {
      await loadDriver('FirestoreStore', '@google-cloud/firestore');
      const { FirestoreStore } = await loadEntry<typeof import('./stores/firestore/index.js')>('firestore');
      return new FirestoreStore({
        ...extra,
        projectId: spec.projectId,
        ...defined({ databaseId: spec.databaseId, rootPath: spec.rootPath }),
      });
    }
  }
}

/** The ioredis options that reach the master a `redis+sentinel://` URL names through its Sentinels. */
export function sentinelOptions(
  spec: Extract<StoreSpec, { kind: 'redis-sentinel' }>,
): Record<string, unknown> {
  const tls = spec.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {};
  return {
    sentinels: spec.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: spec.name,
    ...defined({
      db: spec.db,
      username: spec.username,
      password: spec.password,
      sentinelPassword: spec.sentinelPassword,
    }),
    ...tls,
  };
}

function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

// ---- loading a backend on demand ----------------------------------------------------------------
// The root entry (which holds createStore) must bundle for runtimes without Node built-ins or the
// drivers (Workers): a bundler resolves every import it can read, dynamic ones included, so the
// backend entries and drivers are loaded through specifiers it cannot read, only when their scheme
// is used. Each build loads its own format (the CommonJS build requires the .cjs entry), so error
// classes stay shared with what the caller imported.

declare const __OAUTH_KV_CJS__: boolean | undefined;

/** Where each backend's entry is, from the source tree (tests) and from the built package. */
const ENTRIES = {
  file: ['./stores/file/index.js', 'file'],
  redis: ['./stores/redis/index.js', 'redis'],
  postgres: ['./stores/postgres/index.js', 'postgres'],
  firestore: ['./stores/firestore/index.js', 'firestore'],
  keyv: ['./stores/keyv/index.js', 'keyv'],
} as const;

function loadEntry<T>(name: keyof typeof ENTRIES): Promise<T> {
  const [source, built] = ENTRIES[name];
  if (typeof __OAUTH_KV_CJS__ !== 'boolean') return opaqueImport(source) as Promise<T>;
  if (__OAUTH_KV_CJS__) return Promise.resolve(opaqueRequire(`./${built}.cjs`) as T);
  return opaqueImport(`./${built}.js`) as Promise<T>;
}

/** Loads a driver package, turning "not installed" into a StoreSetupError naming it. */
function loadDriver(store: string, packageName: string): Promise<unknown> {
  return loadPeer(store, packageName, () => opaqueImport(packageName));
}

/** A driver error's message (or code), scrubbed of the URL's credentials. */
function described(err: unknown, url: string): string {
  if (!(err instanceof Error)) return 'unknown error';
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // no password to hide beyond what scrub finds
  }
  const code = (err as { code?: unknown }).code;
  const text = scrubbedMessage(err, [password]);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

/** How long a `keyv+redis://` store waits for its connection, in ms. */
const KEYV_CONNECT_MS = 5_000;

/** The adapter class a Keyv adapter package exports by default (ESM or CommonJS). */
function classOf(mod: unknown, pkg: string): new (...args: unknown[]) => object {
  let value = mod as { default?: unknown } | undefined;
  for (let i = 0; i < 3 && typeof value !== 'function'; i++) value = value?.default as typeof value;
  if (typeof value !== 'function') throw new StoreSetupError(`${pkg} has no default export to construct`);
  return value as unknown as new (
    ...args: unknown[]
  ) => object;
}

function opaqueImport(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

function opaqueRequire(specifier: string): unknown {
  return require(specifier);
}
