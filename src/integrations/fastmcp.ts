/**
 * A FastMCP (TypeScript) `TokenStorage` on any oauth-kv store, so FastMCP's OAuth proxy keeps its
 * registered clients, transactions, authorization codes and token mappings in Redis, PostgreSQL,
 * files or Firestore instead of process memory.
 *
 * This module never imports `fastmcp`: the class matches FastMCP's `TokenStorage` interface
 * structurally (checked against fastmcp 4.20).
 *
 * @example
 * ```ts
 * import { OAuthProvider } from 'fastmcp/auth';
 * import { FastMCPTokenStorage } from 'oauth-kv/fastmcp';
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const auth = new OAuthProvider({
 *   // ...upstream endpoints, client id and secret, baseUrl...
 *   tokenStorage: new FastMCPTokenStorage(new RedisStore({ url: process.env.REDIS_URL })),
 *   jwtSigningKey: process.env.JWT_SIGNING_KEY, // the same on every replica
 *   encryptionKey: process.env.FASTMCP_ENCRYPTION_KEY, // the same on every replica, or false
 * });
 * ```
 * @module
 */
import type { AsyncKeyValue, JsonObject, JsonValue } from '../contract.js';
import { InvalidTTLError, SerializationError, StoreSetupError } from '../errors.js';
import { isPlainObject, validateName } from '../validation.js';
import {
  type Protection,
  type ProtectionOptions,
  refusing,
  resolveProtection,
  unprotectedClientSecret,
} from './protection.js';
import { openSealed } from './sealing.js';

export type { ProtectionOptions } from './protection.js';

/**
 * The collection {@link FastMCPTokenStorage} uses when none is configured.
 *
 * @example
 * ```ts
 * import { FASTMCP_DEFAULT_COLLECTION } from 'oauth-kv/fastmcp';
 * console.log(FASTMCP_DEFAULT_COLLECTION); // "fastmcp-oauth-proxy"
 * ```
 */
export const FASTMCP_DEFAULT_COLLECTION = 'fastmcp-oauth-proxy';

/**
 * The member that holds a value that is not itself a plain object (FastMCP's own encryption
 * stores strings), so every stored entry is still a JSON object.
 */
const WRAPPED = '__oauth_kv_fastmcp_value__';

/** Keys stored as they are (a client id is public); every other key is stored as its hash. */
const PUBLIC_PREFIX = 'client:';

/** The stored member holding a registered client's sealed `clientSecret`. */
const SEALED_CLIENT_SECRET = 'clientSecretSealed';

/**
 * Options of {@link FastMCPTokenStorage}: its own, and the {@link ProtectionOptions} every OAuth
 * integration takes (`hashSecret`, `sealSecret`, `bindRecords`, `allowUnprotectedSecrets`,
 * `onRecordRefused`); see docs/fastmcp.md for what each protects here.
 *
 * @example
 * ```ts
 * const tokenStorage = new FastMCPTokenStorage(store, { collection: 'mcp-prod-oauth' });
 * ```
 */
export interface FastMCPTokenStorageOptions extends ProtectionOptions {
  /**
   * The collection that holds every FastMCP key (`client:…`, `transaction:…`, `code:…`,
   * `mapping:…`, `upstream:…`). Default {@link FASTMCP_DEFAULT_COLLECTION}. Give each FastMCP
   * server its own collection when several share one store.
   */
  collection?: string | undefined;
}

/**
 * FastMCP's `TokenStorage` (`save` / `get` / `delete` / `take` / `cleanup`) on an oauth-kv
 * {@link AsyncKeyValue}.
 *
 * - `take` is the store's atomic `take`: across every replica sharing the store, exactly one
 *   request redeems an authorization code, a transaction or a refresh-token mapping.
 * - Values go through a JSON round trip, as with FastMCP's own `EncryptedTokenStorage` and
 *   `DiskStore`: `Date`s come back as ISO strings (FastMCP's schemas accept both) and `undefined`
 *   members are dropped. A value with no JSON form (`undefined`, a function, a BigInt, a cycle)
 *   is rejected with a {@link SerializationError} and nothing is written.
 * - `ttl` is in seconds, as in FastMCP: `undefined` or `0` means no expiry (the meaning FastMCP's
 *   `MemoryTokenStorage` and `DiskStore` give it), a negative TTL means already expired (the key
 *   is deleted, nothing is written), `NaN`, `Infinity` and non-numbers throw {@link InvalidTTLError}.
 * - `cleanup()` calls the store's `cull()` when the store supports it; stores with native expiry
 *   (Redis) need nothing.
 * - No bearer value is readable in the store. Every key but `client:<id>` (`code:…`,
 *   `transaction:…`, `mapping:…`, `upstream:…`) is stored as `<kind>:<hash>` (HMAC-SHA-256 under a
 *   secret derived from the encryption keys, or `hashSecret`; SHA-256 without either) and its value
 *   is sealed (AES-256-GCM) under a key derived from FastMCP's key, which the store never holds. A
 *   registered client stays readable but for its `clientSecret`, sealed under a secret kept outside
 *   the store; without any key material storing one throws {@link StoreSetupError} unless
 *   `allowUnprotectedSecrets` is set.
 * - Under encryption every record is bound to its place (`bindRecords`); a moved, copied, tampered
 *   or foreign record is refused (`onRecordRefused` gets the typed error) and reads as `null`, which
 *   FastMCP answers like an unknown code or token.
 *
 * The storage does not own the store: close the store yourself when the server stops.
 *
 * @example
 * ```ts
 * import { OAuthProxy } from 'fastmcp/auth';
 * import { withEncryption } from 'oauth-kv';
 * import { FastMCPTokenStorage } from 'oauth-kv/fastmcp';
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * const store = withEncryption(new PostgresStore({ url: process.env.DATABASE_URL }), {
 *   keys: [process.env.OAUTH_KV_KEY!],
 * });
 * const proxy = new OAuthProxy({
 *   baseUrl: 'https://mcp.example.com',
 *   upstreamAuthorizationEndpoint: 'https://idp.example.com/authorize',
 *   upstreamTokenEndpoint: 'https://idp.example.com/token',
 *   upstreamClientId: process.env.UPSTREAM_CLIENT_ID!,
 *   upstreamClientSecret: process.env.UPSTREAM_CLIENT_SECRET!,
 *   jwtSigningKey: process.env.JWT_SIGNING_KEY!,
 *   encryptionKey: false, // oauth-kv's encryption wrapper encrypts instead (see docs/fastmcp.md)
 *   tokenStorage: new FastMCPTokenStorage(store),
 * });
 * ```
 */
export class FastMCPTokenStorage {
  readonly #store: AsyncKeyValue;
  readonly #collection: string;
  readonly #protection: Protection;

  constructor(store: AsyncKeyValue, options: FastMCPTokenStorageOptions = {}) {
    if (store === null || typeof store !== 'object' || typeof store.take !== 'function') {
      throw new StoreSetupError('FastMCPTokenStorage needs an oauth-kv store (an AsyncKeyValue)');
    }
    const collection = options.collection ?? FASTMCP_DEFAULT_COLLECTION;
    validateName(collection, 'collection');
    this.#store = store;
    this.#collection = collection;
    this.#protection = resolveProtection(store, options);
  }

  /** The collection this storage writes to. */
  get collection(): string {
    return this.#collection;
  }

  /**
   * Stores `value` under `key` for `ttl` seconds (see the class notes for `0` and negatives).
   *
   * @example
   * ```ts
   * await tokenStorage.save('code:abc', { clientId: 'c1', expiresAt: new Date() }, 300);
   * ```
   */
  async save(key: string, value: unknown, ttl?: number): Promise<void> {
    validateName(key, 'key');
    const expiry = normalizeTtl(ttl);
    const stored = encode(value);
    if (expiry === 'expired') {
      await this.#store.deleteMany(this.#keys(key), { collection: this.#collection });
      return;
    }
    const storedKey = this.#keys(key)[0] as string;
    const record = this.#seal(key, storedKey, stored);
    await this.#store.put(storedKey, record, { collection: this.#collection, ttl: expiry });
  }

  /**
   * The value stored under `key`, or `null` when it is missing or expired.
   *
   * @example
   * ```ts
   * const client = await tokenStorage.get('client:abc'); // null when unknown
   * ```
   */
  async get(key: string): Promise<unknown> {
    validateName(key, 'key');
    const keys = this.#keys(key);
    const value = await refusing(this.#protection, this.#collection, async () => {
      const found = await this.#store.getMany(keys, { collection: this.#collection });
      const index = found.findIndex((record) => record !== undefined);
      return index < 0 ? null : this.#open(key, keys[index] as string, index, found[index] as JsonObject);
    });
    return value ?? null;
  }

  /**
   * Deletes `key` (a missing key is not an error).
   *
   * @example
   * ```ts
   * await tokenStorage.delete('transaction:xyz');
   * ```
   */
  async delete(key: string): Promise<void> {
    validateName(key, 'key');
    await this.#store.deleteMany(this.#keys(key), { collection: this.#collection });
  }

  /**
   * Atomically reads and deletes `key`: of all concurrent callers, on every replica sharing the
   * store, exactly one receives the value; the others get `null`.
   *
   * @example
   * ```ts
   * const code = await tokenStorage.take('code:abc'); // single use
   * ```
   */
  async take(key: string): Promise<unknown> {
    validateName(key, 'key');
    const keys = this.#keys(key);
    for (const [index, storedKey] of keys.entries()) {
      const value = await refusing(this.#protection, this.#collection, async () => {
        const record = await this.#store.take(storedKey, { collection: this.#collection });
        return record === undefined ? undefined : this.#open(key, storedKey, index, record);
      });
      if (value !== undefined) return value;
    }
    return null;
  }

  /**
   * Deletes expired entries when the store supports `cull()`; otherwise does nothing (expired
   * entries are invisible to reads either way).
   *
   * @example
   * ```ts
   * await tokenStorage.cleanup(); // FastMCP calls this every minute
   * ```
   */
  async cleanup(): Promise<void> {
    if (this.#store.capabilities.cull) await this.#store.cull();
  }

  /** Every storage key of FastMCP's `key`, newest secret first: `client:` keys as they are. */
  #keys(key: string): string[] {
    if (key.startsWith(PUBLIC_PREFIX)) return [key];
    const split = key.indexOf(':');
    const kind = split > 0 ? key.slice(0, split + 1) : '';
    return this.#protection.vault.keys(key).map((hash) => `${kind}${hash}`);
  }

  /** The stored record of `stored` (FastMCP's `key`, written at `storedKey`). */
  #seal(key: string, storedKey: string, stored: JsonObject): JsonObject {
    const { vault, clientSecrets, binder, allowUnprotected } = this.#protection;
    const collection = this.#collection;
    let record: JsonObject;
    if (!key.startsWith(PUBLIC_PREFIX)) {
      record = { sealed: vault.seal(key, JSON.stringify(stored), collection, storedKey) };
    } else if (typeof stored.clientSecret === 'string') {
      if (clientSecrets !== undefined) {
        const { clientSecret, ...rest } = stored;
        record = { ...rest, [SEALED_CLIENT_SECRET]: clientSecrets.seal(clientSecret, collection, storedKey) };
      } else if (allowUnprotected) {
        record = stored;
      } else {
        throw unprotectedClientSecret();
      }
    } else {
      record = stored;
    }
    return binder.seal(this.#collection, storedKey, record);
  }

  /** FastMCP's value from the record read at `storedKey` (candidate `index`); throws when refused. */
  #open(key: string, storedKey: string, index: number, record: JsonObject): unknown {
    const { vault, clientSecrets, binder } = this.#protection;
    const collection = this.#collection;
    const opened = binder.open(collection, storedKey, record) as JsonObject;
    if (!key.startsWith(PUBLIC_PREFIX))
      return decode(vault.openObject(key, index, opened.sealed, collection, storedKey));
    if (!(SEALED_CLIENT_SECRET in opened)) return decode(opened);
    const { [SEALED_CLIENT_SECRET]: sealed, ...rest } = opened;
    return { ...rest, clientSecret: openSealed(clientSecrets, sealed, collection, storedKey) };
  }
}

function normalizeTtl(ttl: unknown): number | undefined | 'expired' {
  if (ttl === undefined || ttl === null || ttl === 0) return undefined;
  if (typeof ttl !== 'number' || Number.isNaN(ttl) || !Number.isFinite(ttl)) {
    throw new InvalidTTLError(
      `The TTL must be a finite number of seconds or undefined, got ${
        typeof ttl === 'number' ? String(ttl) : typeof ttl
      }`,
    );
  }
  return ttl < 0 ? 'expired' : ttl;
}

/** The JSON form of `value` as a storable object (wrapped when it is not a plain object). */
function encode(value: unknown): JsonObject {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    // A cycle or a BigInt; the message of the cause names no stored data.
    throw new SerializationError('The value has no JSON form', '$', { cause: err });
  }
  if (json === undefined) {
    throw new SerializationError(`A ${typeof value} value has no JSON form`, '$');
  }
  const normalized = JSON.parse(json) as JsonValue;
  if (isPlainObject(normalized) && !isWrapped(normalized)) return normalized;
  return { [WRAPPED]: normalized };
}

function decode(stored: JsonObject | undefined): unknown {
  if (stored === undefined) return null;
  return isWrapped(stored) ? stored[WRAPPED] : stored;
}

function isWrapped(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === WRAPPED;
}
