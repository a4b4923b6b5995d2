/**
 * `RecordIO`: the one place where OAuth records are written (validated, then bound to their place)
 * and read back (place and shape checked; a record that fails either is refused: reported to the
 * `onRecordRefused` and treated as absent, never thrown at a request handler).
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DeserializationError, ValidationError } from '../errors.js';
import type { RecordSchema } from './oauth-records.js';
import { isRefusal, type Protection, refusing } from './protection.js';

/** A read value that can still be opened with a schema. */
export type Raw = JsonObject | undefined;

/**
 * Reads and writes records through the binder of a {@link Protection} and a {@link RecordSchema}.
 * Reads never throw for a refused record: it is reported and comes back `undefined`.
 */
export class RecordIO {
  readonly #store: AsyncKeyValue;
  readonly #protection: Protection;

  constructor(store: AsyncKeyValue, protection: Protection) {
    this.#store = store;
    this.#protection = protection;
  }

  /** Whether records are bound to their place. */
  get binding(): boolean {
    return this.#protection.binder.enabled;
  }

  /** Raw values of `keys` in one bulk read; a batch that cannot be decrypted reads as all absent. */
  async readRaw(collection: string, keys: readonly string[]): Promise<Raw[]> {
    const raws = await refusing(this.#protection, collection, () =>
      this.#store.getMany(keys, { collection }),
    );
    return raws ?? keys.map(() => undefined);
  }

  /** A raw value opened as `schema` at its place, or `undefined` (absent or refused). */
  open<T>(schema: RecordSchema<T>, collection: string, key: string, raw: Raw): T | undefined {
    if (raw === undefined) return undefined;
    try {
      const unbound = this.#protection.binder.open(collection, key, raw) as JsonObject;
      const result = schema.check(unbound);
      if (result.issues) {
        const fields = result.issues.map((issue) => issue.path?.join('.') ?? '').filter(Boolean);
        throw new DeserializationError(
          `A stored ${schema.what} record in collection "${collection}" is malformed (${fields.join(', ') || 'not an object'})`,
        );
      }
      return result.value;
    } catch (err) {
      if (!isRefusal(err)) throw err;
      this.#protection.refused(err, collection);
      return undefined;
    }
  }

  /** The first of `keys` holding a valid record, with its key, in one bulk read. */
  async first<T>(
    schema: RecordSchema<T>,
    collection: string,
    keys: readonly string[],
  ): Promise<{ key: string; record: T } | undefined> {
    return this.pick(schema, collection, keys, await this.readRaw(collection, keys));
  }

  /** The first valid record among raw values read for `keys`. */
  pick<T>(
    schema: RecordSchema<T>,
    collection: string,
    keys: readonly string[],
    raws: readonly Raw[],
  ): { key: string; record: T } | undefined {
    for (const [i, key] of keys.entries()) {
      const record = this.open(schema, collection, key, raws[i]);
      if (record !== undefined) return { key, record };
    }
    return undefined;
  }

  /** Atomically takes whichever of `keys` holds the record (concurrently: one round trip). */
  async take<T>(
    schema: RecordSchema<T>,
    collection: string,
    keys: readonly string[],
  ): Promise<{ key: string; record: T } | undefined> {
    const taken = await Promise.all(
      keys.map((key) => refusing(this.#protection, collection, () => this.#store.take(key, { collection }))),
    );
    return this.pick(schema, collection, keys, taken);
  }

  /** Validates `record` (a `ValidationError` and nothing written when it does not fit), binds and stores it. */
  async put<T>(
    schema: RecordSchema<T>,
    collection: string,
    key: string,
    record: T,
    ttl: number | undefined,
  ): Promise<void> {
    await this.#store.put(key, this.#prepare(schema, collection, key, record), { collection, ttl });
  }

  /** {@link RecordIO.put} only when `key` is free; `true` when written. */
  putIfAbsent<T>(
    schema: RecordSchema<T>,
    collection: string,
    key: string,
    record: T,
    ttl: number | undefined,
  ): Promise<boolean> {
    return this.#store.putIfAbsent(key, this.#prepare(schema, collection, key, record), { collection, ttl });
  }

  /** Deletes `keys` (one command); the number that existed. */
  async delete(collection: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#store.deleteMany(keys, { collection });
  }

  #prepare<T>(schema: RecordSchema<T>, collection: string, key: string, record: T): JsonObject {
    const result = schema.check(record);
    if (result.issues) {
      throw new ValidationError(
        `Not a valid ${schema.what}`,
        result.issues.map((issue) => ({ message: issue.message, path: `$.${issue.path?.join('.') ?? ''}` })),
      );
    }
    return this.#protection.binder.seal(collection, key, result.value as unknown as JsonObject);
  }
}
