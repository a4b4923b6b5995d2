/**
 * The stored form of oidc-provider's records (internal to `oauth-kv/oidc-provider`).
 *
 * - Models whose id is a bearer value or leads to one (every model but `Client` and `Grant`) are
 *   stored under the hash of the id, and their whole payload is sealed under a key derived from the
 *   id: the store holds neither the token nor anything inside the payload (a device code in an
 *   interaction, a session id, a user code). Only the `grantId` (for grant revocation) and the
 *   storage keys of the record's own lookups stay readable.
 * - `Client` and `Grant` are stored under their id (a client id is public, a grant id grants
 *   nothing); a client's `client_secret` is sealed under a secret kept outside the store.
 * - Lookups (`uid` → session, `userCode` → device code) are stored under the hash of the looked-up
 *   value and hold the record's id sealed under that value.
 * - With binding on, every record carries its place ({@link RecordBinder}).
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { InvalidTTLError, SerializationError } from '../errors.js';
import { isPlainObject } from '../validation.js';
import { type Protection, refusing, unprotected, unprotectedClientSecret } from './protection.js';
import { openSealed } from './sealing.js';

/** Models stored under their own id, with a readable payload. */
const PUBLIC_ID_MODELS = new Set(['Client', 'Grant']);

/** The stored member holding a sealed `client_secret`. */
const SEALED_CLIENT_SECRET = 'client_secret_sealed';

/** Stored members of a sealed record. */
interface SealedRecord extends JsonObject {
  sealed: string;
}

/** The lookup fields oidc-provider searches by. */
export type LookupField = 'uid' | 'userCode';

/** Encodes and decodes the records of one adapter factory. */
export class OidcRecords {
  readonly #store: AsyncKeyValue;
  readonly #protection: Protection;
  readonly #prefix: string;

  constructor(store: AsyncKeyValue, protection: Protection, prefix: string) {
    this.#store = store;
    this.#protection = protection;
    this.#prefix = prefix;
  }

  /** The collection of the members of grant `grantId`. */
  grantCollection(grantId: string): string {
    return `${this.#prefix}grant:${grantId}`;
  }

  /**
   * Deletes a record's lookups that still point at it (others belong to someone else) and its grant
   * membership, from the readable members of the stored record (no id needed, so revocation can do
   * it). The consumption record stays until it expires with the payload's lifetime, so a request
   * that found the entry before it was destroyed still cannot consume it.
   */
  async removeLookups(model: string, key: string, record: JsonObject | undefined): Promise<void> {
    if (record === undefined) return;
    const store = this.#store;
    const work: Promise<unknown>[] = [];
    for (const [field, ref] of [
      ['uid', record.uidKey],
      ['userCode', record.userCodeKey],
    ] as const) {
      if (!isName(ref)) continue;
      const collection = `${this.#prefix}${model}:${field}`;
      work.push(
        refusing(this.#protection, collection, () => store.get(ref, { collection })).then((lookup) =>
          lookup?.id === key ? store.delete(ref, { collection }) : false,
        ),
      );
    }
    if (GRANTABLE.has(model) && isName(record.grantId)) {
      work.push(store.delete(`${model}:${key}`, { collection: this.grantCollection(record.grantId) }));
    }
    await Promise.all(work);
  }

  /** Whether `model`'s ids are hashed and its payloads sealed. */
  sealed(model: string): boolean {
    return !PUBLIC_ID_MODELS.has(model);
  }

  /** Every storage key `id` of `model` may be under, newest secret first. */
  keys(model: string, id: string): string[] {
    return this.sealed(model) ? this.#protection.vault.keys(id) : [id];
  }

  /** The storage key of `id` of `model` for writing. */
  key(model: string, id: string): string {
    return this.sealed(model) ? this.#protection.vault.key(id) : id;
  }

  /** The storage key of a lookup value (`uid`, `userCode`). */
  lookupKey(value: string): string {
    return this.#protection.vault.key(value);
  }

  /** Every storage key a lookup value may be under, newest secret first. */
  lookupKeys(value: string): string[] {
    return this.#protection.vault.keys(value);
  }

  /** Throws unless a user code may be stored (keyed hashing, or unprotected storage allowed). */
  checkUserCode(): void {
    if (!this.#protection.vault.keyed && !this.#protection.allowUnprotected) {
      throw unprotected(
        'a device-flow user code',
        'its 8 letters are guessed offline from an unkeyed hash',
        'hashSecret',
      );
    }
  }

  /**
   * The stored form of `payload` (of `id`, in `collection` at `key`). `refs` are the storage keys
   * of its lookups, kept readable so destroy and revocation can remove them. Throws
   * {@link StoreSetupError} for a client secret it may not store.
   */
  encode(
    model: string,
    collection: string,
    key: string,
    id: string,
    payload: JsonObject,
    refs: { uidKey?: string | undefined; userCodeKey?: string | undefined } = {},
  ): JsonObject {
    let stored: JsonObject;
    if (this.sealed(model)) {
      const sealed: SealedRecord = {
        sealed: this.#protection.vault.seal(id, JSON.stringify(payload), collection, key),
      };
      if (typeof payload.grantId === 'string') sealed.grantId = payload.grantId;
      if (refs.uidKey !== undefined) sealed.uidKey = refs.uidKey;
      if (refs.userCodeKey !== undefined) sealed.userCodeKey = refs.userCodeKey;
      stored = sealed;
    } else {
      stored = this.#sealClientSecret(collection, key, payload);
    }
    return this.#protection.binder.seal(collection, key, stored);
  }

  /**
   * The payload of `id` from the record read in `collection` at `key` (candidate `index`). Throws
   * {@link RecordBindingError} or {@link DecryptionError} for a record it refuses.
   */
  decode(
    model: string,
    collection: string,
    key: string,
    index: number,
    id: string,
    record: JsonObject,
  ): JsonObject {
    const opened = this.#protection.binder.open(collection, key, record) as JsonObject;
    if (!this.sealed(model)) return this.#openClientSecret(collection, key, opened);
    return this.#protection.vault.openObject(id, index, opened.sealed, collection, key);
  }

  /** The stored lookup: the record's storage key, and its id sealed under the looked-up value. */
  encodeLookup(collection: string, key: string, value: string, recordKey: string, id: string): JsonObject {
    return this.#protection.binder.seal(collection, key, {
      id: recordKey,
      ref: this.#protection.vault.seal(value, id, collection, key),
    });
  }

  /** The id a lookup read at `key` (candidate `index`) leads to; throws for a refused lookup. */
  decodeLookup(collection: string, key: string, index: number, value: string, record: JsonObject): string {
    const opened = this.#protection.binder.open(collection, key, record) as JsonObject;
    return this.#protection.vault.open(value, index, opened.ref, collection, key);
  }

  /** A small record (consumption, grant membership) bound to its place when binding is on. */
  bind(collection: string, key: string, record: JsonObject): JsonObject {
    return this.#protection.binder.seal(collection, key, record);
  }

  /** The record {@link bind} made; throws {@link RecordBindingError} when read elsewhere. */
  unbind(collection: string, key: string, record: JsonObject | undefined): JsonObject | undefined {
    return this.#protection.binder.open(collection, key, record);
  }

  #sealClientSecret(collection: string, key: string, payload: JsonObject): JsonObject {
    const secret = payload.client_secret;
    if (typeof secret !== 'string') return payload;
    const sealer = this.#protection.clientSecrets;
    if (sealer === undefined) {
      if (this.#protection.allowUnprotected) return payload;
      throw unprotectedClientSecret();
    }
    const { client_secret: _, ...rest } = payload;
    return { ...rest, [SEALED_CLIENT_SECRET]: sealer.seal(secret, collection, key) };
  }

  #openClientSecret(collection: string, key: string, record: JsonObject): JsonObject {
    if (!(SEALED_CLIENT_SECRET in record)) return record;
    const { [SEALED_CLIENT_SECRET]: sealed, ...rest } = record;
    return { ...rest, client_secret: openSealed(this.#protection.clientSecrets, sealed, collection, key) };
  }
}

/** Models whose instances belong to a grant and go when it is revoked (as in oidc-provider). */
export const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Models oidc-provider consumes; their consumption is kept beside the payload, not in it. */
export const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.isWellFormed();
}

export function toJsonObject(payload: unknown): JsonObject {
  if (!isPlainObject(payload)) {
    throw new SerializationError('An oidc-provider payload must be a plain object', '$');
  }
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new SerializationError('The payload has no JSON form', '$', { cause: err });
  }
  return JSON.parse(json) as JsonObject;
}

export function toTtl(expiresIn: unknown, tolerance: number): number | undefined | 'expired' {
  if (expiresIn === undefined || expiresIn === null) return undefined;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
    throw new InvalidTTLError(
      `expiresIn must be a finite number of seconds or undefined, got ${
        typeof expiresIn === 'number' ? String(expiresIn) : typeof expiresIn
      }`,
    );
  }
  const ttl = expiresIn + tolerance;
  return ttl <= 0 ? 'expired' : ttl;
}
