/**
 * More broken stores on the raw contract (see broken-raw.ts): names and their encoding, validation
 * of input, copies, optional capabilities, close(), atomicity and errors.
 */
import type { CollectionOptions, JsonObject, KeysOptions, KeysPage, PutOptions } from '../../src/contract.js';
import { InvalidTTLError, SerializationError, StoreConnectionError } from '../../src/errors.js';
import { RawStore, type Slot } from './raw-store.js';
import { checkName, checkOptions, checkTtl, snapshot } from './raw-validate.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

// ---- names --------------------------------------------------------------------------------------------

/** Keeps every entry in one flat map under `${collection}/${key}`. */
export class JoinsNamesWithSlash extends RawStore {
  protected override read(collection: string, key: string) {
    return super.read('flat', `${collection}/${key}`);
  }
  protected override write(collection: string, key: string, slot: Slot) {
    super.write('flat', `${collection}/${key}`, slot);
  }
  protected override remove(collection: string, key: string) {
    return super.remove('flat', `${collection}/${key}`);
  }
}
/** Normalizes names to NFC, so é written two ways is one entry. */
export class NormalizesNames extends RawStore {
  protected override key(key: unknown) {
    return super.key(key).normalize('NFC');
  }
}
/** Cuts names at the first NUL, as a C string would. */
export class CutsNamesAtNul extends RawStore {
  protected override key(key: unknown) {
    return super.key(key).split('\u0000')[0] || '\u2400';
  }
  protected override open(options: unknown) {
    return super.open(options).split('\u0000')[0] as string;
  }
}
/** Lower-cases keys (a case-insensitive backend). */
export class CaseInsensitiveKeys extends RawStore {
  protected override key(key: unknown) {
    return super.key(key).toLowerCase();
  }
}
/** keys('c') matches every collection whose name starts with 'c' (a prefix scan without a separator). */
export class KeysByPrefix extends RawStore {
  override async keys(collection = 'default_collection', options?: KeysOptions): Promise<KeysPage> {
    const pages = await Promise.all(
      [...this.data.keys()].filter((c) => c.startsWith(collection)).map((c) => super.keys(c, options)),
    );
    return { keys: pages.flatMap((p) => p.keys), cursor: undefined };
  }
}
/** destroyCollection('c') also deletes 'c2' (a prefix delete). */
export class DestroysByPrefix extends RawStore {
  override async destroyCollection(collection: string) {
    let had = false;
    for (const c of [...this.data.keys()])
      if (c.startsWith(collection)) had = (await super.destroyCollection(c)) || had;
    return had;
  }
}

// ---- input ----------------------------------------------------------------------------------------------

/** Accepts a number as the options argument: put(key, value, 300) as a TTL. */
export class NumberOptionsAsTtl extends RawStore {
  protected override open(options: unknown) {
    return super.open(typeof options === 'number' ? { ttl: options } : options);
  }
  override async put(key: string, value: JsonObject, options?: PutOptions) {
    return super.put(key, value, typeof options === 'number' ? { ttl: options } : options);
  }
}
/** A null collection means the default one. */
export class NullCollectionIsDefault extends RawStore {
  protected override open(options: unknown) {
    const o = checkOptions(options);
    return super.open(o.collection === null ? { ...o, collection: undefined } : options);
  }
}
/** Keys are checked for type only: lone surrogates pass. */
export class AcceptsLoneSurrogates extends RawStore {
  protected override key(key: unknown) {
    return typeof key === 'string' && key !== '' ? key : checkName(key, 'key');
  }
}
/** An empty key is accepted. */
export class AcceptsEmptyKey extends RawStore {
  protected override key(key: unknown) {
    return key === '' ? '' : super.key(key);
  }
}
/** Values go through JSON.stringify unchecked: undefined members and functions vanish, Dates become strings. */
export class UncheckedJson extends RawStore {
  protected override encode(value: unknown) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return snapshot(value).json;
    return JSON.stringify(value);
  }
}
/** Validates the value, then serializes it again: a getter is read twice. */
export class ReadsValueTwice extends RawStore {
  protected override encode(value: unknown) {
    snapshot(value);
    return JSON.stringify(value);
  }
}
/** putIfAbsent answers false for an existing key before looking at the value or TTL. */
export class PutIfAbsentChecksLate extends RawStore {
  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions) {
    const collection = this.open(options);
    if (this.read(collection, this.key(key)) !== undefined) return false;
    return super.putIfAbsent(key, value, options);
  }
}
/** SerializationError messages quote the offending value. */
export class MessageQuotesValue extends RawStore {
  protected override encode(value: unknown) {
    try {
      return super.encode(value);
    } catch (err) {
      const quoted = JSON.stringify(value, (_k, v) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
      );
      (err as Error).message += ` in ${quoted}`;
      throw err;
    }
  }
}
/** A refused TTL's message says only that it is wrong, not what was given. */
export class TtlRefusalSaysNothingFound extends RawStore {
  protected override expiry(ttl: unknown) {
    try {
      return super.expiry(ttl);
    } catch (err) {
      throw new InvalidTTLError(`invalid TTL (${(err as Error).name})`);
    }
  }
}
/** Refusals are thrown as plain objects carrying a code, not Errors. */
export class ThrowsPlainObjects extends RawStore {
  protected override key(key: unknown) {
    try {
      return super.key(key);
    } catch (err) {
      throw { code: (err as { code: string }).code, message: (err as Error).message };
    }
  }
}
/** A bad key is reported as a connection error, which the retry wrapper retries forever. */
export class RetryableRefusal extends RawStore {
  protected override key(key: unknown) {
    try {
      return super.key(key);
    } catch (err) {
      throw Object.assign(new StoreConnectionError((err as Error).message), { code: 'INVALID_KEY' });
    }
  }
}
/** Values above 512 KiB are refused (a backend with a small document limit). */
export class SmallValueLimit extends RawStore {
  protected override encode(value: unknown) {
    const json = super.encode(value);
    if (json.length > 512 * 1024) throw new SerializationError('too large', '$');
    return json;
  }
}

// ---- copies, capabilities, close, atomicity ------------------------------------------------------------------------

/** Keeps the caller's object and hands it back as it is. */
export class KeepsCallerObjects extends RawStore {
  readonly #objects = new Map<string, JsonObject>();
  protected override encode(value: unknown) {
    const json = super.encode(value);
    this.#objects.set(json, value as JsonObject);
    return json;
  }
  protected override decode(json: string) {
    return this.#objects.get(json) ?? super.decode(json);
  }
}
/** collections() lists collections whose entries were all deleted. */
export class CollectionsKeepsEmptied extends RawStore {
  readonly #seen = new Set<string>();
  protected override write(collection: string, key: string, slot: Slot) {
    this.#seen.add(collection);
    super.write(collection, key, slot);
  }
  override async collections() {
    return [...new Set([...(await super.collections()), ...this.#seen])];
  }
}
/** keys() returns everything in one page, whatever the limit. */
export class KeysIgnoresLimit extends RawStore {
  override async keys(collection?: string, options?: KeysOptions) {
    return super.keys(collection, { ...options, limit: 1_000_000 });
  }
}
/** keys() resumes at the cursor instead of after it: a key per page boundary twice. */
export class KeysCursorInclusive extends RawStore {
  override async keys(collection?: string, options?: KeysOptions): Promise<KeysPage> {
    const page = await super.keys(collection, options);
    if (options?.cursor !== undefined && page.keys.length > 0) page.keys.unshift(options.cursor);
    return page;
  }
}
/** keys() takes whatever limit it is given. */
export class KeysAcceptsAnyLimit extends RawStore {
  protected override pageOptions(options: unknown) {
    const { limit } = checkOptions(options) as { limit?: unknown };
    return super.pageOptions({
      ...(options as object),
      limit: Number(limit) > 0 ? Math.ceil(Number(limit)) : undefined,
    });
  }
}
/** Announces no keys() but answers it with an empty page instead of NotSupportedError. */
export class SilentUnsupported extends RawStore {
  override readonly capabilities = {
    keys: false,
    collections: true,
    destroyCollection: true,
    cull: true,
    atomic: true,
  };
  override async keys(): Promise<KeysPage> {
    return { keys: [], cursor: undefined };
  }
}
/** close() does nothing: the store keeps answering. */
export class CloseIgnored extends RawStore {
  override async close() {
    clearInterval(this.timer);
  }
}
/** close() marks the store closed but leaves its sweep timer running. */
export class CloseLeavesTimer extends RawStore {
  override async close() {
    this.closed = true;
  }
}
/** take() reads, then deletes a moment later: racing callers both get the value. */
export class RawNonAtomicTake extends RawStore {
  override async take(key: string, options?: CollectionOptions) {
    const value = await this.get(key, options);
    await tick();
    await this.delete(key, options);
    return value;
  }
}
/** putIfAbsent checks, then writes a moment later: racing callers both win. */
export class RawNonAtomicPutIfAbsent extends RawStore {
  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions) {
    checkTtl(checkOptions(options).ttl);
    if ((await this.get(key, options)) !== undefined) return false;
    await tick();
    await this.put(key, value, options);
    return true;
  }
}
/** Each instance caches what it read and never hears of another instance's deletes. */
export class StaleReadCache extends RawStore {
  readonly #cache = new Map<string, JsonObject>();
  override async get(key: string, options?: CollectionOptions) {
    const id = JSON.stringify([this.open(options), this.key(key)]);
    if (this.#cache.has(id)) return structuredClone(this.#cache.get(id));
    const value = await super.get(key, options);
    if (value !== undefined) this.#cache.set(id, structuredClone(value));
    return value;
  }
  override async getMany(keys: readonly string[], options?: CollectionOptions) {
    return Promise.all(keys.map((k) => this.get(k, options)));
  }
}
