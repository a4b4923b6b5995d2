/**
 * `OAuthStateStore`: the state of an OAuth authorization server or OAuth proxy in front of MCP
 * servers (clients, pending authorizations, codes, tokens, grants, upstream tokens), on any
 * oauth-kv store.
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { StoreSetupError, ValidationError } from '../errors.js';
import { validateTtl } from '../validation.js';
import type { BearerHasher } from './bearer-hash.js';
import { OAuthClientsStore } from './mcp-clients.js';
import { dropUndefined, randomToken } from './mcp-json.js';
import {
  definedMembers,
  OAUTH_STATE_COLLECTIONS,
  OAUTH_STATE_LIFETIMES,
  type OAuthStateCollections,
  type OAuthStateLifetimes,
  type OAuthStateProtection,
  type OAuthStateStoreOptions,
} from './mcp-state-options.js';
import { TokenEngine } from './oauth-engine.js';
import { RecordIO } from './oauth-record-io.js';
import {
  type AccessTokenInfo,
  type AuthorizationCodeRecord,
  type GrantRecord,
  type NewAuthorizationCode,
  type PendingTransaction,
  RECORDS,
  type TokenResult,
} from './oauth-records.js';
import { ProxyRecords } from './oauth-upstream.js';
import { resolveProtection } from './protection.js';

/**
 * The state of an OAuth authorization server or proxy in front of MCP servers, on any
 * {@link AsyncKeyValue} store. What it guarantees, on any backend with atomic `take`/`putIfAbsent`:
 *
 * - a code is redeemed at most once and a refresh token rotates at most once, even by replicas
 *   racing; with `revokeOnRefreshReuse`, every lost race on a refresh token revokes its grant;
 * - no bearer value (code, token, transaction id) is stored: keys are its HMAC-SHA-256 (under a
 *   secret derived from the encryption keys) or SHA-256; client secrets and upstream tokens are
 *   sealed; with encryption, records are bound to their place and refused elsewhere;
 * - revoking a grant ends every token of it at once, on every replica: each verification reads the
 *   token and its grant in one request;
 * - verification takes one round trip; code exchange, refresh and revocation two each.
 *
 * @example
 * ```ts
 * import { OAuthStateStore } from 'oauth-kv/mcp';
 *
 * const state = new OAuthStateStore(store);
 * const code = await state.createAuthorizationCode({ client_id, redirect_uri, code_challenge, scopes: [] });
 * const result = await state.exchangeAuthorizationCode(code, { client_id });
 * if (result.ok) console.log(result.tokens.access_token);
 * ```
 */
export class OAuthStateStore {
  /** Registered clients: pass as the SDK provider's `clientsStore`. */
  readonly clients: OAuthClientsStore;
  readonly #io: RecordIO;
  readonly #engine: TokenEngine;
  readonly #hasher: BearerHasher;
  readonly #proxy: ProxyRecords;
  readonly #c: Readonly<OAuthStateCollections>;
  readonly #life: Readonly<OAuthStateLifetimes>;
  readonly #clock: () => number;

  constructor(store: AsyncKeyValue, options: OAuthStateStoreOptions = {}) {
    if (!store.capabilities.atomic && options.allowNonAtomic !== true) {
      throw new StoreSetupError(
        'OAuthStateStore needs a store with atomic take/putIfAbsent (capabilities.atomic): without it two ' +
          'replicas could redeem one authorization code. Use PostgreSQL, Redis, Firestore, FileStore or ' +
          'MemoryStore, or pass allowNonAtomic: true to accept the risk.',
      );
    }
    this.#c = Object.freeze({ ...OAUTH_STATE_COLLECTIONS, ...definedMembers(options.collections) });
    const life = { ...OAUTH_STATE_LIFETIMES, ...definedMembers(options.lifetimes) };
    for (const ttl of Object.values(life)) validateTtl(ttl);
    this.#life = Object.freeze(life);
    this.#clock = options.clock ?? Date.now;
    const protection = resolveProtection(store, options);
    this.#hasher = protection.hasher;
    this.#io = new RecordIO(store, protection);
    this.#proxy = new ProxyRecords({
      io: this.#io,
      protection,
      upstreamCollection: this.#c.upstreamTokens,
      jtiCollection: this.#c.jtiMappings,
      clock: this.#clock,
    });
    this.#engine = new TokenEngine({
      io: this.#io,
      hasher: this.#hasher,
      collections: this.#c,
      lifetimes: this.#life,
      refreshTokens: options.refreshTokens ?? true,
      reuse: options.revokeOnRefreshReuse ?? false,
      clock: this.#clock,
    });
    this.clients = new OAuthClientsStore(store, {
      collection: this.#c.clients,
      ttl: options.clientRegistrationTtl,
      sealSecret: options.sealSecret,
      allowUnprotectedSecrets: options.allowUnprotectedSecrets,
      onRecordRefused: options.onRecordRefused,
      clock: this.#clock,
      metadataDocuments: options.clientMetadataDocuments,
    });
  }

  /**
   * The collection names in use.
   *
   * @example
   * ```ts
   * console.log(state.collections.refreshTokens); // "mcp-refresh-tokens"
   * ```
   */
  get collections(): Readonly<OAuthStateCollections> {
    return this.#c;
  }

  /**
   * The lifetimes in use, in seconds.
   *
   * @example
   * ```ts
   * console.log(state.lifetimes.accessToken); // 3600
   * ```
   */
  get lifetimes(): Readonly<OAuthStateLifetimes> {
    return this.#life;
  }

  /**
   * How bearer values, records and secrets are protected with this store and these options.
   *
   * @example
   * ```ts
   * if (state.protection.bearerHashing === 'sha256') console.warn('no key: tokens hashed without a secret');
   * ```
   */
  get protection(): OAuthStateProtection {
    return {
      bearerHashing: this.#hasher.keyed ? 'hmac-sha256' : 'sha256',
      recordBinding: this.#io.binding,
      clientSecrets: this.clients.secretHandling,
      upstreamTokens: this.#proxy.handling,
    };
  }

  // ---- pending transactions --------------------------------------------------------------------

  /**
   * Stores a pending authorization under the hash of its id and returns the id (a new random one
   * unless given: whoever holds it can finish the authorization).
   *
   * @example
   * ```ts
   * const txnId = await state.saveTransaction({ client_id, redirect_uri, code_challenge, scopes, state: clientState });
   * res.redirect(`${upstreamAuthorizeUrl}?state=${txnId}`);
   * ```
   */
  async saveTransaction(
    transaction: PendingTransaction,
    options: { id?: string | undefined; ttl?: number | undefined } = {},
  ): Promise<string> {
    const id = options.id ?? randomToken();
    if (typeof id !== 'string' || id.length === 0) throw invalid('id', 'a non-empty string');
    const record = { ...dropUndefined(transaction), created_at: seconds(this.#clock()) };
    const ttl = options.ttl ?? this.#life.transaction;
    validateTtl(ttl);
    await this.#io.put(
      RECORDS.transaction,
      this.#c.transactions,
      this.#hasher.hash(id),
      record as never,
      ttl,
    );
    return id;
  }

  /**
   * The pending authorization with this id, or `undefined` when unknown or expired.
   *
   * @example
   * ```ts
   * const txn = await state.getTransaction(txnId);
   * ```
   */
  async getTransaction(id: string): Promise<PendingTransaction | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const found = await this.#io.first(
      RECORDS.transaction,
      this.#c.transactions,
      this.#hasher.candidates(id),
    );
    return found === undefined ? undefined : pending(found.record);
  }

  /**
   * Removes and returns a pending authorization: of concurrent callers (an upstream callback
   * delivered twice), exactly one receives it.
   *
   * @example
   * ```ts
   * const txn = await state.takeTransaction(req.query.state);
   * if (!txn) return res.status(400).send('unknown or finished authorization');
   * ```
   */
  async takeTransaction(id: string): Promise<PendingTransaction | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const taken = await this.#io.take(RECORDS.transaction, this.#c.transactions, this.#hasher.candidates(id));
    return taken === undefined ? undefined : pending(taken.record);
  }

  // ---- authorization codes and tokens ----------------------------------------------------------

  /**
   * Issues a new authorization code (256 random bits) and stores what it stands for under the
   * code's hash (one write).
   *
   * @example
   * ```ts
   * const code = await state.createAuthorizationCode({ client_id, redirect_uri, code_challenge, scopes, subject });
   * const target = new URL(redirect_uri);
   * target.searchParams.set('code', code);
   * ```
   */
  async createAuthorizationCode(
    code: NewAuthorizationCode,
    options: { ttl?: number | undefined } = {},
  ): Promise<string> {
    const ttl = options.ttl ?? this.#life.code;
    validateTtl(ttl);
    return this.#engine.createCode(code, ttl);
  }

  /**
   * Reads an authorization code without redeeming it (for the SDK's
   * `challengeForAuthorizationCode`, which needs the PKCE challenge before the exchange).
   *
   * @example
   * ```ts
   * const record = await state.getAuthorizationCode(code);
   * return record?.code_challenge;
   * ```
   */
  getAuthorizationCode(code: string): Promise<AuthorizationCodeRecord | undefined> {
    return this.#engine.peekCode(code);
  }

  /**
   * Redeems an authorization code: takes it atomically (of any number of concurrent callers, on
   * any number of replicas, exactly one gets tokens), checks it was issued to `client_id` (and to
   * `redirect_uri` / `resource` when given), then creates a grant and issues tokens. A code
   * presented by the wrong client is consumed anyway (it is compromised). Pass the record
   * {@link OAuthStateStore.getAuthorizationCode} just returned as `peeked` and the grant is written
   * in the same round trip as the take (and discarded if another caller wins).
   *
   * @example
   * ```ts
   * const result = await state.exchangeAuthorizationCode(code, { client_id: client.client_id, redirect_uri });
   * if (!result.ok) throw new InvalidGrantError(result.reason);
   * return result.tokens; // { access_token, token_type: 'Bearer', expires_in, refresh_token, scope }
   * ```
   */
  exchangeAuthorizationCode(
    code: string,
    check: { client_id: string; redirect_uri?: string | undefined; resource?: string | undefined },
    options: { peeked?: AuthorizationCodeRecord | undefined } = {},
  ): Promise<TokenResult> {
    return this.#engine.exchange(code, check, options.peeked);
  }

  /**
   * Checks an access token in one read: what it stands for, or `undefined` when unknown, expired,
   * revoked, its grant revoked, or its record refused.
   *
   * @example
   * ```ts
   * const info = await state.verifyAccessToken(token);
   * if (!info) throw new InvalidTokenError('Invalid or expired token');
   * ```
   */
  verifyAccessToken(token: string): Promise<AccessTokenInfo | undefined> {
    return this.#engine.verify(token);
  }

  /**
   * Rotates a refresh token: exactly one of concurrent callers with the same token succeeds, the
   * others get `invalid_grant` (and with `revokeOnRefreshReuse` revoke the grant). The old access
   * token is revoked; the new refresh token keeps the grant's full scope. A request by another
   * client or for scopes beyond the grant fails without consuming the token.
   *
   * @example
   * ```ts
   * const result = await state.rotateRefreshToken(refreshToken, { client_id: client.client_id, scopes });
   * if (!result.ok) throw result.error === 'invalid_scope' ? new InvalidScopeError(result.reason) : new InvalidGrantError(result.reason);
   * ```
   */
  rotateRefreshToken(
    refreshToken: string,
    request: { client_id: string; scopes?: string[] | undefined; resource?: string | undefined },
  ): Promise<TokenResult> {
    return this.#engine.rotate(refreshToken, request);
  }

  /**
   * Revokes a token (RFC 7009): an access token alone, or a refresh token together with its whole
   * grant. `true` when the token was known (and issued to `client_id`, when given).
   *
   * @example
   * ```ts
   * async revokeToken(client, { token }) { await state.revokeToken(token, { client_id: client.client_id }); }
   * ```
   */
  revokeToken(token: string, options: { client_id?: string | undefined } = {}): Promise<boolean> {
    return this.#engine.revokeToken(token, options.client_id);
  }

  /**
   * The grant with this id, or `undefined` when unknown, expired or revoked.
   *
   * @example
   * ```ts
   * const grant = await state.getGrant(info.grant_id);
   * console.log(grant?.subject);
   * ```
   */
  getGrant(grantId: string): Promise<GrantRecord | undefined> {
    return this.#engine.getGrant(grantId);
  }

  /**
   * Revokes a grant: its record goes, so every token of it stops verifying at once, on every
   * replica; the upstream tokens behind it are deleted. `true` when the grant existed.
   *
   * @example
   * ```ts
   * const info = await state.verifyAccessToken(token);
   * if (info) await state.revokeGrant(info.grant_id); // "log out everywhere" for this authorization
   * ```
   */
  revokeGrant(grantId: string): Promise<boolean> {
    return this.#engine.revokeGrant(grantId);
  }

  // ---- OAuth proxy: upstream tokens and JWT id mappings -----------------------------------------

  /**
   * Stores the upstream provider's tokens (sealed) and returns their id (a new random one unless
   * given). Without key material: a `StoreSetupError` unless `allowUnprotectedSecrets`.
   *
   * @example
   * ```ts
   * const upstreamId = await state.saveUpstreamTokens(upstreamTokenResponse, { ttl: upstreamTokenResponse.expires_in });
   * ```
   */
  saveUpstreamTokens(
    tokens: JsonObject,
    options: { id?: string | undefined; ttl?: number | undefined } = {},
  ): Promise<string> {
    return this.#proxy.saveUpstreamTokens(tokens, options);
  }

  /**
   * The upstream tokens with this id, or `undefined` (unknown, expired or refused).
   *
   * @example
   * ```ts
   * const upstream = await state.getUpstreamTokens(info.upstream_token_id!);
   * ```
   */
  getUpstreamTokens(id: string): Promise<JsonObject | undefined> {
    return this.#proxy.getUpstreamTokens(id);
  }

  /**
   * Deletes upstream tokens; `true` when they existed.
   *
   * @example
   * ```ts
   * await state.deleteUpstreamTokens(upstreamId);
   * ```
   */
  deleteUpstreamTokens(id: string): Promise<boolean> {
    return this.#proxy.deleteUpstreamTokens(id);
  }

  /**
   * Maps a JWT id (`jti`) of a token the proxy issued to the upstream tokens behind it. A JWT id
   * is not a bearer value (the signed JWT is), so it is the key as it is.
   *
   * @example
   * ```ts
   * await state.saveJtiMapping(jti, upstreamId, { ttl: 3600 });
   * ```
   */
  saveJtiMapping(
    jti: string,
    upstreamTokenId: string,
    options: { ttl?: number | undefined } = {},
  ): Promise<void> {
    return this.#proxy.saveJtiMapping(jti, upstreamTokenId, options.ttl);
  }

  /**
   * The upstream token id a JWT id maps to, or `undefined`.
   *
   * @example
   * ```ts
   * const upstreamId = await state.getJtiMapping(claims.jti);
   * ```
   */
  getJtiMapping(jti: string): Promise<string | undefined> {
    return this.#proxy.getJtiMapping(jti);
  }

  /**
   * Deletes a JWT id mapping; `true` when it existed.
   *
   * @example
   * ```ts
   * await state.deleteJtiMapping(claims.jti);
   * ```
   */
  deleteJtiMapping(jti: string): Promise<boolean> {
    return this.#proxy.deleteJtiMapping(jti);
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function invalid(path: string, what: string): ValidationError {
  return new ValidationError(`${path} must be ${what}`, [{ message: `must be ${what}`, path }]);
}

function pending(record: PendingTransaction & { created_at?: number }): PendingTransaction {
  const { created_at: _created, ...rest } = record;
  return rest;
}
