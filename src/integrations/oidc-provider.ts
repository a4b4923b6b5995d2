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
import { InvalidTTLError, NotSupportedError, SerializationError } from '../errors.js';
import { isPlainObject, validateName } from '../validation.js';

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
 * const Adapter: OidcAdapterConstructor = createOidcAdapter(store);
 * new Provider(issuer, { adapter: Adapter });
 * ```
 */
export type OidcAdapterConstructor = new (name: string) => OidcAdapter;

/**
 * Options of {@link createOidcAdapter}.
 *
 * @example
 * ```ts
 * createOidcAdapter(store, { collectionPrefix: 'idp-prod:', clockTolerance: 5 });
 * ```
 */
export interface OidcAdapterOptions {
  /**
   * Prefix of every collection the adapter uses (default `"oidc:"`). Model payloads live in
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
 * import { OidcAlreadyConsumedError } from 'oauth-kv/oidc-provider';
 *
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

/** Models whose instances belong to a grant and go when it is revoked (as in oidc-provider). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Models oidc-provider consumes; their consumption is kept beside the payload, not in it. */
const CONSUMABLE = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

/** Most grant members one `keys()` page returns; revocation pages through all of them. */
const GRANT_PAGE = 500;
/** Upper bound on pages one revocation reads (500 000 members), so a bad cursor cannot loop. */
const GRANT_MAX_PAGES = 1000;

/**
 * Creates the `adapter` class for oidc-provider on `store`.
 *
 * Each model has its own collection; the secondary lookups (`uid` → session, `userCode` →
 * device code, grant → members) are written with the same TTL as the payload and checked on
 * read, so a stale lookup is ignored. `consume` records the time apart from the payload with an
 * atomic `putIfAbsent`: the first consumption wins (a later one throws
 * {@link OidcAlreadyConsumedError} unless `exclusiveConsume` is off) and a concurrent `destroy` is
 * never undone; `find` returns it as `consumed` in epoch seconds. `revokeByGrantId` deletes every member of the
 * grant, after which they read as absent.
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
 * import { createOidcAdapter } from 'oauth-kv/oidc-provider';
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * const provider = new Provider('http://localhost:3000', {
 *   adapter: createOidcAdapter(new RedisStore({ url: 'redis://localhost:6379' })),
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
    throw new TypeError('createOidcAdapter needs an oauth-kv store (an AsyncKeyValue)');
  }
  if (!store.capabilities.keys) {
    throw new NotSupportedError('keys (needed to revoke grants)', store.constructor.name);
  }
  const prefix = options.collectionPrefix ?? 'oidc:';
  if (typeof prefix !== 'string') throw new TypeError('collectionPrefix must be a string');
  const tolerance = options.clockTolerance ?? 0;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new RangeError(`clockTolerance must be a finite number of seconds >= 0, got ${String(tolerance)}`);
  }
  const exclusiveConsume = options.exclusiveConsume ?? true;
  const grantCollection = (grantId: string) => `${prefix}grant:${grantId}`;

  /**
   * Deletes a payload's lookups that still point at `id` (others belong to someone else). The
   * consumption record stays until it expires with the payload's lifetime, so a request that
   * found the entry before it was destroyed still cannot consume it.
   */
  async function removeLookups(model: string, id: string, payload: JsonObject | undefined): Promise<void> {
    const work: Promise<unknown>[] = [];
    if (payload !== undefined) {
      for (const field of ['uid', 'userCode'] as const) {
        const value = payload[field];
        if (!isName(value)) continue;
        const collection = `${prefix}${model}:${field}`;
        work.push(
          store.get(value, { collection }).then((ref) => {
            if (ref?.id === id) return store.delete(value, { collection });
            return false;
          }),
        );
      }
      if (GRANTABLE.has(model) && isName(payload.grantId)) {
        work.push(store.delete(`${model}:${id}`, { collection: grantCollection(payload.grantId) }));
      }
    }
    await Promise.all(work);
  }

  return class OAuthKVOidcAdapter implements OidcAdapter {
    readonly #model: string;
    readonly #collection: string;

    constructor(name: string) {
      validateName(name, 'collection');
      this.#model = name;
      this.#collection = `${prefix}${name}`;
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
      const writes: Promise<unknown>[] = [];
      // Lookups first: a lookup without its payload is ignored on read, the reverse would hide a
      // live entry from findByUid / findByUserCode / revokeByGrantId.
      if (model === 'Session' && isName(value.uid)) {
        writes.push(store.put(value.uid, { id }, { collection: `${this.#collection}:uid`, ttl }));
      }
      if (isName(value.userCode)) {
        writes.push(store.put(value.userCode, { id }, { collection: `${this.#collection}:userCode`, ttl }));
      }
      if (GRANTABLE.has(model) && isName(value.grantId)) {
        writes.push(
          store.put(`${model}:${id}`, { model, id }, { collection: grantCollection(value.grantId), ttl }),
        );
      }
      if (CONSUMABLE.has(model)) {
        // A replaced payload starts unconsumed unless it says otherwise itself.
        writes.push(store.delete(id, { collection: `${this.#collection}:consumed` }));
      }
      await Promise.all(writes);
      await store.put(id, value, { collection: this.#collection, ttl });
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      if (!isName(id)) return undefined;
      if (!CONSUMABLE.has(this.#model)) return store.get(id, { collection: this.#collection });
      const [payload, consumed] = await Promise.all([
        store.get(id, { collection: this.#collection }),
        store.get(id, { collection: `${this.#collection}:consumed` }),
      ]);
      if (payload === undefined) return undefined;
      if (consumed !== undefined && typeof consumed.consumed === 'number')
        payload.consumed = consumed.consumed;
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
      const { value, ttl } = await store.ttl(id, { collection: this.#collection });
      if (value === undefined || ttl === 0) {
        // Destroyed or revoked since oidc-provider found it: the redemption must not go through.
        if (exclusiveConsume && CONSUMABLE.has(this.#model)) throw new OidcAlreadyConsumedError();
        return;
      }
      if (CONSUMABLE.has(this.#model)) {
        const first = await store.putIfAbsent(
          id,
          { consumed },
          { collection: `${this.#collection}:consumed`, ttl },
        );
        if (!first && exclusiveConsume) throw new OidcAlreadyConsumedError();
        return;
      }
      // A model oidc-provider does not consume today: record it in the payload itself.
      if (value.consumed === undefined) {
        await store.put(id, { ...value, consumed }, { collection: this.#collection, ttl });
      }
    }

    async destroy(id: string): Promise<void> {
      if (!isName(id)) return;
      const payload = await store.take(id, { collection: this.#collection });
      await removeLookups(this.#model, id, payload);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!isName(grantId)) return;
      const collection = grantCollection(grantId);
      const members: { model: string; id: string }[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < GRANT_MAX_PAGES; page++) {
        const result = await store.keys(collection, { limit: GRANT_PAGE, cursor });
        for (const key of result.keys) {
          const split = key.indexOf(':');
          if (split > 0) members.push({ model: key.slice(0, split), id: key.slice(split + 1) });
        }
        cursor = result.cursor;
        if (cursor === undefined) break;
      }
      await Promise.all(
        members.map(async ({ model, id }) => {
          const collection = `${prefix}${model}`;
          // A stale member (the id now belongs to another grant) only loses its membership.
          const current = await store.get(id, { collection });
          if (current === undefined || current.grantId !== grantId) return;
          const payload = await store.take(id, { collection });
          await removeLookups(model, id, payload);
        }),
      );
      if (store.capabilities.destroyCollection) {
        await store.destroyCollection(collection);
      } else {
        await store.deleteMany(
          members.map(({ model, id }) => `${model}:${id}`),
          { collection },
        );
      }
    }

    async #findBy(field: 'uid' | 'userCode', value: string): Promise<OidcPayload | undefined> {
      if (!isName(value)) return undefined;
      const ref = await store.get(value, { collection: `${this.#collection}:${field}` });
      if (ref === undefined || !isName(ref.id)) return undefined;
      const payload = await this.find(ref.id);
      // The lookup may be stale: the entry it names was replaced or now carries another value.
      return payload !== undefined && payload[field] === value ? payload : undefined;
    }
  };
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.isWellFormed();
}

function toJsonObject(payload: unknown): JsonObject {
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

function toTtl(expiresIn: unknown, tolerance: number): number | undefined | 'expired' {
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
