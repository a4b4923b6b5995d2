/**
 * Broken stores written on the raw AsyncKeyValue contract: each takes RawStore (itself written from
 * scratch, no BaseStore) and gets one thing wrong the way a custom-backend author plausibly would.
 * test/conformance-self.test.ts checks that the test of the clause each one breaks fails.
 */
import type { CollectionOptions, JsonObject, PutOptions, TtlResult } from '../../src/contract.js';
import { RawStore, type Slot } from './raw-store.js';
import { checkOptions, checkTtl } from './raw-validate.js';

// ---- single operations ----------------------------------------------------------------------------

/** delete() answers "was the key there", counting nothing. */
export class DeleteAlwaysTrue extends RawStore {
  override async delete(key: string, options?: CollectionOptions) {
    await super.delete(key, options);
    return true;
  }
}
/** An empty object is stored as "nothing". */
export class EmptyObjectIsMissing extends RawStore {
  protected override decode(json: string) {
    return json === '{}' ? (undefined as unknown as JsonObject) : super.decode(json);
  }
}
/** The default collection is called "default". */
export class WrongDefaultCollection extends RawStore {
  protected override open(options: unknown) {
    const given = checkOptions(options).collection;
    return given === undefined ? 'default' : super.open(options);
  }
}
/** A put without TTL keeps the expiry of the entry it replaces. */
export class PutKeepsOldExpiry extends RawStore {
  protected override write(collection: string, key: string, slot: Slot) {
    const old = this.data.get(collection)?.get(key);
    super.write(
      collection,
      key,
      slot.expiresAt === undefined && old ? { ...slot, expiresAt: old.expiresAt } : slot,
    );
  }
}

// ---- bulk operations --------------------------------------------------------------------------------

/** getMany leaves out the keys it did not find. */
export class GetManyCompacts extends RawStore {
  override async getMany(keys: readonly string[], options?: CollectionOptions) {
    return (await super.getMany(keys, options)).filter((v) => v !== undefined);
  }
}
/** getMany decodes each distinct key once and hands the same object to every duplicate. */
export class GetManySharesDuplicates extends RawStore {
  override async getMany(keys: readonly string[], options?: CollectionOptions) {
    const values = await super.getMany(keys, options);
    const first = new Map<string, JsonObject | undefined>();
    return keys.map((k, i) => (first.has(k) ? first.get(k) : first.set(k, values[i]).get(k)));
  }
}
/** putMany keeps the first of two entries with the same key. */
export class PutManyFirstWins extends RawStore {
  override async putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions) {
    const seen = new Set<string>();
    await super.putMany(
      entries.filter(([k]) => !seen.has(k) && seen.add(k)),
      options,
    );
  }
}
/** putMany ignores the TTL. */
export class PutManyIgnoresTtl extends RawStore {
  override async putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions) {
    checkTtl(checkOptions(options).ttl);
    await super.putMany(entries, { collection: checkOptions(options).collection as string | undefined });
  }
}
/** putMany writes entry after entry and stops at the first bad one, leaving the earlier ones written. */
export class PutManyPartial extends RawStore {
  override async putMany(entries: ReadonlyArray<readonly [string, JsonObject]>, options?: PutOptions) {
    for (const [key, value] of entries) await this.put(key, value, options);
  }
}
/** deleteMany returns how many keys it was given. */
export class DeleteManyCountsKeys extends RawStore {
  override async deleteMany(keys: readonly string[], options?: CollectionOptions) {
    await super.deleteMany(keys, options);
    return keys.length;
  }
}
/** deleteMany counts a key given twice twice. */
export class DeleteManyCountsDuplicates extends RawStore {
  override async deleteMany(keys: readonly string[], options?: CollectionOptions) {
    const live = (await this.getMany(keys, options)).filter((v) => v !== undefined).length;
    await super.deleteMany(keys, options);
    return live;
  }
}
/** ttlMany answers in storage order instead of key order. */
export class TtlManySorted extends RawStore {
  override async ttlMany(keys: readonly string[], options?: CollectionOptions) {
    return super.ttlMany([...keys].sort(), options);
  }
}
/** Bulk reads go to the backend in batches of 1,000 and only the first batch is read. */
export class BulkFirstBatchOnly extends RawStore {
  override async getMany(keys: readonly string[], options?: CollectionOptions) {
    const got = await super.getMany(keys.slice(0, 1000), options);
    return [...got, ...keys.slice(1000).map(() => undefined)];
  }
}
/** deleteMany in batches of 500 reports the count of the last batch only. */
export class BulkDeleteLastBatchCount extends RawStore {
  override async deleteMany(keys: readonly string[], options?: CollectionOptions) {
    let count = 0;
    for (let i = 0; i < keys.length; i += 500)
      count = await super.deleteMany(keys.slice(i, i + 500), options);
    return count;
  }
}

// ---- time to live -------------------------------------------------------------------------------------

/** ttl() reports the TTL the entry was written with, not what remains. */
export class TtlReportsOriginal extends RawStore {
  readonly #asked = new Map<string, number>();
  protected override expiry(ttl: unknown) {
    const at = super.expiry(ttl);
    if (at !== undefined) this.#asked.set(String(at), ttl as number);
    return at;
  }
  protected override ttlOf(slot: Slot | undefined): TtlResult {
    const result = super.ttlOf(slot);
    return slot?.expiresAt === undefined
      ? result
      : { ...result, ttl: this.#asked.get(String(slot.expiresAt)) };
  }
}
/** ttl() in milliseconds. */
export class TtlInMilliseconds extends RawStore {
  protected override ttlOf(slot: Slot | undefined): TtlResult {
    const result = super.ttlOf(slot);
    return result.ttl === undefined ? result : { ...result, ttl: result.ttl * 1000 };
  }
}
/** TTLs are rounded up to whole seconds (as a backend with second-resolution expiry would). */
export class TtlRoundedUp extends RawStore {
  protected override expiry(ttl: unknown) {
    return super.expiry(typeof ttl === 'number' ? Math.ceil(ttl) : ttl);
  }
}
/** The TTL is taken as milliseconds: entries expire a thousand times too early. */
export class TtlTakenAsMilliseconds extends RawStore {
  protected override expiry(ttl: unknown) {
    const at = super.expiry(ttl);
    return at === undefined ? undefined : this.now() + (at - this.now()) / 1000;
  }
}
/** Only get() checks expiry; the other reads see expired entries. */
export class ExpiryOnlyInGet extends RawStore {
  protected override read(collection: string, key: string) {
    return this.data.get(collection)?.get(key);
  }
  override async get(key: string, options?: CollectionOptions) {
    const collection = this.open(options);
    const slot = this.live(this.data.get(collection)?.get(this.key(key)));
    return slot && this.decode(slot.json);
  }
}
/** delete() of an expired entry answers true. */
export class DeleteCountsExpired extends RawStore {
  protected override remove(collection: string, key: string) {
    const had = this.data.get(collection)?.has(key) ?? false;
    super.remove(collection, key);
    return had;
  }
}
/** putIfAbsent treats an expired entry as present. */
export class PutIfAbsentBlockedByExpired extends RawStore {
  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions) {
    const collection = this.open(options);
    if (this.data.get(collection)?.has(this.key(key))) return false;
    return super.putIfAbsent(key, value, options);
  }
}
/** The largest TTL is refused (a `<` where `<=` belongs). */
export class MaxTtlRefused extends RawStore {
  protected override expiry(ttl: unknown) {
    if (typeof ttl === 'number' && ttl >= 100 * 365.25 * 24 * 3600) checkTtl(Number.POSITIVE_INFINITY);
    return super.expiry(ttl);
  }
}
/** A TTL of 0 means "no expiry". */
export class ZeroTtlMeansForever extends RawStore {
  protected override expiry(ttl: unknown) {
    return ttl === 0 ? undefined : super.expiry(ttl);
  }
}
/** A TTL given as a numeric string is converted. */
export class TtlStringCoerced extends RawStore {
  protected override expiry(ttl: unknown) {
    return super.expiry(typeof ttl === 'string' ? Number(ttl) : ttl);
  }
}
/** cull() reports how many entries it looked at. */
export class CullCountsAll extends RawStore {
  override async cull() {
    let all = 0;
    for (const slots of this.data.values()) all += slots.size;
    await super.cull();
    return all;
  }
}
/** keys() lists expired entries. */
export class KeysListsExpired extends RawStore {
  protected override listable() {
    return true;
  }
}
