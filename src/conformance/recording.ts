/**
 * The view the suite hands to its tests: it forwards every call unchanged to the store under test
 * and remembers the names written, so the suite can remove what a run wrote on a real database.
 * @module
 */
import {
  type AsyncKeyValue,
  type CollectionOptions,
  DEFAULT_COLLECTION,
  type JsonObject,
  type KeysOptions,
  type KeysPage,
  type PutOptions,
  type StoreCapabilities,
  type TtlResult,
} from '../contract.js';

/** Collection → keys written to it during a run. */
export type WrittenNames = Map<string, Set<string>>;

/** Forwards every call unchanged to `inner`, recording the names of writes in `written`. */
export class RecordingStore implements AsyncKeyValue {
  readonly #inner: AsyncKeyValue;
  readonly #written: WrittenNames;

  /** Present when the store under test has `increment` (announced or not), as on that store. */
  readonly increment?: (key: string, by?: number, options?: PutOptions) => Promise<number>;

  constructor(inner: AsyncKeyValue, written: WrittenNames) {
    this.#inner = inner;
    this.#written = written;
    if (typeof inner.increment === 'function') {
      this.increment = (key, by, options) => {
        this.#note([key], options);
        return inner.increment!(key, by, options);
      };
    }
  }

  get capabilities(): StoreCapabilities {
    return this.#inner.capabilities;
  }

  #note(keys: readonly unknown[], options: unknown): void {
    const given = options === undefined ? undefined : (options as CollectionOptions | null)?.collection;
    const collection = given === undefined ? DEFAULT_COLLECTION : given;
    if (!isName(collection)) return;
    let set = this.#written.get(collection);
    if (set === undefined) {
      set = new Set();
      this.#written.set(collection, set);
    }
    for (const key of keys) if (isName(key)) set.add(key);
  }

  get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#inner.get(key, options);
  }
  getMany(keys: readonly string[], options?: CollectionOptions): Promise<(JsonObject | undefined)[]> {
    return this.#inner.getMany(keys, options);
  }
  ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    return this.#inner.ttl(key, options);
  }
  ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    return this.#inner.ttlMany(keys, options);
  }
  put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    this.#note([key], options);
    return this.#inner.put(key, value, options);
  }
  putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions): Promise<void> {
    if (Array.isArray(entries)) {
      this.#note(
        entries.map((e: unknown) => (Array.isArray(e) ? e[0] : undefined)),
        options,
      );
    }
    return this.#inner.putMany(entries, options);
  }
  delete(key: string, options?: CollectionOptions): Promise<boolean> {
    return this.#inner.delete(key, options);
  }
  deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    return this.#inner.deleteMany(keys, options);
  }
  take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    return this.#inner.take(key, options);
  }
  putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    this.#note([key], options);
    return this.#inner.putIfAbsent(key, value, options);
  }
  keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    return this.#inner.keys(collection, options);
  }
  collections(): Promise<string[]> {
    return this.#inner.collections();
  }
  destroyCollection(collection: string): Promise<boolean> {
    return this.#inner.destroyCollection(collection);
  }
  cull(): Promise<number> {
    return this.#inner.cull();
  }
  ping(): Promise<void> {
    return this.#inner.ping();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** A name the store accepts (bad names were refused, so nothing was written under them). */
function isName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name.isWellFormed();
}

/** Deletes every recorded entry through `store`, 500 keys per call. */
export async function removeRecorded(store: AsyncKeyValue, written: WrittenNames): Promise<void> {
  for (const [collection, keys] of written) {
    const list = [...keys];
    for (let i = 0; i < list.length; i += 500) {
      await store.deleteMany(list.slice(i, i + 500), { collection });
    }
  }
  written.clear();
}
