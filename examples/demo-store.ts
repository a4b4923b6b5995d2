/**
 * Shared by the demo's processes: where the OAuth state lives and how to open it.
 *
 * - No `--store`: an embedded FileStore per role under the demo directory (no server needed).
 * - `--store redis://…`: RedisStore, keys prefixed `<namespace>:<role>:`.
 * - `--store postgres://…`: PostgresStore, table `<namespace>_<role>`.
 *
 * Every store is wrapped with Fernet encryption; the key is generated once and kept in
 * `<directory>/storage.key` (mode 0600). In production the key comes from a secret manager.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { withEncryption } from '../src/wrappers/encryption.js';

/** What every demo process needs to find the same data. */
export interface DemoConfig {
  /** `undefined` (embedded files), a `redis://` / `rediss://` URL or a `postgres://` URL. */
  store: string | undefined;
  /** The demo directory (key file, and the files of the embedded store). */
  directory: string;
  /** Key prefix (Redis) or table name prefix (PostgreSQL). */
  namespace: string;
}

/** The environment variables the parent passes the config through. */
export function configToEnv(config: DemoConfig): Record<string, string> {
  return {
    OAUTH_KV_DEMO_STORE: config.store ?? '',
    OAUTH_KV_DEMO_DIR: config.directory,
    OAUTH_KV_DEMO_NAMESPACE: config.namespace,
  };
}

/** Reads the config a child process was started with. */
export function configFromEnv(): DemoConfig {
  const directory = process.env.OAUTH_KV_DEMO_DIR;
  const namespace = process.env.OAUTH_KV_DEMO_NAMESPACE;
  if (!directory || !namespace) throw new Error('Start this process through examples/demo.ts');
  return { store: process.env.OAUTH_KV_DEMO_STORE || undefined, directory, namespace };
}

/** The key file path, the key, and whether it was created just now. */
export function loadOrCreateKey(directory: string): { path: string; key: string; created: boolean } {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const path = resolve(join(directory, 'storage.key'));
  try {
    const key = readFileSync(path, 'utf8').trim();
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { path, key, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateFernetKey();
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { path, key, created: true };
}

/** Which backend a `--store` value names. */
export function storeKind(spec: string | undefined): 'file' | 'redis' | 'postgres' {
  if (spec === undefined) return 'file';
  const protocol = new URL(spec).protocol;
  if (protocol === 'redis:' || protocol === 'rediss:') return 'redis';
  if (protocol === 'postgres:' || protocol === 'postgresql:') return 'postgres';
  throw new Error(`--store must be a redis://, rediss:// or postgres:// URL, got ${protocol}`);
}

/** A URL without its password, for printing. */
export function redact(spec: string): string {
  const url = new URL(spec);
  if (url.password) url.password = '***';
  return url.href;
}

/** Opens the encrypted store of one role and says where its data lives. */
export async function openDemoStore(
  config: DemoConfig,
  role: 'server' | 'client',
): Promise<{ store: AsyncKeyValue; where: string }> {
  const { key } = loadOrCreateKey(config.directory);
  const kind = storeKind(config.store);
  let inner: AsyncKeyValue;
  let where: string;
  if (kind === 'file') {
    const { FileStore } = await import('../src/stores/file/index.js');
    const directory = resolve(join(config.directory, role));
    inner = new FileStore({ directory });
    where = `files in ${directory}`;
  } else if (kind === 'redis') {
    const { RedisStore } = await import('../src/stores/redis/index.js');
    const keyPrefix = `${config.namespace}:${role}:`;
    inner = new RedisStore({ url: config.store, keyPrefix });
    where = `Redis ${redact(config.store as string)}, keys "${keyPrefix}*"`;
  } else {
    const { PostgresStore } = await import('../src/stores/postgres/index.js');
    const table = `${config.namespace}_${role}`;
    inner = new PostgresStore({ url: config.store, table });
    where = `PostgreSQL ${redact(config.store as string)}, table "${table}"`;
  }
  return { store: withEncryption(inner, { keys: [key] }), where };
}

/** Messages the demo's children send to the parent over IPC. */
export type DemoEvent =
  | { type: 'listening'; url: string; where: string }
  | { type: 'registered'; clientId: string }
  | { type: 'authorized'; clientId: string }
  | { type: 'tokens-issued'; clientId: string; grant: 'authorization_code' | 'refresh_token' }
  | { type: 'tool-call'; clientId: string }
  | {
      type: 'client-result';
      clientId: string;
      registeredNow: boolean;
      loggedInNow: boolean;
      tokensSavedNow: boolean;
      tokenFingerprint: string;
      toolText: string;
      where: string;
    }
  | { type: 'failed'; message: string };

/** Sends an event to the parent (no-op when not started by it); resolves once it is handed over. */
export function emit(event: DemoEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(event, undefined, {}, () => resolve());
  });
}
