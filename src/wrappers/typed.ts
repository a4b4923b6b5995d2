/**
 * Typed access to one collection through a Standard Schema validator (zod 4, valibot, arktype, ...).
 * @module
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { AsyncKeyValue, JsonObject, KeysOptions, KeysPage } from '../contract.js';
import { StoreSetupError, ValidationError } from '../errors.js';
import { isPlainObject, validateEntries, validateName, validateTtl } from '../validation.js';

/**
 * Options of {@link typedCollection}.
 *
 * @example
 * ```ts
 * const options: TypedCollectionOptions = { onInvalid: 'undefined', ttl: 300 };
 * ```
 */
export interface TypedCollectionOptions {
  /**
   * What a read does with a stored value the schema rejects: `'throw'` a `ValidationError`
   * (default), or treat it as missing (`'undefined'`). The stored entry is left as it is (except by
   * `take`, which has already deleted it).
   */
  onInvalid?: 'throw' | 'undefined' | undefined;
  /** TTL in seconds for writes that pass none (default: no expiry). */
  ttl?: number | undefined;
}

/**
 * Options of the writes of a {@link TypedCollection}.
 *
 * @example
 * ```ts
 * declare const codes: TypedCollection<{ client_id: string }>;
 * await codes.put('code-1', { client_id: 'c' }, { ttl: 300 });
 * ```
 */
export interface TypedPutOptions {
  /** Time to live in seconds; default the collection's `ttl` option. */
  ttl?: number | undefined;
}

/**
 * What {@link TypedCollection.ttl} returns.
 *
 * @example
 * ```ts
 * declare const codes: TypedCollection<{ client_id: string }>;
 * const { value, ttl }: TypedTtlResult<{ client_id: string }> = await codes.ttl('code-1');
 * ```
 */
export interface TypedTtlResult<T> {
  /** The validated value, `undefined` when missing, expired (or invalid with `onInvalid: 'undefined'`). */
  value: T | undefined;
  /** Remaining seconds; `undefined` when the entry has no expiry or is missing. */
  ttl: number | undefined;
}

/**
 * A typed view of one collection of a store: every write is validated by the schema before
 * anything is stored (a `ValidationError` listing issue paths and messages, never the value), and
 * every read is validated again, so a corrupted or outdated entry never reaches your code typed
 * as something it is not.
 *
 * Stored shape: a value whose schema output is a plain object is stored as that object (readable
 * by untyped code and by py-key-value). Any other value (string, number, boolean, null, array) is
 * stored as `{ "value": <the value> }`, and unwrapped on read. An object that itself looks like
 * such a wrapper (its only member is `value`, holding a non-object or another such wrapper) is
 * wrapped once more, so reading back is never ambiguous.
 *
 * The schema validates the stored value on read too, so it must accept its own output: avoid
 * one-way transforms (e.g. a string parsed into a Date, which JSON cannot hold).
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { MemoryStore, typedCollection } from 'oauth-kv';
 *
 * const Client = z.object({ client_id: z.string(), redirect_uris: z.array(z.url()) });
 * const clients = typedCollection(new MemoryStore(), 'clients', Client);
 * await clients.put('c1', { client_id: 'c1', redirect_uris: ['https://app.example/cb'] });
 * const client = await clients.get('c1'); // typed as z.output<typeof Client> | undefined
 * ```
 *
 * `T` is the type reads return (the schema's output), `I` the type writes accept (its input).
 */
export class TypedCollection<T, I = T> {
  readonly #store: AsyncKeyValue;
  readonly #collection: string;
  readonly #schema: StandardSchemaV1<I, T>;
  readonly #onInvalid: 'throw' | 'undefined';
  readonly #ttl: number | undefined;

  constructor(
    store: AsyncKeyValue,
    collection: string,
    schema: StandardSchemaV1<I, T>,
    options: TypedCollectionOptions = {},
  ) {
    validateName(collection, 'collection');
    if (
      typeof schema !== 'object' ||
      schema === null ||
      typeof schema['~standard']?.validate !== 'function'
    ) {
      throw new StoreSetupError(
        'typedCollection needs a Standard Schema v1 validator (zod 4, valibot, arktype, ...)',
      );
    }
    const onInvalid = options.onInvalid ?? 'throw';
    if (onInvalid !== 'throw' && onInvalid !== 'undefined') {
      throw new StoreSetupError("onInvalid must be 'throw' or 'undefined'");
    }
    validateTtl(options.ttl);
    this.#store = store;
    this.#collection = collection;
    this.#schema = schema;
    this.#onInvalid = onInvalid;
    this.#ttl = options.ttl;
  }

  /** The collection this view reads and writes. */
  get collection(): string {
    return this.#collection;
  }

  /**
   * The validated value under `key`, or `undefined`.
   *
   * @example
   * ```ts
   * const client = await clients.get('c1');
   * ```
   */
  async get(key: string): Promise<T | undefined> {
    return this.#read(await this.#store.get(key, this.#options()));
  }

  /**
   * Validated values in the order of `keys`, `undefined` for missing ones.
   *
   * @example
   * ```ts
   * const [a, b] = await clients.getMany(['a', 'b']);
   * ```
   */
  async getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    const stored = await this.#store.getMany(keys, this.#options());
    return Promise.all(stored.map((value) => this.#read(value)));
  }

  /**
   * The validated value and its remaining lifetime in seconds.
   *
   * @example
   * ```ts
   * const { value, ttl } = await codes.ttl('code-1');
   * ```
   */
  async ttl(key: string): Promise<TypedTtlResult<T>> {
    const result = await this.#store.ttl(key, this.#options());
    const value = await this.#read(result.value);
    return { value, ttl: value === undefined ? undefined : result.ttl };
  }

  /**
   * Validates `value` and stores it; nothing is written when validation fails.
   *
   * @example
   * ```ts
   * await clients.put('c1', { client_id: 'c1', redirect_uris: [] });
   * ```
   */
  async put(key: string, value: I, options?: TypedPutOptions): Promise<void> {
    validateName(key, 'key');
    const ttl = this.#ttlOf(options);
    const stored = await this.#write(value);
    await this.#store.put(key, stored, { collection: this.#collection, ttl });
  }

  /**
   * Validates every value, then stores them all; nothing is written when any fails.
   *
   * @example
   * ```ts
   * await clients.putMany([['a', clientA], ['b', clientB]]);
   * ```
   */
  async putMany(entries: ReadonlyArray<readonly [string, I]>, options?: TypedPutOptions): Promise<void> {
    const pairs = validateEntries(entries);
    const ttl = this.#ttlOf(options);
    const stored: [string, JsonObject][] = [];
    for (const [i, [key, value]] of pairs.entries()) {
      stored.push([key, await this.#write(value, `entries[${i}]`)]);
    }
    await this.#store.putMany(stored, { collection: this.#collection, ttl });
  }

  /**
   * Deletes `key`; `true` when an entry existed.
   *
   * @example
   * ```ts
   * await clients.delete('c1');
   * ```
   */
  delete(key: string): Promise<boolean> {
    return this.#store.delete(key, this.#options());
  }

  /**
   * Atomically reads and deletes `key` (the store's `take`), then validates what it got. With
   * `onInvalid: 'throw'`, an invalid value throws `ValidationError` and is gone all the same.
   *
   * @example
   * ```ts
   * const code = await codes.take('code-1'); // single use
   * ```
   */
  async take(key: string): Promise<T | undefined> {
    return this.#read(await this.#store.take(key, this.#options()));
  }

  /**
   * Validates `value`, then atomically stores it only when `key` holds no unexpired entry.
   *
   * @example
   * ```ts
   * const first = await seen.putIfAbsent(jti, { at: Date.now() }, { ttl: 600 });
   * ```
   */
  async putIfAbsent(key: string, value: I, options?: TypedPutOptions): Promise<boolean> {
    validateName(key, 'key');
    const ttl = this.#ttlOf(options);
    const stored = await this.#write(value);
    return this.#store.putIfAbsent(key, stored, { collection: this.#collection, ttl });
  }

  /**
   * One page of the collection's keys (needs `keys` on the store).
   *
   * @example
   * ```ts
   * const { keys, cursor } = await clients.keys({ limit: 100 });
   * ```
   */
  keys(options?: KeysOptions): Promise<KeysPage> {
    return this.#store.keys(this.#collection, options);
  }

  #options(): { collection: string } {
    return { collection: this.#collection };
  }

  #ttlOf(options: TypedPutOptions | undefined): number | undefined {
    const ttl = options?.ttl ?? this.#ttl;
    validateTtl(ttl);
    return ttl;
  }

  async #write(value: unknown, where?: string): Promise<JsonObject> {
    const result = await this.#schema['~standard'].validate(value);
    if (result.issues) {
      const prefix = where === undefined ? '' : `${where}: `;
      throw validationError(`${prefix}The value does not match the schema`, result.issues);
    }
    return wrap(result.value);
  }

  async #read(stored: JsonObject | undefined): Promise<T | undefined> {
    if (stored === undefined) return undefined;
    const result = await this.#schema['~standard'].validate(unwrap(stored));
    if (!result.issues) return result.value;
    if (this.#onInvalid === 'undefined') return undefined;
    throw validationError(
      `A value stored in collection ${JSON.stringify(this.#collection)} does not match the schema`,
      result.issues,
    );
  }
}

/** `true` for `{ value: x }` where x is not a plain object or is itself wrapper-shaped. */
function isWrapperShaped(value: unknown, depth = 0): boolean {
  if (!isPlainObject(value) || depth > 64) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'value') return false;
  const inner = value.value;
  return !isPlainObject(inner) || isWrapperShaped(inner, depth + 1);
}

function wrap(value: unknown): JsonObject {
  return isPlainObject(value) && !isWrapperShaped(value)
    ? (value as JsonObject)
    : ({ value } as unknown as JsonObject);
}

function unwrap(stored: JsonObject): unknown {
  return isWrapperShaped(stored) ? stored.value : stored;
}

function validationError(message: string, issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationError {
  const listed = issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === undefined ? { message: issue.message } : { message: issue.message, path };
  });
  const summary = listed
    .slice(0, 5)
    .map((i) => (i.path === undefined ? i.message : `${i.path}: ${i.message}`))
    .join('; ');
  const more = listed.length > 5 ? ` (and ${listed.length - 5} more)` : '';
  return new ValidationError(`${message}: ${summary}${more}`, listed);
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(path: StandardSchemaV1.Issue['path']): string | undefined {
  if (path === undefined || path.length === 0) return undefined;
  let out = '$';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'symbol') out += `[${String(key)}]`;
    else out += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return out;
}

/**
 * A typed view of `collection` in `store`, validated by `schema` (any Standard Schema v1
 * validator: zod 4, valibot, arktype, ...). See {@link TypedCollection}.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { MemoryStore, typedCollection } from 'oauth-kv';
 *
 * const codes = typedCollection(new MemoryStore(), 'codes', z.object({ client_id: z.string() }), { ttl: 300 });
 * await codes.put('code-1', { client_id: 'c1' });
 * ```
 */
export function typedCollection<S extends StandardSchemaV1>(
  store: AsyncKeyValue,
  collection: string,
  schema: S,
  options: TypedCollectionOptions = {},
): TypedCollection<StandardSchemaV1.InferOutput<S>, StandardSchemaV1.InferInput<S>> {
  return new TypedCollection(
    store,
    collection,
    schema as StandardSchemaV1<StandardSchemaV1.InferInput<S>, StandardSchemaV1.InferOutput<S>>,
    options,
  );
}
