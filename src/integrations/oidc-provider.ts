/**
 * An `Adapter` for panva's [oidc-provider](https://github.com/panva/node-oidc-provider) (9.x) on
 * any oauth-kv store, so sessions, grants, codes, tokens, dynamically registered clients and
 * interactions live in Redis, PostgreSQL, files or Firestore and are shared between replicas.
 *
 * This module never imports `oidc-provider`: the adapter class matches its `Adapter` interface
 * structurally.
 *
 * @example
 * ```ts
 * import Provider from 'oidc-provider';
 * import { createOidcAdapter } from 'oauth-kv/oidc-provider';
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * const store = new PostgresStore({ url: process.env.DATABASE_URL });
 * const provider = new Provider('https://id.example.com', {
 *   adapter: createOidcAdapter(store),
 *   // ...clients, features, jwks, cookies...
 * });
 * ```
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { NotSupportedError, StoreSetupError } from '../errors.js';
import { validateName } from '../validation.js';
import {
  CONSUMABLE,
  GRANTABLE,
  isName,
  type LookupField,
  OidcRecords,
  toJsonObject,
  toTtl,
} from './oidc-records.js';
import { type ProtectionOptions, refusing, resolveProtection } from './protection.js';

export type { ProtectionOptions } from './protection.js';

/**
 * What oidc-provider stores for one model instance: a JSON object (`jti`, `kind`, `exp`,
 * `grantId`, `uid`, `userCode`, `consumed`, client metadata, ...).
 *
 * @example
 * ```ts
 * const payload: OidcPayload = { jti: 'abc', kind: 'AccessToken', grantId: 'g1', exp: 1_800_000_000 };
 * ```
 */
export type OidcPayload = { [key: string]: unknown };

/**
 * The adapter interface oidc-provider 9 calls; one instance per model (`AccessToken`, `Session`,
 * `Client`, `Grant`, `Interaction`, ...).
 *
 * @example
 * ```ts
 * const Adapter = createOidcAdapter(store);
 * const tokens: OidcAdapter = new Adapter('AccessToken');
 * await tokens.upsert('jti-1', { jti: 'jti-1', grantId: 'g1' }, 3600);
 * ```
 */
export interface OidcAdapter {
  /** Creates or replaces `id` for `expiresIn` seconds (`undefined`: no expiry). */
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  /** The payload of `id`, with `consumed` (epoch seconds) once consumed; `undefined` when absent. */
  find(id: string): Promise<OidcPayload | undefined>;
  /** The `Session` whose `uid` is `uid`. */
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  /** The `DeviceCode` whose `userCode` is `userCode`. */
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  /** Marks `id` consumed (the first consumption time is kept; see `exclusiveConsume`). */
  consume(id: string): Promise<void>;
  /** Deletes `id` and its lookups. */
  destroy(id: string): Promise<void>;
  /** Deletes every token, code and request of the grant `grantId`, whatever model it belongs to. */
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * What oidc-provider's `adapter` option takes: a class constructed with the model name.
 *
 * @example
 * ```ts
 * import Provider from 'oidc-provider';
 * const Adapter: OidcAdapterConstructor = createOidcAdapter(store);
 * new Provider('https://id.example.com', { adapter: Adapter });
 * ```
 */
export type OidcAdapterConstructor = new (name: string) => OidcAdapter;

/**
 * Options of {@link createOidcAdapter}: its own, and the {@link ProtectionOptions} every OAuth
 * integration takes (`hashSecret`, `sealSecret`, `bindRecords`, `allowUnprotectedSecrets`,
 * `onRecordRefused`); see docs/oidc-provider.md for what each protects here.
 *
 * @example
 * ```ts
 * createOidcAdapter(store, { collectionPrefix: 'idp-prod:', clockTolerance: 5 });
 * ```
 */
export interface OidcAdapterOptions extends ProtectionOptions {
  /**
   * Prefix of every collection the adapter uses (default `"oidc:"`). Model records live in
   * `<prefix><Model>` (`oidc:AccessToken`), lookups in `<prefix><Model>:uid`,
   * `<prefix><Model>:userCode` and `<prefix><Model>:consumed`, grant members in
   * `<prefix>grant:<grantId>`. Give each provider its own prefix when several share one store.
   */
  collectionPrefix?: string | undefined;
  /**
   * Seconds added to every TTL (default 0), as oidc-provider's `clockTolerance` does for its
   * in-memory adapter, so an entry outlives the `exp` checks of replicas whose clocks lag.
   */
  clockTolerance?: number | undefined;
  /**
   * Make `consume` exactly-once across replicas (default `true`). oidc-provider checks
   * `consumed` and then calls `consume`, so two replicas redeeming one authorization code,
   * device code or refresh token at the same moment could both succeed. With this on, a
   * `consume` that loses the race, or finds the entry destroyed or revoked since it was read,
   * throws an {@link OidcAlreadyConsumedError}, which oidc-provider answers with `invalid_grant`;
   * only one redemption goes through. `false`: such a `consume` returns quietly (oidc-provider's
   * in-memory adapter behaviour).
   */
  exclusiveConsume?: boolean | undefined;
}

/**
 * Thrown by `consume` when another call consumed the same entry first, or it was destroyed or
 * revoked since oidc-provider read it (see
 * {@link OidcAdapterOptions.exclusiveConsume}). It carries the fields oidc-provider uses to answer
 * with an OAuth error (`expose`, `statusCode` 400, `message` = `"invalid_grant"`), so the losing
 * request gets `{"error":"invalid_grant"}` instead of a server error.
 *
 * @example
 * ```ts
 * import Provider from 'oidc-provider';
 * import { createOidcAdapter, OidcAlreadyConsumedError } from 'oauth-kv/oidc-provider';
 *
 * const provider = new Provider('https://id.example.com', { adapter: createOidcAdapter(store) });
 * provider.on('grant.error', (ctx, err) => {
 *   if (err instanceof OidcAlreadyConsumedError) console.warn('concurrent redemption refused');
 * });
 * ```
 */
export class OidcAlreadyConsumedError extends Error {
  /** Read by oidc-provider: the error is an OAuth error to show the client. */
  readonly expose = true;
  /** The HTTP status oidc-provider answers with. */
  readonly statusCode = 400;
  /** The OAuth `error`, as oidc-provider's own errors carry it. */
  readonly error = 'invalid_grant';
  /** The OAuth `error_description`. */
  readonly error_description = 'grant source already consumed';

  constructor() {
    super('invalid_grant');
    this.name = 'OidcAlreadyConsumedError';
  }
}

/** Most grant members one `keys()` page returns; revocation pages through all of them. */
const GRANT_PAGE = 500;
/** Upper bound on pages one revocation reads (500 000 members), so a bad cursor cannot loop. */
const GRANT_MAX_PAGES = 1000;

/**
 * Creates the `adapter` class for oidc-provider on `store`.
 *
 * Each model has its own collection. No bearer value is readable in the store: ids of tokens,
 * codes, sessions, interactions and requests are stored as their hash (HMAC-SHA-256 under a secret
 * derived from the encryption keys, or `hashSecret`; SHA-256 without either) and their payloads are
 * sealed under a key derived from the id; `client_secret` is sealed under a secret kept outside the
 * store (see docs/oidc-provider.md for the model-by-model table). The secondary lookups (`uid` →
 * session, `userCode` → device code, grant → members) are written with the same TTL as the payload
 * and checked on read, so a stale lookup is ignored. `consume` records the time apart from the
 * payload with an atomic `putIfAbsent`: the first consumption wins (a later one throws
 * {@link OidcAlreadyConsumedError} unless `exclusiveConsume` is off) and a concurrent `destroy` is
 * never undone; `find` returns it as `consumed` in epoch seconds. `revokeByGrantId` deletes every
 * member of the grant, after which they read as absent.
 *
 * A record that was moved, copied, tampered with or sealed under keys no longer configured is
 * refused: `onRecordRefused` gets the typed error and oidc-provider sees no record (its answer is
 * the OAuth error for an unknown token or client, never a server error).
 *
 * The store must enumerate keys (`capabilities.keys`), which grant revocation needs; every
 * oauth-kv store but the Keyv adapter does. Payloads go through a JSON round trip (`undefined`
 * members are dropped). Lookups with an id no store can hold (`''`) find nothing instead of
 * throwing, since ids often come straight from requests.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import Provider from 'oidc-provider';
 * import { withEncryption } from 'oauth-kv';
 * import { createOidcAdapter } from 'oauth-kv/oidc-provider';
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const store = withEncryption(new RedisStore({ url: 'redis://localhost:6379' }), {
 *   keys: [process.env.OAUTH_KV_KEY!], // the same on every replica
 * });
 * const provider = new Provider('http://localhost:3000', {
 *   adapter: createOidcAdapter(store),
 *   features: { clientCredentials: { enabled: true }, introspection: { enabled: true } },
 * });
 * createServer(provider.callback()).listen(3000);
 * ```
 */
export function createOidcAdapter(
  store: AsyncKeyValue,
  options: OidcAdapterOptions = {},
): OidcAdapterConstructor {
  if (store === null || typeof store !== 'object' || typeof store.putIfAbsent !== 'function') {
    throw new StoreSetupError('createOidcAdapter needs an oauth-kv store (an AsyncKeyValue)');
  }
  if (!store.capabilities.keys) {
    throw new NotSupportedError('keys (needed to revoke grants)', store.constructor.name);
  }
  const prefix = options.collectionPrefix ?? 'oidc:';
  if (typeof prefix !== 'string') throw new StoreSetupError('collectionPrefix must be a string');
  const tolerance = options.clockTolerance ?? 0;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new StoreSetupError(
      `clockTolerance must be a finite number of seconds >= 0, got ${String(tolerance)}`,
    );
  }
  const exclusiveConsume = options.exclusiveConsume ?? true;
  const protection = resolveProtection(store, options);
  const records = new OidcRecords(store, protection, prefix);
  const grantCollection = (grantId: string) => records.grantCollection(grantId);

  const guard = <T>(collection: string, read: () => Promise<T>) => refusing(protection, collection, read);
  const removeLookups = (model: string, key: string, record: JsonObject | undefined) =>
    records.removeLookups(model, key, record);

  return class OAuthKVOidcAdapter implements OidcAdapter {
    readonly #model: string;
    readonly #collection: string;
    readonly #consumed: string;

    constructor(name: string) {
      validateName(name, 'collection');
      this.#model = name;
      this.#collection = `${prefix}${name}`;
      this.#consumed = `${prefix}${name}:consumed`;
    }

    /** The oidc-provider model this adapter serves (`AccessToken`, `Session`, ...). */
    get name(): string {
      return this.#model;
    }

    async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
      validateName(id, 'key');
      const value = toJsonObject(payload);
      const ttl = toTtl(expiresIn, tolerance);
      if (ttl === 'expired') {
        await this.destroy(id);
        return;
      }
      const model = this.#model;
      const key = records.key(model, id);
      const lookups: [field: LookupField, value: string, key: string][] = [];
      if (records.sealed(model)) {
        if (model === 'Session' && isName(value.uid)) {
          lookups.push(['uid', value.uid, records.lookupKey(value.uid)]);
        }
        if (isName(value.userCode)) {
          records.checkUserCode();
          lookups.push(['userCode', value.userCode, records.lookupKey(value.userCode)]);
        }
      }
      // Encoded before anything is written: a client secret it may not store writes nothing.
      const stored = records.encode(model, this.#collection, key, id, value, {
        uidKey: lookups.find(([field]) => field === 'uid')?.[2],
        userCodeKey: lookups.find(([field]) => field === 'userCode')?.[2],
      });
      const writes: Promise<unknown>[] = [];
      // Lookups first: a lookup without its payload is ignored on read, the reverse would hide a
      // live entry from findByUid / findByUserCode / revokeByGrantId.
      for (const [field, looked, lookupKey] of lookups) {
        const collection = `${this.#collection}:${field}`;
        writes.push(
          store.put(lookupKey, records.encodeLookup(collection, lookupKey, looked, key, id), {
            collection,
            ttl,
          }),
        );
      }
      if (GRANTABLE.has(model) && isName(value.grantId)) {
        const collection = grantCollection(value.grantId);
        const member = `${model}:${key}`;
        writes.push(
          store.put(member, records.bind(collection, member, { model, id: key }), { collection, ttl }),
        );
      }
      if (CONSUMABLE.has(model)) {
        // A replaced payload starts unconsumed unless it says otherwise itself.
        writes.push(store.deleteMany(records.keys(model, id), { collection: this.#consumed }));
      }
      await Promise.all(writes);
      await store.put(key, stored, { collection: this.#collection, ttl });
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      if (!isName(id)) return undefined;
      const model = this.#model;
      const keys = records.keys(model, id);
      const [found, markers] = await Promise.all([
        guard(this.#collection, () => store.getMany(keys, { collection: this.#collection })),
        CONSUMABLE.has(model)
          ? guard(this.#consumed, () => store.getMany(keys, { collection: this.#consumed }))
          : [],
      ]);
      // A refused payload or consumption record leaves nothing to find.
      const index = markers === undefined ? -1 : (found?.findIndex((record) => record !== undefined) ?? -1);
      if (index < 0) return undefined;
      const key = keys[index] as string;
      const payload = await guard(this.#collection, async () =>
        records.decode(model, this.#collection, key, index, id, found?.[index] as JsonObject),
      );
      if (payload === undefined) return undefined;
      const marker = await guard(
        this.#consumed,
        async () => records.unbind(this.#consumed, key, markers?.[index]) ?? {},
      );
      if (marker === undefined) return undefined;
      if (typeof marker.consumed === 'number') payload.consumed = marker.consumed;
      return payload;
    }

    async findByUid(uid: string): Promise<OidcPayload | undefined> {
      return this.#findBy('uid', uid);
    }

    async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      return this.#findBy('userCode', userCode);
    }

    async consume(id: string): Promise<void> {
      if (!isName(id)) return;
      const consumed = Math.floor(Date.now() / 1000);
      const model = this.#model;
      const keys = records.keys(model, id);
      const found = await guard(this.#collection, () =>
        store.ttlMany(keys, { collection: this.#collection }),
      );
      const index = found?.findIndex(({ value }) => value !== undefined) ?? -1;
      const entry = found?.[index];
      if (entry === undefined || entry.ttl === 0) {
        // Destroyed or revoked since oidc-provider found it: the redemption must not go through.
        if (exclusiveConsume && CONSUMABLE.has(model)) throw new OidcAlreadyConsumedError();
        return;
      }
      const key = keys[index] as string;
      const { ttl } = entry;
      if (CONSUMABLE.has(model)) {
        const marker = records.bind(this.#consumed, key, { consumed });
        const first = await store.putIfAbsent(key, marker, { collection: this.#consumed, ttl });
        if (!first && exclusiveConsume) throw new OidcAlreadyConsumedError();
        return;
      }
      // A model oidc-provider does not consume today: record it in the payload itself.
      const payload = await guard(this.#collection, async () =>
        records.decode(model, this.#collection, key, index, id, entry.value as JsonObject),
      );
      if (payload === undefined || payload.consumed !== undefined) return;
      const record = records.encode(
        model,
        this.#collection,
        key,
        id,
        { ...payload, consumed },
        {
          uidKey: typeof entry.value?.uidKey === 'string' ? entry.value.uidKey : undefined,
          userCodeKey: typeof entry.value?.userCodeKey === 'string' ? entry.value.userCodeKey : undefined,
        },
      );
      await store.put(key, record, { collection: this.#collection, ttl });
    }

    async destroy(id: string): Promise<void> {
      if (!isName(id)) return;
      const model = this.#model;
      await Promise.all(
        records.keys(model, id).map(async (key) => {
          const record = await guard(this.#collection, () =>
            store.take(key, { collection: this.#collection }),
          );
          await removeLookups(model, key, record);
        }),
      );
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!isName(grantId)) return;
      const collection = grantCollection(grantId);
      const members: { model: string; key: string }[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < GRANT_MAX_PAGES; page++) {
        const result = await store.keys(collection, { limit: GRANT_PAGE, cursor });
        for (const member of result.keys) {
          const split = member.indexOf(':');
          if (split > 0) members.push({ model: member.slice(0, split), key: member.slice(split + 1) });
        }
        cursor = result.cursor;
        if (cursor === undefined) break;
      }
      await Promise.all(
        members.map(async ({ model, key }) => {
          const modelCollection = `${prefix}${model}`;
          // A stale member (the id now belongs to another grant) only loses its membership; a record
          // that cannot be read is deleted all the same (revocation errs towards revoking).
          const current = await guard(modelCollection, () => store.get(key, { collection: modelCollection }));
          if (current !== undefined && current.grantId !== grantId) return;
          const record = await guard(modelCollection, () => store.take(key, { collection: modelCollection }));
          await removeLookups(model, key, record);
        }),
      );
      if (store.capabilities.destroyCollection) {
        await store.destroyCollection(collection);
      } else {
        await store.deleteMany(
          members.map(({ model, key }) => `${model}:${key}`),
          { collection },
        );
      }
    }

    async #findBy(field: LookupField, value: string): Promise<OidcPayload | undefined> {
      if (!isName(value)) return undefined;
      const collection = `${this.#collection}:${field}`;
      const id = await guard(collection, async () => {
        const keys = records.lookupKeys(value);
        const found = await store.getMany(keys, { collection });
        const index = found.findIndex((record) => record !== undefined);
        if (index < 0) return undefined;
        return records.decodeLookup(
          collection,
          keys[index] as string,
          index,
          value,
          found[index] as JsonObject,
        );
      });
      if (id === undefined) return undefined;
      const payload = await this.find(id);
      // The lookup may be stale: the entry it names was replaced or now carries another value.
      return payload !== undefined && payload[field] === value ? payload : undefined;
    }
  };
}
