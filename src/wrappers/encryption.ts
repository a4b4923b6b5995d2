/**
 * The Fernet encryption wrapper, storing values in py-key-value's encrypted form so a Python
 * FastMCP server and a TypeScript server can share one encrypted store.
 * @module
 */
import type { AsyncKeyValue, CollectionOptions, JsonObject, PutOptions, TtlResult } from '../contract.js';
import { syncCrypto } from '../crypto/engine.js';
import { Fernet, type FernetKey } from '../crypto/fernet.js';
import { DecryptionError, DeserializationError, EncryptionError, ValidationError } from '../errors.js';
import { DERIVE_SECRETS } from '../secrets.js';
import { isPlainObject, validateCollectionOptions } from '../validation.js';
import { batchArgs, keyArgs, manyArgs, writeArgs } from './args.js';
import { WrapperStore } from './base.js';
import {
  type EncryptedValue,
  type FormPolicy,
  type Opened,
  openValue,
  openValueAsync,
  sealValue,
  sealValueAsync,
} from './encrypted-form.js';

/**
 * Options of {@link EncryptionWrapper} and {@link withEncryption}.
 *
 * @example
 * ```ts
 * const options: EncryptionOptions = {
 *   keys: [process.env.OAUTH_KV_KEY!, process.env.OAUTH_KV_OLD_KEY!], // newest first
 *   allowPlaintext: false,
 *   onDecryptionError: 'throw',
 * };
 * ```
 */
export interface EncryptionOptions {
  /**
   * One Fernet key, or several newest first: the first encrypts every write, all are tried on
   * reads. Keys are url-safe base64 strings (`generateFernetKey()`, Python's
   * `Fernet.generate_key()`), 32-byte `Uint8Array`s, or {@link Fernet} instances.
   */
  keys: FernetKey | readonly FernetKey[];
  /**
   * Accept stored values that are not encrypted, as they are (default `false`: such a value is a
   * {@link DecryptionError}, so nobody can plant a plaintext value an encrypted store would trust).
   * Turn it on only while migrating an unencrypted store, then run {@link reencrypt} and turn it
   * off. With {@link EncryptionOptions.bindToKey} it also accepts encrypted values that are not
   * bound to their key.
   */
  allowPlaintext?: boolean | undefined;
  /**
   * What a read does with a value it cannot decrypt: `'throw'` a {@link DecryptionError} (default),
   * or `'undefined'`: treat it as missing (py-key-value's `raise_on_decryption_error=False`).
   */
  onDecryptionError?: 'throw' | 'undefined' | undefined;
  /**
   * Bind each ciphertext to its collection and key (default `false`). The encrypted plaintext is then
   * `{"__oauth_kv_bound__":1,"collection":…,"key":…,"value":{…}}`, and a value copied to another key
   * or collection fails to decrypt. Values written this way are still valid Fernet tokens in the
   * py-key-value layout, but a Python reader gets that wrapped object instead of the value (unwrap
   * its `value` member). Bound values are recognised and checked whatever this option says; when it
   * is `true`, unbound values are refused unless {@link EncryptionOptions.allowPlaintext} is set.
   */
  bindToKey?: boolean | undefined;
}

/**
 * Options of {@link reencrypt}.
 *
 * @example
 * ```ts
 * const encrypted = withEncryption(store, { keys: [newKey, oldKey] });
 * await reencrypt(encrypted, { collection: 'mcp-oauth-proxy-clients', pageSize: 200 });
 * ```
 */
export interface ReencryptOptions {
  /** The collection to rewrite (default `"default_collection"`). */
  collection?: string | undefined;
  /** Keys read per `keys()` page (default 100). */
  pageSize?: number | undefined;
  /**
   * How each entry is rewritten:
   * - `'take'` (default): atomically take the entry, then `putIfAbsent` it re-encrypted. A value
   *   deleted, taken or replaced concurrently is never brought back, but for a moment the entry is
   *   absent, and a crash in that moment loses it.
   * - `'overwrite'`: `put` over the entry. It never disappears, but a concurrent delete, take or write
   *   in the few milliseconds between the read and the write is undone (a used single-use code could
   *   come back). Use it only when nothing else writes the collection.
   */
  mode?: 'take' | 'overwrite' | undefined;
}

/** Reaches the wrapper's private re-encryption from {@link reencrypt} (set in its static block). */
let runReencrypt: (wrapper: EncryptionWrapper, options: ReencryptOptions) => Promise<number>;

/**
 * Encrypts every value with Fernet before it reaches the wrapped store, in exactly py-key-value's
 * stored form `{"__encrypted_data__": B, "__encryption_version__": 1}` (`B` = standard base64 of
 * the Fernet token, which encrypts the value's compact JSON). Reads (`get`, `getMany`, `ttl`,
 * `ttlMany`, `take`) decrypt; writes (`put`, `putMany`, `putIfAbsent`) encrypt; names, TTLs,
 * `delete`, `keys`, `collections`, `destroyCollection` and `cull` pass through (names and expiry
 * stay in clear). Errors never contain values, keys or key material. Works on every runtime: with
 * `node:crypto` where it exists, with WebCrypto elsewhere.
 *
 * @example
 * ```ts
 * import { type EncryptionWrapper, MemoryStore, generateFernetKey, withEncryption } from 'oauth-kv';
 *
 * const store: EncryptionWrapper = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
 * await store.put('client-1', { client_secret: 's3cret' }, { collection: 'clients' });
 * await store.get('client-1', { collection: 'clients' }); // { client_secret: 's3cret' }
 * ```
 */
export class EncryptionWrapper extends WrapperStore {
  readonly #policy: FormPolicy;
  readonly #throwOnError: boolean;

  static {
    runReencrypt = (wrapper, options) => wrapper.#reencrypt(options);
  }

  constructor(inner: AsyncKeyValue, options: EncryptionOptions) {
    super(inner);
    if (!isPlainObject(options) || options.keys === undefined) {
      throw new EncryptionError('EncryptionWrapper needs options with at least one Fernet key in `keys`');
    }
    const mode = options.onDecryptionError ?? 'throw';
    if (mode !== 'throw' && mode !== 'undefined') {
      throw new EncryptionError(`onDecryptionError must be 'throw' or 'undefined'`);
    }
    this.#policy = {
      fernet: new Fernet(options.keys),
      allowPlaintext: options.allowPlaintext === true,
      bind: options.bindToKey === true,
    };
    this.#throwOnError = mode === 'throw';
  }

  /** Secrets derived from this wrapper's Fernet keys, newest first (see `Fernet.deriveSecrets`). */
  override [DERIVE_SECRETS](purpose: string): Uint8Array[] {
    return this.#policy.fernet.deriveSecrets(purpose);
  }

  override async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const { key: k, collection } = keyArgs(key, options);
    const raw = await this.inner.get(k, { collection });
    return syncCrypto() ? this.#read(raw, collection, k) : this.#readAsync(raw, collection, k);
  }

  override async getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    const { keys: list, collection } = manyArgs(keys, options);
    const raws = await this.inner.getMany(list, { collection });
    // A value whose plaintext cannot be read (Python's NaN, an integer a double cannot hold) fails its
    // own position, as in every store; tampering and wrong keys still fail the call.
    if (syncCrypto())
      return raws.map((raw, i) => unlessUnreadable(() => this.#read(raw, collection, list[i]!), undefined));
    return Promise.all(
      raws.map((raw, i) =>
        unlessUnreadableAsync(() => this.#readAsync(raw, collection, list[i]!), undefined),
      ),
    );
  }

  override async ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    const { key: k, collection } = keyArgs(key, options);
    const result = await this.inner.ttl(k, { collection });
    return syncCrypto() ? this.#readTtl(result, collection, k) : this.#readTtlAsync(result, collection, k);
  }

  override async ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    const { keys: list, collection } = manyArgs(keys, options);
    const results = await this.inner.ttlMany(list, { collection });
    const missing: TtlResult = { value: undefined, ttl: undefined };
    if (syncCrypto()) {
      return results.map((result, i) =>
        unlessUnreadable(() => this.#readTtl(result, collection, list[i]!), { ...missing }),
      );
    }
    return Promise.all(
      results.map((result, i) =>
        unlessUnreadableAsync(() => this.#readTtlAsync(result, collection, list[i]!), { ...missing }),
      ),
    );
  }

  override async take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const { key: k, collection } = keyArgs(key, options);
    const raw = await this.inner.take(k, { collection });
    return syncCrypto() ? this.#read(raw, collection, k) : this.#readAsync(raw, collection, k);
  }

  override async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    const { key: k, collection, ttl } = writeArgs(key, options);
    const sealed = syncCrypto()
      ? this.#seal(collection, k, value)
      : await this.#sealAsync(collection, k, value);
    await this.inner.put(k, sealed, { collection, ttl });
  }

  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const { key: k, collection, ttl } = writeArgs(key, options);
    const sealed = syncCrypto()
      ? this.#seal(collection, k, value)
      : await this.#sealAsync(collection, k, value);
    return this.inner.putIfAbsent(k, sealed, { collection, ttl });
  }

  override async putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    const { entries: pairs, collection, ttl } = batchArgs(entries, options);
    const sealed = syncCrypto()
      ? pairs.map(([key, value]) => [key, this.#seal(collection, key, value)] as const)
      : await Promise.all(
          pairs.map(async ([key, value]) => [key, await this.#sealAsync(collection, key, value)] as const),
        );
    await this.inner.putMany(sealed, { collection, ttl });
  }

  /** The body of {@link reencrypt}. */
  async #reencrypt(options: ReencryptOptions): Promise<number> {
    const collection = validateCollectionOptions(options);
    const pageSize = options.pageSize ?? 100;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      const message = `reencrypt pageSize must be a positive integer, got ${String(pageSize)}`;
      throw new ValidationError(message, [{ message, path: 'options.pageSize' }]);
    }
    const mode = options.mode ?? 'take';
    if (mode !== 'take' && mode !== 'overwrite') {
      const message = `reencrypt mode must be 'take' or 'overwrite'`;
      throw new ValidationError(message, [{ message, path: 'options.mode' }]);
    }
    let rewritten = 0;
    let cursor: string | undefined;
    do {
      const page = await this.inner.keys(collection, { limit: pageSize, cursor });
      const keys = page.keys;
      const readAt = Date.now();
      const raws = keys.length === 0 ? [] : await this.inner.ttlMany(keys, { collection });
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const raw = raws[i]!;
        if (raw.value === undefined) continue;
        const opened = await this.#tryOpenAsync(raw.value, collection, key);
        if (opened === undefined || opened.current) continue;
        const deadline = raw.ttl === undefined ? undefined : readAt + raw.ttl * 1000;
        if (await this.#rewrite(collection, key, raw.value, opened.value, deadline, mode)) rewritten++;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return rewritten;
  }

  // ---- internals -----------------------------------------------------------------------------

  async #rewrite(
    collection: string,
    key: string,
    raw: JsonObject,
    value: JsonObject,
    deadline: number | undefined,
    mode: 'take' | 'overwrite',
  ): Promise<boolean> {
    const ttl = remaining(deadline);
    if (ttl === null) return false; // expired meanwhile
    if (mode === 'overwrite') {
      await this.inner.put(key, await this.#sealAsync(collection, key, value), { collection, ttl });
      return true;
    }
    const taken = await this.inner.take(key, { collection });
    if (taken === undefined) return false; // deleted or taken meanwhile: never bring it back
    const later = remaining(deadline);
    if (JSON.stringify(taken) !== JSON.stringify(raw)) {
      // Replaced between the read and the take: put the newer value back as it was.
      await this.inner.putIfAbsent(key, taken, { collection, ttl: later ?? ttl });
      return false;
    }
    if (later === null) return false;
    await this.inner.putIfAbsent(key, await this.#sealAsync(collection, key, value), {
      collection,
      ttl: later,
    });
    return true;
  }

  #seal(collection: string, key: string, value: unknown): EncryptedValue {
    return sealValue(this.#policy, collection, key, value);
  }

  #sealAsync(collection: string, key: string, value: unknown): Promise<EncryptedValue> {
    return sealValueAsync(this.#policy, collection, key, value);
  }

  #read(raw: JsonObject | undefined, collection: string, key: string): JsonObject | undefined {
    return raw === undefined ? undefined : this.#tryOpen(raw, collection, key)?.value;
  }

  async #readAsync(
    raw: JsonObject | undefined,
    collection: string,
    key: string,
  ): Promise<JsonObject | undefined> {
    return raw === undefined ? undefined : (await this.#tryOpenAsync(raw, collection, key))?.value;
  }

  #readTtl(result: TtlResult, collection: string, key: string): TtlResult {
    const value = this.#read(result.value, collection, key);
    return value === undefined ? { value: undefined, ttl: undefined } : { value, ttl: result.ttl };
  }

  async #readTtlAsync(result: TtlResult, collection: string, key: string): Promise<TtlResult> {
    const value = await this.#readAsync(result.value, collection, key);
    return value === undefined ? { value: undefined, ttl: undefined } : { value, ttl: result.ttl };
  }

  /** `openValue` under the read policy: `undefined` for an unreadable value in 'undefined' mode. */
  #tryOpen(raw: JsonObject, collection: string, key: string): Opened | undefined {
    try {
      return openValue(this.#policy, raw, collection, key);
    } catch (err) {
      if (!this.#throwOnError && err instanceof DecryptionError) return undefined;
      throw err;
    }
  }

  async #tryOpenAsync(raw: JsonObject, collection: string, key: string): Promise<Opened | undefined> {
    try {
      return await openValueAsync(this.#policy, raw, collection, key);
    } catch (err) {
      if (!this.#throwOnError && err instanceof DecryptionError) return undefined;
      throw err;
    }
  }
}

/**
 * Wraps a store so every value is encrypted with Fernet in py-key-value's format (see
 * {@link EncryptionWrapper}).
 *
 * @example
 * ```ts
 * import { MemoryStore, withEncryption } from 'oauth-kv';
 *
 * const store = withEncryption(new MemoryStore(), { keys: [process.env.OAUTH_KV_KEY!] });
 * ```
 */
export function withEncryption(store: AsyncKeyValue, options: EncryptionOptions): EncryptionWrapper {
  return new EncryptionWrapper(store, options);
}

/**
 * Rewrites every entry of a collection under the newest key (and bound, with `bindToKey`), keeping
 * each entry's remaining TTL, and returns how many entries were rewritten. Entries already in that
 * form are left alone, so a second run rewrites nothing. `store` is what {@link withEncryption}
 * returned (for a stack, wrap its backend once more with the same options); it must support
 * `keys()`. Run it after every replica has the new key first in its list, and before the old key
 * is dropped.
 *
 * @example
 * ```ts
 * import { reencrypt, withEncryption } from 'oauth-kv';
 *
 * const store = withEncryption(redisStore, { keys: [newKey, oldKey] });
 * for (const collection of ['mcp-oauth-proxy-clients', 'mcp-upstream-tokens']) {
 *   console.log(collection, await reencrypt(store, { collection }));
 * }
 * ```
 */
export async function reencrypt(store: EncryptionWrapper, options: ReencryptOptions = {}): Promise<number> {
  if (!(store instanceof EncryptionWrapper)) {
    throw new EncryptionError('reencrypt needs the store withEncryption returned');
  }
  return runReencrypt(store, options);
}

/** Seconds left until `deadline` (`undefined`: no expiry), or `null` once it has passed. */
function remaining(deadline: number | undefined): number | undefined | null {
  if (deadline === undefined) return undefined;
  const left = (deadline - Date.now()) / 1000;
  return left > 0 ? left : null;
}

/** `read()`, or `fallback` when it rejects with a `DeserializationError` (an unreadable plaintext). */
async function unlessUnreadableAsync<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof DeserializationError) return fallback;
    throw err;
  }
}

/** `read()`, or `fallback` when it throws a `DeserializationError` (an unreadable plaintext). */
function unlessUnreadable<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof DeserializationError) return fallback;
    throw err;
  }
}
