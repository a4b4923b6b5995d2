/**
 * Bearer-token verification for an MCP server that only checks tokens a separate authorization
 * server issued (the deployment MCP SDK 2.x recommends): RFC 7662 introspection at that server,
 * results cached in an oauth-kv store every replica shares.
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { OAuthKVError, RemoteFetchError, StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import { validateName } from '../validation.js';
import { BEARER_HASH_PURPOSE, BearerHasher, type BearerSecret } from './bearer-hash.js';
import { RecordBinder } from './record-binding.js';
import { remoteRequest } from './remote-fetch.js';

/**
 * Options of {@link CachedTokenVerifier}.
 *
 * @example
 * ```ts
 * import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
 * import type { CachedTokenVerifierOptions } from 'oauth-kv/mcp';
 *
 * const options: CachedTokenVerifierOptions = {
 *   store, introspectionEndpoint: 'https://auth.example.com/token/introspection',
 *   clientId: 'mcp-server', clientSecret: process.env.INTROSPECTION_SECRET!,
 *   invalidToken: (message) => new OAuthError(OAuthErrorCode.InvalidToken, message), maxCacheAge: 30,
 * };
 * ```
 */
export interface CachedTokenVerifierOptions {
  /** Where verification results are cached; every replica passes a store on the same backing. */
  store: AsyncKeyValue;
  /** The authorization server's RFC 7662 introspection endpoint. */
  introspectionEndpoint: string | URL;
  /** This resource server's client credentials at the authorization server (`client_secret_basic`). */
  clientId: string;
  clientSecret: string;
  /**
   * Builds the error the SDK answers `401 invalid_token` for: with `@modelcontextprotocol/server`
   * 2.x `(m) => new OAuthError(OAuthErrorCode.InvalidToken, m)`, with `@modelcontextprotocol/sdk`
   * 1.x `(m) => new InvalidTokenError(m)`. Any other failure (the authorization server down, a
   * store error) is thrown as it is, which the SDK answers with 500, never as a valid token.
   */
  invalidToken: (message: string) => Error;
  /**
   * Longest time, in seconds, a verification result is reused (default 60): a token revoked at the
   * authorization server is refused by every replica at most this long after. A result is never
   * kept past the token's own `exp`.
   */
  maxCacheAge?: number | undefined;
  /** When set, only tokens whose `aud` includes this resource are accepted (RFC 8707). */
  resource?: string | URL | undefined;
  /** Collection of the cache (default `'mcp-token-verifications'`). */
  collection?: string | undefined;
  /** Deadline of one introspection request in ms (default 5000). */
  timeoutMs?: number | undefined;
  /** Largest introspection response accepted, in bytes (default 65 536). */
  maxResponseBytes?: number | undefined;
  /** Secret(s) token hashes are keyed with; default derived from the store's encryption keys. */
  hashSecret?: BearerSecret | readonly BearerSecret[] | false | undefined;
}

/**
 * What a verified token grants: the SDK's `AuthInfo` (1.x and 2.x), matched structurally.
 *
 * @example
 * ```ts
 * import type { CachedTokenVerifier, VerifiedToken } from 'oauth-kv/mcp';
 * declare const verifier: CachedTokenVerifier;
 * const info: VerifiedToken = await verifier.verifyAccessToken(token);
 * console.log(info.clientId, info.scopes, info.expiresAt);
 * ```
 */
export interface VerifiedToken {
  token: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
}

const DEFAULT_COLLECTION = 'mcp-token-verifications';

/**
 * An `OAuthTokenVerifier` for the SDK's `requireBearerAuth` (1.x and 2.x): verifies a bearer token
 * by introspection at the authorization server and caches the active result, keyed by the token's
 * hash (never the token), for at most `maxCacheAge` and never past the token's `exp`. An inactive,
 * expired, audience-mismatched or unreadable answer is refused and not cached; a failed request
 * throws {@link RemoteFetchError} and caches nothing.
 *
 * @example
 * ```ts
 * import { OAuthError, OAuthErrorCode, requireBearerAuth } from '@modelcontextprotocol/server';
 * import { CachedTokenVerifier } from 'oauth-kv/mcp-v2';
 *
 * const verifier = new CachedTokenVerifier({
 *   store, introspectionEndpoint: 'https://auth.example.com/token/introspection',
 *   clientId: 'mcp-server', clientSecret: process.env.INTROSPECTION_SECRET!, maxCacheAge: 30,
 *   invalidToken: (message) => new OAuthError(OAuthErrorCode.InvalidToken, message),
 * });
 * const gate = requireBearerAuth({ verifier });
 * ```
 */
export class CachedTokenVerifier {
  readonly #store: AsyncKeyValue;
  readonly #endpoint: URL;
  readonly #authorization: string;
  readonly #invalid: (message: string) => Error;
  readonly #maxAge: number;
  readonly #resource: string | undefined;
  readonly #collection: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #hasher: BearerHasher;
  readonly #binder: RecordBinder;

  /** @throws StoreSetupError for a missing or malformed option. */
  constructor(options: CachedTokenVerifierOptions) {
    const o = options as Partial<CachedTokenVerifierOptions>;
    const fail = (what: string): never => {
      throw new StoreSetupError(`CachedTokenVerifier option ${what}`);
    };
    if (o.store === undefined) fail('store is required');
    if (typeof o.invalidToken !== 'function') fail('invalidToken must be a function');
    if (typeof o.clientId !== 'string' || o.clientId === '') fail('clientId must be a non-empty string');
    if (typeof o.clientSecret !== 'string') fail('clientSecret must be a string');
    let endpoint: URL | undefined;
    try {
      endpoint = new URL(String(o.introspectionEndpoint));
    } catch {
      fail('introspectionEndpoint must be a URL');
    }
    this.#endpoint = endpoint!;
    this.#store = o.store!;
    this.#invalid = o.invalidToken!;
    this.#maxAge = positive(o.maxCacheAge, 60, 'maxCacheAge', fail);
    this.#timeoutMs = positive(o.timeoutMs, 5000, 'timeoutMs', fail);
    this.#maxBytes = positive(o.maxResponseBytes, 65_536, 'maxResponseBytes', fail);
    this.#resource = o.resource === undefined ? undefined : String(o.resource);
    this.#collection = o.collection ?? DEFAULT_COLLECTION;
    try {
      validateName(this.#collection, 'collection');
    } catch {
      fail('collection must be a valid collection name');
    }
    const encode = (s: string) => encodeURIComponent(s);
    const pair = `${encode(o.clientId!)}:${encode(o.clientSecret!)}`;
    this.#authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    this.#hasher =
      o.hashSecret === undefined
        ? new BearerHasher(deriveStoreSecrets(this.#store, BEARER_HASH_PURPOSE))
        : BearerHasher.forStore(this.#store, { secret: o.hashSecret });
    this.#binder = new RecordBinder(deriveStoreSecrets(this.#store, BEARER_HASH_PURPOSE) !== undefined);
  }

  /** Verifies `token`: from the shared cache when a result younger than `maxCacheAge` is there. */
  async verifyAccessToken(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token === '') throw this.#invalid('Missing bearer token');
    const now = Date.now() / 1000;
    for (const key of this.#hasher.candidates(token)) {
      const cached = await this.#read(key);
      if (cached !== undefined && cached.exp > now) return this.#info(token, cached);
    }
    const answer = await this.#introspect(token);
    const record = this.#accept(answer, now);
    const ttl = Math.min(this.#maxAge, record.exp - now);
    const key = this.#hasher.hash(token);
    await this.#store.put(key, this.#binder.seal(this.#collection, key, record as unknown as JsonObject), {
      collection: this.#collection,
      ttl,
    });
    return this.#info(token, record);
  }

  /** Drops the cached result of `token` (for example on a revocation notice), on every replica. */
  async forget(token: string): Promise<void> {
    await this.#store.deleteMany(this.#hasher.candidates(token), { collection: this.#collection });
  }

  async #read(key: string): Promise<CachedResult | undefined> {
    const raw = await this.#store.get(key, { collection: this.#collection });
    try {
      const record = this.#binder.open(this.#collection, key, raw);
      return record === undefined ? undefined : parseCached(record);
    } catch (err) {
      if (err instanceof OAuthKVError && err.code === 'RECORD_BINDING') return undefined;
      throw err;
    }
  }

  async #introspect(token: string): Promise<Record<string, unknown>> {
    const response = await remoteRequest({
      url: this.#endpoint,
      method: 'POST',
      headers: {
        authorization: this.#authorization,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      timeoutMs: this.#timeoutMs,
      maxBytes: this.#maxBytes,
      allowPrivateAddresses: true, // the operator configured this server
    });
    const host = this.#endpoint.host;
    if (response.status !== 200) {
      throw new RemoteFetchError('status', `Introspection at ${host} answered ${response.status}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      throw new RemoteFetchError('invalid', `Introspection at ${host} did not answer JSON`);
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof (body as { active?: unknown }).active !== 'boolean'
    ) {
      throw new RemoteFetchError('invalid', `Introspection at ${host} answered without "active"`);
    }
    return body as Record<string, unknown>;
  }

  /** The record to cache for an active answer; refuses everything else with `invalidToken`. */
  #accept(answer: Record<string, unknown>, now: number): CachedResult {
    if (answer.active !== true) throw this.#invalid('Invalid, expired or revoked token');
    const { exp, client_id: clientId, scope, aud, sub } = answer;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= now) {
      throw this.#invalid('The token has no expiry or has expired');
    }
    if (typeof clientId !== 'string' || clientId === '') throw this.#invalid('The token names no client');
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter(isString) : [];
    if (this.#resource !== undefined && !audiences.some((a) => sameResource(a, this.#resource!))) {
      throw this.#invalid('The token was not issued for this resource');
    }
    return {
      client_id: clientId,
      scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
      exp,
      ...(this.#resource !== undefined ? { resource: this.#resource } : {}),
      ...(typeof sub === 'string' ? { sub } : {}),
    };
  }

  #info(token: string, record: CachedResult): VerifiedToken {
    return {
      token,
      clientId: record.client_id,
      scopes: [...record.scopes],
      expiresAt: record.exp,
      ...(record.resource !== undefined ? { resource: new URL(record.resource) } : {}),
      ...(record.sub !== undefined ? { extra: { sub: record.sub } } : {}),
    };
  }
}

/** A cached verification: what the token grants, never the token. */
interface CachedResult {
  client_id: string;
  scopes: string[];
  exp: number;
  resource?: string;
  sub?: string;
}

function parseCached(record: JsonObject): CachedResult | undefined {
  const { client_id, scopes, exp, resource, sub } = record;
  if (typeof client_id !== 'string' || typeof exp !== 'number' || !Array.isArray(scopes)) return undefined;
  if (!scopes.every(isString)) return undefined;
  return {
    client_id,
    scopes: scopes as string[],
    exp,
    ...(typeof resource === 'string' ? { resource } : {}),
    ...(typeof sub === 'string' ? { sub } : {}),
  };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** Resource identifiers compared without a fragment and one trailing slash. */
function sameResource(a: string, b: string): boolean {
  const norm = (s: string) => s.split('#')[0]!.replace(/\/$/, '');
  return norm(a) === norm(b);
}

function positive(value: unknown, fallback: number, name: string, fail: (what: string) => never): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return fail(`${name} must be a positive number`);
  }
  return value;
}
