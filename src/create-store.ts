/**
 * `createStore(url)`: a store from one URL, optionally encrypted, each driver imported only when its
 * scheme is used. What it does is in ./open-store.ts, loaded on the first call: the URL parsing and
 * the backend table are not part of what `import('oauth-kv')` parses (docs/benchmarks.md, "Import
 * (cold start)").
 * @module
 */
import type { AsyncKeyValue } from './contract.js';
import type { FernetKey } from './crypto/fernet.js';
import type { StoreSpec } from './url/parse.js';
import type { EncryptionOptions, EncryptionWrapper } from './wrappers/encryption.js';

/**
 * Options of {@link createStore}.
 *
 * @example
 * ```ts
 * import { createStore, type CreateStoreOptions } from 'oauth-kv';
 *
 * const options: CreateStoreOptions = {
 *   keys: [process.env.NEW_KEY!, process.env.OLD_KEY!], // newest first
 *   storeOptions: { connectTimeoutMs: 3_000 },
 * };
 * const store = await createStore('redis://127.0.0.1:6379', options);
 * ```
 */
export interface CreateStoreOptions {
  /**
   * Fernet keys, newest first: the store is wrapped with `withEncryption`. Default: the keys in the
   * `OAUTH_KV_KEY` environment variable (comma-separated, newest first), or no encryption when it
   * is unset or empty. `false`: no encryption, whatever the environment says.
   */
  keys?: FernetKey | readonly FernetKey[] | false | undefined;
  /** The other options of the encryption wrapper (`bindToKey`, `allowPlaintext`, ...). */
  encryption?: Omit<EncryptionOptions, 'keys'> | undefined;
  /**
   * Extra constructor options of the store the URL names (`connectTimeoutMs`, `fsync`,
   * `cullIntervalMs`, ...), checked by that store. What the URL says wins.
   */
  storeOptions?: Readonly<Record<string, unknown>> | undefined;
  /** Where `OAUTH_KV_URL` and `OAUTH_KV_KEY` are read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Directory that relative `file:` paths are resolved against (default `process.cwd()`). */
  cwd?: string | undefined;
}

/** What {@link openStoreUrl} opened: the backend, and what the caller sees (encrypted or not). */
export interface OpenedStore {
  /** The store to use: `raw`, wrapped with encryption when keys were given. */
  readonly store: AsyncKeyValue;
  /** The backend itself, values as stored. */
  readonly raw: AsyncKeyValue;
  /** The encryption wrapper, when keys were given. */
  readonly encrypted: EncryptionWrapper | undefined;
  /** What the URL named. */
  readonly spec: StoreSpec;
}

/**
 * Opens the store a URL names (`OAUTH_KV_URL` when `url` is `undefined`), wrapped with Fernet
 * encryption when keys are given or `OAUTH_KV_KEY` is set. Each backend's module and driver are
 * imported only when its scheme is used, and a missing driver package fails here, not at the first
 * operation.
 *
 * | URL | store |
 * |---|---|
 * | `memory:` | `MemoryStore` |
 * | `file:./data`, `file:/abs/dir`, `file:///abs/dir` | `FileStore` on that directory |
 * | `redis://[user:pw@]host:6379[/db][?prefix=app:]`, `rediss://…` | `RedisStore` |
 * | `redis+sentinel://[user:pw@]h1:26379,h2:26379/master[/db]` (`rediss+sentinel://` for TLS) | `RedisStore` through Sentinel |
 * | `redis+cluster://[user:pw@]h1:7000,h2:7001` (`rediss+cluster://`) | `RedisStore` on a Cluster |
 * | `postgres://user:pw@host/db?schema=oauth&table=kv_store`, `postgresql://…` | `PostgresStore` |
 * | `firestore://PROJECT[/DATABASE][?root=services/mcp]` | `FirestoreStore` |
 * | `keyv+redis://[user:pw@]host:6379[/db][?namespace=oauth]` (`keyv+rediss://`) | `KeyvStore` over `@keyv/redis` |
 * | `keyv+postgres://user:pw@host/db[?namespace=oauth&table=keyv&schema=public]` (`keyv+postgresql://`) | `KeyvStore` over `@keyv/postgres` |
 *
 * An unknown scheme, a malformed URL or a missing driver is a `StoreSetupError` that names the
 * problem and never quotes the URL. Close the store when done.
 *
 * @example
 * ```ts
 * import { createStore } from 'oauth-kv';
 *
 * // OAUTH_KV_URL=postgres://app:pw@db/oauth?schema=oauth  OAUTH_KV_KEY=<fernet key>
 * const store = await createStore();
 * await store.put('client-1', { client_id: 'client-1' }, { collection: 'clients' });
 * await store.close();
 * ```
 */
export async function createStore(url?: string, options: CreateStoreOptions = {}): Promise<AsyncKeyValue> {
  return (await openStoreUrl(url, options)).store;
}

/** {@link createStore}, returning the backend and the encryption wrapper as well (for the CLI). */
export async function openStoreUrl(
  url: string | undefined,
  options: CreateStoreOptions = {},
): Promise<OpenedStore> {
  const { openStoreUrlNow } = await loadOpener();
  return openStoreUrlNow(url, options);
}

declare const __OAUTH_KV_CJS__: boolean | undefined;

/**
 * ./open-store.ts: from the source tree in tests, and in the built package the internal
 * dist/open-store.js (dist/open-store.cjs in the CommonJS build, so its classes are the ones the
 * caller required). The specifiers are literal, so an application's bundler (a Worker's, say)
 * follows them and `createStore('memory:')` works from a bundle, as before.
 */
function loadOpener(): Promise<typeof import('./open-store.js')> {
  if (typeof __OAUTH_KV_CJS__ === 'boolean' && __OAUTH_KV_CJS__) {
    return Promise.resolve(require('./open-store.cjs') as typeof import('./open-store.js'));
  }
  return import('./open-store.js');
}
