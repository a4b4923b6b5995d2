/**
 * `oauth-kv/better-auth`: better-auth's `secondaryStorage` (sessions, verification values, rate
 * limits, DPoP replay marks) on any oauth-kv store, so several better-auth replicas share it and it
 * survives restarts. better-auth's keys are session tokens and verification identifiers: they are
 * stored only as keyed hashes, and the values (which hold the tokens too) only in an encrypted store.
 * Nothing of better-auth is loaded (its `SecondaryStorage` type is matched structurally). See
 * `docs/better-auth.md`.
 *
 * @example
 * ```ts
 * import { betterAuthStorage } from 'oauth-kv/better-auth';
 * import { withEncryption, withNamespace } from 'oauth-kv';
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const redis = withNamespace(new RedisStore(process.env.REDIS_URL!), { prefix: 'auth' });
 * const secondaryStorage = betterAuthStorage(withEncryption(redis, { keys: [process.env.OAUTH_KV_KEY!] }), {
 *   counters: redis, // rate-limit counters: atomic increments, which ciphertext cannot do
 * });
 * // betterAuth({ ..., secondaryStorage })
 * ```
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { NotSupportedError, StoreSetupError, ValidationError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import { validateName } from '../validation.js';
import { BEARER_HASH_PURPOSE, BearerHasher, type BearerSecret } from './bearer-hash.js';

/**
 * Options of {@link betterAuthStorage}.
 *
 * @example
 * ```ts
 * import type { BetterAuthStorageOptions } from 'oauth-kv/better-auth';
 * const options: BetterAuthStorageOptions = { collection: 'auth', counters: redisStore };
 * ```
 */
export interface BetterAuthStorageOptions {
  /** Collection of better-auth's values (default `'better-auth'`). */
  collection?: string | undefined;
  /**
   * The store `increment` (rate limits, DPoP replay marks) runs on; it must announce
   * `capabilities.increment` (MemoryStore, FileStore, PostgresStore, RedisStore, FirestoreStore,
   * through the forwarding wrappers; not KeyvStore). Default: the main store. An encrypting store cannot add inside ciphertext, so
   * with `withEncryption` pass the unencrypted store under it here: a counter holds only a number,
   * under a hashed key.
   */
  counters?: AsyncKeyValue | undefined;
  /** Collection of the counters (default `'better-auth-counters'`). */
  counterCollection?: string | undefined;
  /**
   * Secret(s), newest first, better-auth's keys are hashed under (HMAC-SHA-256). Default: derived
   * from the encryption keys of `store`. `false` forces plain SHA-256.
   */
  hashSecret?: BearerSecret | readonly BearerSecret[] | false | undefined;
  /**
   * Accept a store that does not encrypt (default `false`: `StoreSetupError`), although the values
   * hold session tokens. Only for development or a store nobody else can read.
   */
  allowUnprotectedSecrets?: boolean | undefined;
}

/**
 * better-auth's `SecondaryStorage` (better-auth 1.7), as {@link betterAuthStorage} implements it.
 * Every method is an own, bound function: better-auth calls some detached.
 *
 * @example
 * ```ts
 * const storage: BetterAuthSecondaryStorage = betterAuthStorage(store);
 * await storage.set('verification:abc', '{"value":"x"}', 600);
 * ```
 */
export interface BetterAuthSecondaryStorage {
  /** The string stored under `key`, or `null`. */
  get: (key: string) => Promise<string | null>;
  /** Atomically reads and deletes `key`: of concurrent callers on any replica, one gets the value. */
  getAndDelete: (key: string) => Promise<string | null>;
  /**
   * Atomically adds one to the counter `key` and returns the new count; a new counter expires `ttl`
   * seconds after it was created (later increments keep that expiry).
   */
  increment: (key: string, ttl: number) => Promise<number>;
  /** Stores `value` under `key`, for `ttl` seconds when positive, otherwise without expiry. */
  set: (key: string, value: string, ttl?: number) => Promise<void>;
  /** Deletes `key`. */
  delete: (key: string) => Promise<void>;
}

/**
 * better-auth's `secondaryStorage` on an oauth-kv store. Keys are stored as keyed hashes (looked up
 * under every rotated secret), values as `{ "value": string }` in `collection`; `getAndDelete` is
 * the store's atomic `take`, `increment` its atomic counter. The store must encrypt (values hold
 * session tokens) unless `allowUnprotectedSecrets`.
 *
 * @example
 * ```ts
 * import { betterAuth } from 'better-auth';
 * import { betterAuthStorage } from 'oauth-kv/better-auth';
 *
 * declare const database: Parameters<typeof betterAuth>[0]['database'];
 * const auth = betterAuth({
 *   database,
 *   secondaryStorage: betterAuthStorage(store, { counters: redisStore }), // store: encrypted, over redisStore
 *   rateLimit: { enabled: true, storage: 'secondary-storage' },
 * });
 * ```
 * @throws StoreSetupError for bad options, or an unencrypted store without `allowUnprotectedSecrets`.
 */
export function betterAuthStorage(
  store: AsyncKeyValue,
  options: BetterAuthStorageOptions = {},
): BetterAuthSecondaryStorage {
  if (typeof options !== 'object' || options === null) {
    throw new StoreSetupError('betterAuthStorage options must be an object');
  }
  const collection = options.collection ?? 'better-auth';
  const counterCollection = options.counterCollection ?? 'better-auth-counters';
  for (const [name, value] of [
    ['collection', collection],
    ['counterCollection', counterCollection],
  ] as const) {
    try {
      validateName(value, 'collection');
    } catch {
      throw new StoreSetupError(`betterAuthStorage option ${name} must be a valid collection name`);
    }
  }
  const allow = options.allowUnprotectedSecrets;
  if (allow !== undefined && typeof allow !== 'boolean') {
    throw new StoreSetupError('allowUnprotectedSecrets must be a boolean');
  }
  if (allow !== true && deriveStoreSecrets(store, 'better-auth') === undefined) {
    throw new StoreSetupError(
      'better-auth keeps session tokens in its secondary storage: wrap the store with withEncryption, or set allowUnprotectedSecrets',
    );
  }
  const counters = options.counters ?? store;
  const hasher = hasherFor(store, options.hashSecret);

  const get = async (key: string): Promise<string | null> => {
    for (const stored of hasher.candidates(checkKey(key))) {
      const found = await store.get(stored, { collection });
      if (found !== undefined) return storedString(found);
    }
    return null;
  };
  const getAndDelete = async (key: string): Promise<string | null> => {
    for (const stored of hasher.candidates(checkKey(key))) {
      const found = await store.take(stored, { collection });
      if (found !== undefined) return storedString(found);
    }
    return null;
  };
  const increment = async (key: string, ttl: number): Promise<number> => {
    const stored = hasher.hash(checkKey(key));
    if (counters.capabilities.increment !== true || counters.increment === undefined) {
      throw new NotSupportedError('increment', counters.constructor.name);
    }
    return counters.increment(stored, 1, { collection: counterCollection, ttl: lifetime(ttl) });
  };
  const set = async (key: string, value: string, ttl?: number): Promise<void> => {
    const stored = hasher.hash(checkKey(key));
    if (typeof value !== 'string') {
      throw new ValidationError('better-auth secondary storage holds strings', [
        { message: 'must be a string', path: 'value' },
      ]);
    }
    await store.put(stored, { value }, { collection, ttl: lifetime(ttl) });
    // An older copy under a rotated hashing secret must not outlive this write.
    const older = hasher.candidates(key).filter((k) => k !== stored);
    if (older.length > 0) await store.deleteMany(older, { collection });
  };
  const remove = async (key: string): Promise<void> => {
    await store.deleteMany(hasher.candidates(checkKey(key)), { collection });
  };
  return Object.freeze({ get, getAndDelete, increment, set, delete: remove });
}

function hasherFor(store: AsyncKeyValue, secret: BetterAuthStorageOptions['hashSecret']): BearerHasher {
  if (secret === undefined) return new BearerHasher(deriveStoreSecrets(store, BEARER_HASH_PURPOSE));
  return BearerHasher.forStore(store, { secret });
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError('better-auth secondary storage keys are non-empty strings', [
      { message: 'must be a non-empty string', path: 'key' },
    ]);
  }
  return key;
}

/** A positive TTL in seconds, or `undefined` (better-auth's "no expiry" is a missing or zero TTL). */
function lifetime(ttl: number | undefined): number | undefined {
  return typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0 ? ttl : undefined;
}

/** The string a stored record holds; a record of another shape reads as missing. */
function storedString(record: Record<string, unknown>): string | null {
  return typeof record.value === 'string' ? record.value : null;
}
