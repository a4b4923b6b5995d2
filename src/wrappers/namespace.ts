/**
 * The namespace wrapper: keeps several applications or tenants apart in one store.
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
import { DeserializationError, NotSupportedError, StoreSetupError } from '../errors.js';
import { validateName } from '../validation.js';
import { batchArgs, keyArgs, manyArgs, writeArgs } from './args.js';
import { WrapperStore } from './base.js';

/**
 * Where {@link NamespaceWrapper} puts its prefix.
 * - `'collection'`: collection `c` is stored as collection `prefix::c` (keys unchanged).
 * - `'key'`: key `k` of collection `c` is stored as key `prefix::k` of collection `c`.
 * - `'single'`: everything goes into one collection (`options.collection`, default the prefix);
 *   key `k` of collection `c` is stored as key `c::k` (`prefix::c::k` when both `prefix` and
 *   `collection` are given, so namespaces sharing that collection stay apart).
 *
 * @example
 * ```ts
 * const mode: NamespaceMode = 'collection';
 * ```
 */
export type NamespaceMode = 'collection' | 'key' | 'single';

/**
 * Options of {@link NamespaceWrapper}.
 *
 * @example
 * ```ts
 * const options: NamespaceOptions = { prefix: 'tenant-42', mode: 'collection', separator: '::' };
 * ```
 */
export interface NamespaceOptions {
  /** The namespace: a non-empty string. Required in `'collection'` and `'key'` mode. */
  prefix?: string | undefined;
  /** Where the prefix goes (default `'collection'`). */
  mode?: NamespaceMode | undefined;
  /** Between the prefix and the name (default `'::'`); non-empty, without `%`. */
  separator?: string | undefined;
  /**
   * `'single'` mode: the one collection everything is stored in (default: `prefix`). When both are
   * given, stored keys also start with the prefix.
   */
  collection?: string | undefined;
}

/** Most pages one internal enumeration (collections(), destroyCollection()) reads. */
const MAX_PAGES = 1_000_000;
/** Page size of internal enumerations. */
const PAGE = 1000;

/**
 * Prefixes collections or keys so that several namespaces share one store without seeing each
 * other's entries. The leading component (the prefix, or in `'single'` mode the collection) is
 * escaped (`%` and every character of the separator become `%XX`), so it never contains the
 * separator and the first separator marks where it ends: the mapping is injective, and
 * `("a::b", "c")` and `("a", "b::c")` never land on the same entry. The rest (collection or key)
 * is stored as given, so URL-shaped client ids stay readable.
 *
 * `keys()` and `collections()` return only this namespace's names, with the prefix stripped;
 * `destroyCollection()` deletes only this namespace's collection (in `'key'` and `'single'` mode by
 * enumerating its keys, which needs `keys` on the wrapped store and is not atomic against
 * concurrent writers). Names are validated before they are prefixed: an empty key still throws
 * `InvalidKeyError`.
 *
 * Namespaces sharing a store must use the same mode and separator; in `'single'` mode, namespaces
 * sharing one stored collection must each have a prefix.
 *
 * Stored layout with prefix `mcp` and separator `::`:
 * | mode | caller `(collection, key)` | stored `(collection, key)` |
 * |---|---|---|
 * | `'collection'` | `("clients", "https://a.example/c.json")` | `("mcp::clients", "https://a.example/c.json")` |
 * | `'key'` | `("clients", "c1")` | `("clients", "mcp::c1")` |
 * | `'single'` | `("clients", "c1")` | `("mcp", "clients::c1")` |
 *
 * @example
 * ```ts
 * import { MemoryStore, type NamespaceWrapper, withNamespace } from 'oauth-kv';
 *
 * const shared = new MemoryStore();
 * const a: NamespaceWrapper = withNamespace(shared, { prefix: 'tenant-a' });
 * const b = withNamespace(shared, { prefix: 'tenant-b' });
 * await a.put('k', { owner: 'a' });
 * await b.get('k'); // undefined
 * ```
 */
export class NamespaceWrapper extends WrapperStore {
  readonly #mode: NamespaceMode;
  readonly #separator: string;
  readonly #escape: (name: string) => string;
  /** Escaped prefix + separator ('collection' and 'key' mode). */
  readonly #head: string;
  /** The inner collection of 'single' mode. */
  readonly #single: string;
  /** 'single' mode: what every stored key starts with (the escaped prefix when it is not the collection). */
  readonly #singleHead: string;

  constructor(inner: AsyncKeyValue, options: NamespaceOptions) {
    super(inner);
    const mode = options.mode ?? 'collection';
    if (mode !== 'collection' && mode !== 'key' && mode !== 'single') {
      throw new StoreSetupError(`Namespace: mode must be 'collection', 'key' or 'single'`);
    }
    const separator = options.separator ?? '::';
    if (typeof separator !== 'string' || separator.length === 0 || !separator.isWellFormed()) {
      throw new StoreSetupError('Namespace: the separator must be a non-empty, well-formed string');
    }
    if (separator.includes('%')) throw new StoreSetupError('Namespace: the separator must not contain "%"');
    const prefix = options.prefix;
    if (
      prefix !== undefined &&
      (typeof prefix !== 'string' || prefix.length === 0 || !prefix.isWellFormed())
    ) {
      throw new StoreSetupError('Namespace: the prefix must be a non-empty, well-formed string');
    }
    if (prefix === undefined && mode !== 'single') {
      throw new StoreSetupError(`Namespace: mode '${mode}' needs a prefix`);
    }
    const single = options.collection ?? prefix;
    if (mode === 'single') {
      if (single === undefined)
        throw new StoreSetupError("Namespace: mode 'single' needs a collection or a prefix");
      if (typeof single !== 'string' || single.length === 0 || !single.isWellFormed()) {
        throw new StoreSetupError('Namespace: the collection must be a non-empty, well-formed string');
      }
    }
    this.#mode = mode;
    this.#separator = separator;
    this.#escape = escaper(separator);
    this.#head = prefix === undefined ? '' : this.#escape(prefix) + separator;
    this.#single = single ?? '';
    this.#singleHead = options.collection !== undefined && prefix !== undefined ? this.#head : '';
  }

  override get capabilities(): StoreCapabilities {
    const inner = this.inner.capabilities;
    if (this.#mode === 'collection') return inner;
    return {
      keys: inner.keys,
      collections: this.#mode === 'single' ? inner.keys : inner.keys && inner.collections,
      destroyCollection: inner.keys,
      cull: inner.cull,
      atomic: inner.atomic,
      increment: inner.increment === true,
    };
  }

  override async get(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const [collection, stored] = this.#map(key, options);
    return this.inner.get(stored, { collection });
  }

  override async getMany(
    keys: readonly string[],
    options?: CollectionOptions,
  ): Promise<(JsonObject | undefined)[]> {
    const [collection, stored] = this.#mapMany(keys, options);
    return this.inner.getMany(stored, { collection });
  }

  override async ttl(key: string, options?: CollectionOptions): Promise<TtlResult> {
    const [collection, stored] = this.#map(key, options);
    return this.inner.ttl(stored, { collection });
  }

  override async ttlMany(keys: readonly string[], options?: CollectionOptions): Promise<TtlResult[]> {
    const [collection, stored] = this.#mapMany(keys, options);
    return this.inner.ttlMany(stored, { collection });
  }

  override async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    const args = writeArgs(key, options);
    const collection = this.#storedCollection(args.collection);
    return this.inner.put(this.#storedKey(args.collection, args.key), value, { collection, ttl: args.ttl });
  }

  override async putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    const args = batchArgs(entries, options);
    const mapped = args.entries.map(
      ([key, value]) => [this.#storedKey(args.collection, key), value as JsonObject] as const,
    );
    const collection = this.#storedCollection(args.collection);
    return this.inner.putMany(mapped, { collection, ttl: args.ttl });
  }

  override async delete(key: string, options?: CollectionOptions): Promise<boolean> {
    const [collection, stored] = this.#map(key, options);
    return this.inner.delete(stored, { collection });
  }

  override async deleteMany(keys: readonly string[], options?: CollectionOptions): Promise<number> {
    const [collection, stored] = this.#mapMany(keys, options);
    return this.inner.deleteMany(stored, { collection });
  }

  override async take(key: string, options?: CollectionOptions): Promise<JsonObject | undefined> {
    const [collection, stored] = this.#map(key, options);
    return this.inner.take(stored, { collection });
  }

  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    const args = writeArgs(key, options);
    const collection = this.#storedCollection(args.collection);
    const stored = this.#storedKey(args.collection, args.key);
    return this.inner.putIfAbsent(stored, value, { collection, ttl: args.ttl });
  }

  /** Forwards to the inner store's atomic `increment` under the namespaced name. */
  async increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    const args = writeArgs(key, options);
    const inner = this.inner;
    if (inner.increment === undefined || inner.capabilities.increment !== true) {
      throw new NotSupportedError('increment', inner.constructor.name);
    }
    const collection = this.#storedCollection(args.collection);
    return inner.increment(this.#storedKey(args.collection, args.key), by, { collection, ttl: args.ttl });
  }

  override async keys(collection: string = DEFAULT_COLLECTION, options?: KeysOptions): Promise<KeysPage> {
    validateName(collection, 'collection');
    if (this.#mode === 'collection') return this.inner.keys(this.#storedCollection(collection), options);
    this.#require('keys');
    const head = this.#keyHead(collection);
    const page = await this.inner.keys(this.#storedCollection(collection), options);
    const keys: string[] = [];
    for (const key of page.keys) if (key.startsWith(head)) keys.push(key.slice(head.length));
    return { keys, cursor: page.cursor };
  }

  override async collections(): Promise<string[]> {
    if (this.#mode === 'collection') {
      const names: string[] = [];
      for (const name of await this.inner.collections()) {
        if (!name.startsWith(this.#head)) continue;
        const rest = name.slice(this.#head.length);
        if (rest.length > 0) names.push(rest);
      }
      return names;
    }
    this.#require('collections');
    if (this.#mode === 'key') {
      const names: string[] = [];
      for (const name of await this.inner.collections()) {
        if (await this.#hasOwnKey(name)) names.push(name);
      }
      return names;
    }
    const names = new Set<string>();
    for await (const stored of this.#innerKeys(this.#single)) {
      if (!stored.startsWith(this.#singleHead)) continue;
      const key = stored.slice(this.#singleHead.length);
      const at = key.indexOf(this.#separator);
      if (at <= 0) continue;
      const escaped = key.slice(0, at);
      const name = unescapeName(escaped);
      // Skip keys this wrapper cannot have written (not in the canonical escaped form).
      if (
        name !== undefined &&
        this.#escape(name) === escaped &&
        name.length > 0 &&
        key.length > at + this.#separator.length
      )
        names.add(name);
    }
    return [...names];
  }

  override async destroyCollection(collection: string): Promise<boolean> {
    validateName(collection, 'collection');
    if (this.#mode === 'collection') return this.inner.destroyCollection(this.#storedCollection(collection));
    this.#require('destroyCollection');
    const storedCollection = this.#storedCollection(collection);
    const head = this.#keyHead(collection);
    // Collect first, delete after: deleting while paging could make a store skip keys.
    const doomed: string[] = [];
    for await (const key of this.#innerKeys(storedCollection)) if (key.startsWith(head)) doomed.push(key);
    let deleted = 0;
    for (let i = 0; i < doomed.length; i += PAGE) {
      deleted += await this.inner.deleteMany(doomed.slice(i, i + PAGE), { collection: storedCollection });
    }
    return deleted > 0;
  }

  // ---- internals -----------------------------------------------------------------------------

  #storedCollection(collection: string): string {
    switch (this.#mode) {
      case 'collection':
        return this.#head + collection;
      case 'key':
        return collection;
      default:
        return this.#single;
    }
  }

  /** What the stored key of `collection` starts with ('' in 'collection' mode). */
  #keyHead(collection: string): string {
    switch (this.#mode) {
      case 'collection':
        return '';
      case 'key':
        return this.#head;
      default:
        return this.#singleHead + this.#escape(collection) + this.#separator;
    }
  }

  #storedKey(collection: string, key: string): string {
    return this.#keyHead(collection) + key;
  }

  #map(key: string, options: CollectionOptions | undefined): [string, string] {
    const args = keyArgs(key, options);
    return [this.#storedCollection(args.collection), this.#storedKey(args.collection, args.key)];
  }

  #mapMany(keys: readonly string[], options: CollectionOptions | undefined): [string, string[]] {
    const args = manyArgs(keys, options);
    const stored = args.keys.map((key) => this.#storedKey(args.collection, key));
    return [this.#storedCollection(args.collection), stored];
  }

  #require(operation: 'keys' | 'collections' | 'destroyCollection'): void {
    if (!this.capabilities[operation]) throw new NotSupportedError(operation, this.constructor.name);
  }

  async #hasOwnKey(collection: string): Promise<boolean> {
    for await (const key of this.#innerKeys(collection)) if (key.startsWith(this.#head)) return true;
    return false;
  }

  async *#innerKeys(collection: string): AsyncGenerator<string> {
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.inner.keys(collection, { limit: PAGE, cursor });
      yield* page.keys;
      if (page.cursor === undefined) return;
      if (page.cursor === cursor) {
        throw new DeserializationError('The wrapped store returned the same keys() cursor twice');
      }
      cursor = page.cursor;
    }
    throw new DeserializationError(`The wrapped store's keys() did not finish within ${MAX_PAGES} pages`);
  }
}

/** `%` and each character of the separator become `%XX` (UTF-8 bytes), everything else stays. */
function escaper(separator: string): (name: string) => string {
  const special = new Set([...separator, '%']);
  const encoder = new TextEncoder();
  return (name) => {
    let out = '';
    for (const ch of name) {
      if (!special.has(ch)) {
        out += ch;
        continue;
      }
      for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  };
}

function unescapeName(escaped: string): string | undefined {
  try {
    return decodeURIComponent(escaped);
  } catch {
    return undefined; // not a name this wrapper wrote
  }
}

/**
 * Wraps `store` in a {@link NamespaceWrapper}.
 *
 * @example
 * ```ts
 * import { MemoryStore, withNamespace } from 'oauth-kv';
 *
 * const store = withNamespace(new MemoryStore(), { prefix: 'my-mcp-server' });
 * ```
 */
export function withNamespace(store: AsyncKeyValue, options: NamespaceOptions): NamespaceWrapper {
  return new NamespaceWrapper(store, options);
}
