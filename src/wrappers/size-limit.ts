/**
 * The size limit wrapper: refuses values whose JSON is larger than a limit.
 * @module
 */
import { type AsyncKeyValue, COUNTER_FIELD, type JsonObject, type PutOptions } from '../contract.js';
import { StoreSetupError, ValueTooLargeError } from '../errors.js';
import { snapshotValue, validateEntries } from '../validation.js';
import { writeArgs } from './args.js';
import { incrementOn, WrapperStore } from './base.js';

/**
 * Options of {@link SizeLimitWrapper}.
 *
 * @example
 * ```ts
 * const options: SizeLimitOptions = { maxBytes: 64 * 1024 };
 * ```
 */
export interface SizeLimitOptions {
  /** Largest serialized value in bytes (the UTF-8 of its compact JSON): a positive integer. */
  maxBytes: number;
}

/**
 * Throws `ValueTooLargeError` for a value whose compact JSON is larger than `maxBytes` in UTF-8,
 * before anything is written. `putMany` is all-or-nothing: one value over the limit and no entry
 * of the batch is written. The limit applies to the value as this wrapper receives it: put the
 * wrapper under an encryption wrapper to limit the stored (encrypted) size instead.
 *
 * @example
 * ```ts
 * import { type SizeLimitWrapper, ValueTooLargeError, withSizeLimit } from 'oauth-kv';
 *
 * const store: SizeLimitWrapper = withSizeLimit(inner, { maxBytes: 1024 });
 * await store.put('k', { blob: 'x'.repeat(2048) }).catch((e) => e instanceof ValueTooLargeError); // true
 * ```
 */
export class SizeLimitWrapper extends WrapperStore {
  readonly #maxBytes: number;

  constructor(inner: AsyncKeyValue, options: SizeLimitOptions) {
    super(inner);
    const max = options?.maxBytes;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new StoreSetupError('SizeLimit: maxBytes must be a positive integer');
    }
    this.#maxBytes = max;
  }

  /** The limit in bytes. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  override async put(key: string, value: JsonObject, options?: PutOptions): Promise<void> {
    return this.inner.put(key, this.#check(value), options);
  }

  override async putMany(
    entries: ReadonlyArray<readonly [string, JsonObject]>,
    options?: PutOptions,
  ): Promise<void> {
    const checked = validateEntries(entries).map(([key, value]) => [key, this.#check(value)] as const);
    return this.inner.putMany(checked, options);
  }

  override async putIfAbsent(key: string, value: JsonObject, options?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, this.#check(value), options);
  }

  /**
   * The wrapped store's atomic `increment`. The counter it would create (`{ "count": by }`) is
   * measured like a `put`; an existing counter grows by a few digits at most and is not measured.
   */
  async increment(key: string, by?: number, options?: PutOptions): Promise<number> {
    writeArgs(key, options); // refuses a bad collection, key or TTL as the store would, first
    if (Number.isSafeInteger(by ?? 1)) this.#check({ [COUNTER_FIELD]: by ?? 1 });
    return incrementOn(this.inner, key, by, options);
  }

  /** Measures the value and returns the copy that was measured, which is what gets stored. */
  #check(value: unknown): JsonObject {
    const { value: copy, json } = snapshotValue(value);
    // Cheap bound first: a UTF-16 code unit is at most 3 UTF-8 bytes.
    if (json.length * 3 <= this.#maxBytes) return copy;
    const size = utf8Length(json);
    if (size > this.#maxBytes) throw new ValueTooLargeError(size, this.#maxBytes);
    return copy;
  }
}

/** UTF-8 length of a well-formed string (serializeValue has rejected lone surrogates). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Wraps `store` in a {@link SizeLimitWrapper}.
 *
 * @example
 * ```ts
 * import { withSizeLimit } from 'oauth-kv';
 *
 * const store = withSizeLimit(inner, { maxBytes: 256 * 1024 });
 * ```
 */
export function withSizeLimit(store: AsyncKeyValue, options: SizeLimitOptions): SizeLimitWrapper {
  return new SizeLimitWrapper(store, options);
}
