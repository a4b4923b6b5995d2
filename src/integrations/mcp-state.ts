/**
 * `OAuthStateStore`: the state of an OAuth authorization server or OAuth proxy in front of MCP
 * servers (clients, pending authorizations, codes, tokens, grants, upstream tokens), on any
 * oauth-kv store.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { validateTtl } from '../validation.js';
import { MCP_CLIENTS_COLLECTION, OAuthClientsStore } from './mcp-clients.js';
import {
  dropUndefined,
  epochSeconds,
  hashToken,
  optionalNumber,
  optionalString,
  randomToken,
  requireString,
  requireStrings,
} from './mcp-json.js';

/**
 * The collections an {@link OAuthStateStore} uses. The first six carry FastMCP's OAuth proxy names
 * (one store can serve a Python and a TypeScript server side by side); the records themselves are
 * oauth-kv's own shape.
 *
 * @example
 * ```ts
 * const state = new OAuthStateStore(store, { collections: { accessTokens: 'my-access-tokens' } });
 * ```
 */
export interface OAuthStateCollections {
  /** Registered clients, by `client_id` (default `"mcp-oauth-proxy-clients"`). */
  clients: string;
  /** Pending authorizations, by transaction id (default `"mcp-oauth-transactions"`). */
  transactions: string;
  /**
   * Authorization codes, by the SHA-256 hex of the code (default `"mcp-authorization-codes"`;
   * FastMCP keys by the code itself, oauth-kv never stores a redeemable code as a key).
   */
  codes: string;
  /** Upstream provider tokens of a proxy, by upstream token id (default `"mcp-upstream-tokens"`). */
  upstreamTokens: string;
  /** JWT id to upstream token id mappings of a proxy (default `"mcp-jti-mappings"`). */
  jtiMappings: string;
  /** Refresh tokens, by the SHA-256 hex of the token (default `"mcp-refresh-tokens"`). */
  refreshTokens: string;
  /** Access tokens, by the SHA-256 hex of the token (default `"mcp-access-tokens"`). */
  accessTokens: string;
  /** Grants: one record per successful authorization, the root every token hangs on (default `"mcp-oauth-grants"`). */
  grants: string;
  /** Per-grant index of the current token hashes, for eager deletion on revocation (default `"mcp-oauth-grant-tokens"`). */
  grantTokens: string;
  /** Hashes of rotated refresh tokens, for `revokeOnRefreshReuse` (default `"mcp-refresh-tokens-used"`). */
  usedRefreshTokens: string;
}

/**
 * The default collection names of {@link OAuthStateStore}.
 *
 * @example
 * ```ts
 * import { OAUTH_STATE_COLLECTIONS } from 'oauth-kv/mcp';
 * console.log(OAUTH_STATE_COLLECTIONS.codes); // "mcp-authorization-codes"
 * ```
 */
export const OAUTH_STATE_COLLECTIONS: Readonly<OAuthStateCollections> = Object.freeze({
  clients: MCP_CLIENTS_COLLECTION,
  transactions: 'mcp-oauth-transactions',
  codes: 'mcp-authorization-codes',
  upstreamTokens: 'mcp-upstream-tokens',
  jtiMappings: 'mcp-jti-mappings',
  refreshTokens: 'mcp-refresh-tokens',
  accessTokens: 'mcp-access-tokens',
  grants: 'mcp-oauth-grants',
  grantTokens: 'mcp-oauth-grant-tokens',
  usedRefreshTokens: 'mcp-refresh-tokens-used',
});

/**
 * Lifetimes in seconds used by {@link OAuthStateStore}.
 *
 * @example
 * ```ts
 * const state = new OAuthStateStore(store, { lifetimes: { accessToken: 900, refreshToken: 7 * 86400 } });
 * ```
 */
export interface OAuthStateLifetimes {
  /** A pending authorization (default 900, as FastMCP). */
  transaction: number;
  /** An authorization code (default 300, as FastMCP). */
  code: number;
  /** An access token (default 3600). */
  accessToken: number;
  /** A refresh token; each rotation starts a new one (default 30 days). */
  refreshToken: number;
  /**
   * A grant, from the authorization on: the absolute limit no refresh can extend; tokens never
   * outlive their grant (default 90 days).
   */
  grant: number;
}

/**
 * The default lifetimes of {@link OAuthStateStore}, in seconds.
 *
 * @example
 * ```ts
 * import { OAUTH_STATE_LIFETIMES } from 'oauth-kv/mcp';
 * console.log(OAUTH_STATE_LIFETIMES.code); // 300
 * ```
 */
export const OAUTH_STATE_LIFETIMES: Readonly<OAuthStateLifetimes> = Object.freeze({
  transaction: 900,
  code: 300,
  accessToken: 3600,
  refreshToken: 30 * 24 * 3600,
  grant: 90 * 24 * 3600,
});

/**
 * Options of {@link OAuthStateStore}.
 *
 * @example
 * ```ts
 * const state = new OAuthStateStore(store, { lifetimes: { accessToken: 600 }, refreshTokens: true });
 * ```
 */
export interface OAuthStateStoreOptions {
  /** Collection names to use instead of {@link OAUTH_STATE_COLLECTIONS}. */
  collections?: Partial<OAuthStateCollections> | undefined;
  /** Lifetimes to use instead of {@link OAUTH_STATE_LIFETIMES}. */
  lifetimes?: Partial<OAuthStateLifetimes> | undefined;
  /** Lifetime of a client registration in seconds (default: kept until deleted). */
  clientRegistrationTtl?: number | undefined;
  /** Whether token responses include a refresh token (default `true`). */
  refreshTokens?: boolean | undefined;
  /**
   * Accept a store whose `capabilities.atomic` is false (a Keyv adapter, say). Default `false`:
   * such a store is refused with a `StoreSetupError`, because single-use codes and exactly-once
   * refresh rotation rest on an atomic `take`.
   */
  allowNonAtomic?: boolean | undefined;
  /**
   * Refresh-token reuse detection (RFC 9700 §4.14.2): remember rotated refresh tokens (by hash, until
   * they would have expired) and revoke the whole grant when one is presented again, since either
   * the client or an attacker holds a stolen copy. Default `false`: a client that sends two
   * refreshes at once (two tabs, a retry) would log itself out.
   */
  revokeOnRefreshReuse?: boolean | undefined;
}

/**
 * A pending authorization, kept while the user is away at a login page or an upstream provider.
 *
 * @example
 * ```ts
 * const id = await state.saveTransaction({ client_id, redirect_uri, code_challenge, scopes: ['mcp'] });
 * ```
 */
export interface PendingTransaction {
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method?: string | undefined;
  scopes: string[];
  /** The client's `state` parameter, returned to it with the code. */
  state?: string | undefined;
  /** The RFC 8707 resource the client asked for. */
  resource?: string | undefined;
  /** Anything else the application needs to finish the authorization (upstream PKCE verifier, CSRF token, ...). */
  extra?: JsonObject | undefined;
}

/**
 * What an authorization code stands for: who approved what for which client.
 *
 * @example
 * ```ts
 * const code = await state.createAuthorizationCode({
 *   client_id: client.client_id, redirect_uri, code_challenge, scopes: ['mcp'], subject: 'user-42',
 * });
 * ```
 */
export interface NewAuthorizationCode {
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method?: string | undefined;
  scopes: string[];
  /** The RFC 8707 resource the tokens are for. */
  resource?: string | undefined;
  /** The user (or other principal) who approved. */
  subject?: string | undefined;
  /** The upstream tokens behind this authorization (OAuth proxies). */
  upstream_token_id?: string | undefined;
  /** Application data carried onto the grant and every token of it. */
  extra?: JsonObject | undefined;
}

/**
 * A stored authorization code.
 *
 * @example
 * ```ts
 * const record = await state.getAuthorizationCode(code);
 * console.log(record?.code_challenge);
 * ```
 */
export interface AuthorizationCodeRecord extends NewAuthorizationCode {
  /** Epoch seconds. */
  created_at: number;
  /** Epoch seconds. */
  expires_at: number;
}

/**
 * What a valid access token stands for (see {@link OAuthStateStore.verifyAccessToken}).
 *
 * @example
 * ```ts
 * const info = await state.verifyAccessToken(token);
 * if (info) console.log(info.client_id, info.scopes, new Date(info.expires_at * 1000));
 * ```
 */
export interface AccessTokenInfo {
  client_id: string;
  scopes: string[];
  /** Epoch seconds. */
  expires_at: number;
  grant_id: string;
  resource?: string | undefined;
  subject?: string | undefined;
  upstream_token_id?: string | undefined;
  extra?: JsonObject | undefined;
}

/**
 * A grant: one successful authorization, the root that every token issued from it hangs on.
 *
 * @example
 * ```ts
 * const grant = await state.getGrant(info.grant_id);
 * ```
 */
export interface GrantRecord {
  grant_id: string;
  client_id: string;
  scopes: string[];
  resource?: string | undefined;
  subject?: string | undefined;
  upstream_token_id?: string | undefined;
  extra?: JsonObject | undefined;
  /** Epoch seconds. */
  created_at: number;
}

/**
 * The result of a code exchange or a refresh: tokens for the client, or an OAuth error code.
 *
 * @example
 * ```ts
 * const result = await state.exchangeAuthorizationCode(code, { client_id });
 * if (!result.ok) throw new InvalidGrantError(result.reason);
 * return result.tokens;
 * ```
 */
export type TokenResult =
  | { ok: true; tokens: OAuthTokens; grant_id: string }
  | { ok: false; error: 'invalid_grant' | 'invalid_scope'; reason: string };

const fail = (error: 'invalid_grant' | 'invalid_scope', reason: string): TokenResult => ({
  ok: false,
  error,
  reason,
});

/**
 * Typed collections for an OAuth authorization server or proxy in front of MCP servers, on any
 * {@link AsyncKeyValue} store. What it guarantees, on any backend with atomic `take`:
 *
 * - an authorization code is redeemed at most once, even by replicas racing on the same code;
 * - a refresh token rotates at most once: a second concurrent rotation with the same token fails;
 * - codes, access and refresh tokens are stored only as their SHA-256 (a leaked store holds no usable token);
 * - revoking a grant invalidates every token issued from it at once (tokens check their grant).
 *
 * The records hold client secrets and upstream tokens: wrap the store with `withEncryption`.
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
  readonly #store: AsyncKeyValue;
  readonly #c: Readonly<OAuthStateCollections>;
  readonly #life: Readonly<OAuthStateLifetimes>;
  readonly #refresh: boolean;
  readonly #reuse: boolean;

  constructor(store: AsyncKeyValue, options: OAuthStateStoreOptions = {}) {
    if (!store.capabilities.atomic && options.allowNonAtomic !== true) {
      throw new StoreSetupError(
        'OAuthStateStore needs a store with atomic take/putIfAbsent (capabilities.atomic): without it two ' +
          'replicas could redeem one authorization code. Use PostgreSQL, Redis, Firestore, FileStore or ' +
          'MemoryStore, or pass allowNonAtomic: true to accept the risk.',
      );
    }
    this.#store = store;
    this.#c = Object.freeze({ ...OAUTH_STATE_COLLECTIONS, ...definedMembers(options.collections) });
    const life = { ...OAUTH_STATE_LIFETIMES, ...definedMembers(options.lifetimes) };
    for (const ttl of Object.values(life)) validateTtl(ttl);
    this.#life = Object.freeze(life);
    this.#refresh = options.refreshTokens ?? true;
    this.#reuse = options.revokeOnRefreshReuse ?? false;
    this.clients = new OAuthClientsStore(store, {
      collection: this.#c.clients,
      ttl: options.clientRegistrationTtl,
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

  // ---- pending transactions --------------------------------------------------------------------

  /**
   * Stores a pending authorization and returns its id (a new random one unless given).
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
    const record = dropUndefined({ ...transaction, created_at: epochSeconds() });
    await this.#store.put(id, record, {
      collection: this.#c.transactions,
      ttl: options.ttl ?? this.#life.transaction,
    });
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
    const value = await this.#store.get(id, { collection: this.#c.transactions });
    return value === undefined ? undefined : readTransaction(value);
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
    const value = await this.#store.take(id, { collection: this.#c.transactions });
    return value === undefined ? undefined : readTransaction(value);
  }

  // ---- authorization codes ---------------------------------------------------------------------

  /**
   * Issues a new authorization code (256 random bits) and stores what it stands for, under the
   * code's SHA-256 (names are not encrypted by `withEncryption`; a hash is useless to a reader).
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
    const now = Date.now();
    const value = randomToken();
    const record = dropUndefined({
      ...code,
      created_at: epochSeconds(now),
      expires_at: epochSeconds(now + ttl * 1000),
    });
    const written = await this.#store.putIfAbsent(hashToken(value), record, {
      collection: this.#c.codes,
      ttl,
    });
    if (!written) throw new Error('Authorization code collision; the random source is broken');
    return value;
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
  async getAuthorizationCode(code: string): Promise<AuthorizationCodeRecord | undefined> {
    if (typeof code !== 'string' || code.length === 0) return undefined;
    const value = await this.#store.get(hashToken(code), { collection: this.#c.codes });
    return value === undefined ? undefined : readCode(value);
  }

  /**
   * Redeems an authorization code: removes it atomically (of any number of concurrent callers,
   * on any number of replicas, exactly one gets it), checks it was issued to `client_id` (and to
   * `redirect_uri` / `resource` when given), then creates a grant and issues tokens for it.
   * A code presented by the wrong client is consumed anyway (it is compromised).
   *
   * @example
   * ```ts
   * const result = await state.exchangeAuthorizationCode(code, { client_id: client.client_id, redirect_uri });
   * if (!result.ok) throw new InvalidGrantError(result.reason);
   * return result.tokens; // { access_token, token_type: 'Bearer', expires_in, refresh_token, scope }
   * ```
   */
  async exchangeAuthorizationCode(
    code: string,
    check: { client_id: string; redirect_uri?: string | undefined; resource?: string | undefined },
  ): Promise<TokenResult> {
    if (typeof code !== 'string' || code.length === 0) {
      return fail('invalid_grant', 'Unknown, expired or already used authorization code');
    }
    const value = await this.#store.take(hashToken(code), { collection: this.#c.codes });
    if (value === undefined)
      return fail('invalid_grant', 'Unknown, expired or already used authorization code');
    const record = readCode(value);
    if (record.client_id !== check.client_id) {
      return fail('invalid_grant', 'The authorization code was issued to another client');
    }
    if (check.redirect_uri !== undefined && check.redirect_uri !== record.redirect_uri) {
      return fail('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    if (check.resource !== undefined && record.resource !== undefined && check.resource !== record.resource) {
      return fail('invalid_grant', 'resource does not match the authorization request');
    }
    const grant: GrantRecord = {
      grant_id: randomUUID(),
      client_id: record.client_id,
      scopes: record.scopes,
      resource: record.resource,
      subject: record.subject,
      upstream_token_id: record.upstream_token_id,
      extra: record.extra,
      created_at: epochSeconds(),
    };
    await this.#store.put(grant.grant_id, dropUndefined(grant), {
      collection: this.#c.grants,
      ttl: this.#life.grant,
    });
    return {
      ok: true,
      grant_id: grant.grant_id,
      tokens: await this.#issue(grant, grant.scopes, this.#life.grant),
    };
  }

  // ---- tokens --------------------------------------------------------------------------------

  /**
   * Checks an access token: what it stands for, or `undefined` when unknown, expired, revoked, or
   * its grant was revoked. The token is looked up by its SHA-256; it is never stored.
   *
   * @example
   * ```ts
   * async verifyAccessToken(token: string): Promise<AuthInfo> {
   *   const info = await state.verifyAccessToken(token);
   *   if (!info) throw new InvalidTokenError('Invalid or expired token');
   *   return { token, clientId: info.client_id, scopes: info.scopes, expiresAt: info.expires_at };
   * }
   * ```
   */
  async verifyAccessToken(token: string): Promise<AccessTokenInfo | undefined> {
    if (typeof token !== 'string' || token.length === 0) return undefined;
    const value = await this.#store.get(hashToken(token), { collection: this.#c.accessTokens });
    if (value === undefined) return undefined;
    const info = readTokenInfo(value, 'access token');
    const grant = await this.#store.get(info.grant_id, { collection: this.#c.grants });
    return grant === undefined ? undefined : info;
  }

  /**
   * Rotates a refresh token: the old one is removed atomically (exactly one of concurrent callers
   * with the same token succeeds; the others get `invalid_grant`), its access token is revoked, and
   * a new access and refresh token are issued on the same grant. A request by another client or for
   * scopes beyond the grant fails without consuming the token. Tokens never outlive the grant.
   *
   * @example
   * ```ts
   * const result = await state.rotateRefreshToken(refreshToken, { client_id: client.client_id, scopes });
   * if (!result.ok) throw result.error === 'invalid_scope' ? new InvalidScopeError(result.reason) : new InvalidGrantError(result.reason);
   * return result.tokens;
   * ```
   */
  async rotateRefreshToken(
    refreshToken: string,
    request: { client_id: string; scopes?: string[] | undefined; resource?: string | undefined },
  ): Promise<TokenResult> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0) {
      return fail('invalid_grant', 'Unknown, expired or already used refresh token');
    }
    const key = hashToken(refreshToken);
    const collection = this.#c.refreshTokens;
    const peek = await this.#store.get(key, { collection });
    if (peek === undefined) return this.#unknownRefreshToken(key);
    const current = readTokenInfo(peek, 'refresh token');
    if (current.client_id !== request.client_id) {
      return fail('invalid_grant', 'The refresh token was issued to another client');
    }
    const scopes = request.scopes?.filter((s) => s.length > 0);
    if (scopes !== undefined && scopes.length > 0 && !scopes.every((s) => current.scopes.includes(s))) {
      return fail('invalid_scope', 'The requested scope exceeds the scope of the grant');
    }
    if (
      request.resource !== undefined &&
      current.resource !== undefined &&
      request.resource !== current.resource
    ) {
      return fail('invalid_grant', 'resource does not match the grant');
    }
    const taken = await this.#store.take(key, { collection });
    if (taken === undefined) return this.#unknownRefreshToken(key);
    const old = readTokenInfo(taken, 'refresh token');
    if (this.#reuse) {
      const left = old.expires_at - Date.now() / 1000;
      if (left > 0) {
        await this.#store.put(
          key,
          { grant_id: old.grant_id, client_id: old.client_id, rotated_at: epochSeconds() },
          { collection: this.#c.usedRefreshTokens, ttl: left },
        );
      }
    }
    const accessHash = optionalString(taken, 'access_token_hash', 'refresh token');
    if (accessHash !== undefined) await this.#store.delete(accessHash, { collection: this.#c.accessTokens });
    const { value: grantValue, ttl: grantTtl } = await this.#store.ttl(old.grant_id, {
      collection: this.#c.grants,
    });
    if (grantValue === undefined) return fail('invalid_grant', 'The grant was revoked');
    const grant = readGrant(grantValue);
    const remaining = grantTtl ?? this.#life.grant;
    if (remaining < 1) return fail('invalid_grant', 'The grant has expired');
    const accessScopes = scopes !== undefined && scopes.length > 0 ? scopes : grant.scopes;
    return { ok: true, grant_id: grant.grant_id, tokens: await this.#issue(grant, accessScopes, remaining) };
  }

  /**
   * Revokes a token (RFC 7009): an access token alone, or a refresh token together with its whole
   * grant. `true` when the token was known. Unknown tokens are ignored, as the RFC asks.
   *
   * @example
   * ```ts
   * async revokeToken(client, { token }) { await state.revokeToken(token, { client_id: client.client_id }); }
   * ```
   */
  async revokeToken(token: string, options: { client_id?: string | undefined } = {}): Promise<boolean> {
    if (typeof token !== 'string' || token.length === 0) return false;
    const key = hashToken(token);
    const [access, refresh] = await Promise.all([
      this.#store.get(key, { collection: this.#c.accessTokens }),
      this.#store.get(key, { collection: this.#c.refreshTokens }),
    ]);
    const found = access ?? refresh;
    if (found === undefined) return false;
    const info = readTokenInfo(found, access ? 'access token' : 'refresh token');
    if (options.client_id !== undefined && info.client_id !== options.client_id) return false;
    if (refresh !== undefined) {
      await this.revokeGrant(info.grant_id);
      return true;
    }
    return this.#store.delete(key, { collection: this.#c.accessTokens });
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
  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const value = await this.#store.get(grantId, { collection: this.#c.grants });
    return value === undefined ? undefined : readGrant(value);
  }

  /**
   * Revokes a grant and everything issued from it: the grant record goes first (so every token of
   * it stops verifying at once, on every replica), then the current tokens and the upstream tokens
   * behind it. `true` when the grant existed.
   *
   * @example
   * ```ts
   * const info = await state.verifyAccessToken(token);
   * if (info) await state.revokeGrant(info.grant_id); // "log out everywhere" for this authorization
   * ```
   */
  async revokeGrant(grantId: string): Promise<boolean> {
    const taken = await this.#store.take(grantId, { collection: this.#c.grants });
    const index = await this.#store.take(grantId, { collection: this.#c.grantTokens });
    if (index !== undefined) {
      const access = Array.isArray(index.access) ? index.access.filter(isString) : [];
      const refresh = Array.isArray(index.refresh) ? index.refresh.filter(isString) : [];
      if (access.length > 0) await this.#store.deleteMany(access, { collection: this.#c.accessTokens });
      if (refresh.length > 0) await this.#store.deleteMany(refresh, { collection: this.#c.refreshTokens });
    }
    if (taken === undefined) return false;
    const upstream = optionalString(taken, 'upstream_token_id', 'grant');
    if (upstream !== undefined) await this.#store.delete(upstream, { collection: this.#c.upstreamTokens });
    return true;
  }

  // ---- OAuth proxy: upstream tokens and JWT id mappings -----------------------------------------

  /**
   * Stores the upstream provider's tokens (an OAuth proxy's "upstream token set") and returns
   * their id (a new random one unless given). They are secrets: encrypt the store.
   *
   * @example
   * ```ts
   * const upstreamId = await state.saveUpstreamTokens(upstreamTokenResponse, { ttl: upstreamTokenResponse.expires_in });
   * ```
   */
  async saveUpstreamTokens(
    tokens: JsonObject,
    options: { id?: string | undefined; ttl?: number | undefined } = {},
  ): Promise<string> {
    const id = options.id ?? randomUUID();
    await this.#store.put(id, dropUndefined(tokens), {
      collection: this.#c.upstreamTokens,
      ttl: options.ttl,
    });
    return id;
  }

  /**
   * The upstream tokens with this id, or `undefined`.
   *
   * @example
   * ```ts
   * const upstream = await state.getUpstreamTokens(info.upstream_token_id!);
   * ```
   */
  async getUpstreamTokens(id: string): Promise<JsonObject | undefined> {
    return this.#store.get(id, { collection: this.#c.upstreamTokens });
  }

  /**
   * Deletes upstream tokens; `true` when they existed.
   *
   * @example
   * ```ts
   * await state.deleteUpstreamTokens(upstreamId);
   * ```
   */
  async deleteUpstreamTokens(id: string): Promise<boolean> {
    return this.#store.delete(id, { collection: this.#c.upstreamTokens });
  }

  /**
   * Maps a JWT id (`jti`) of a token the proxy issued to the upstream tokens behind it.
   *
   * @example
   * ```ts
   * await state.saveJtiMapping(jti, upstreamId, { ttl: 3600 });
   * ```
   */
  async saveJtiMapping(
    jti: string,
    upstreamTokenId: string,
    options: { ttl?: number | undefined } = {},
  ): Promise<void> {
    await this.#store.put(
      jti,
      { jti, upstream_token_id: upstreamTokenId, created_at: epochSeconds() },
      { collection: this.#c.jtiMappings, ttl: options.ttl },
    );
  }

  /**
   * The upstream token id a JWT id maps to, or `undefined`.
   *
   * @example
   * ```ts
   * const upstreamId = await state.getJtiMapping(claims.jti);
   * ```
   */
  async getJtiMapping(jti: string): Promise<string | undefined> {
    const value = await this.#store.get(jti, { collection: this.#c.jtiMappings });
    return value === undefined ? undefined : requireString(value, 'upstream_token_id', 'JWT id mapping');
  }

  /**
   * Deletes a JWT id mapping; `true` when it existed.
   *
   * @example
   * ```ts
   * await state.deleteJtiMapping(claims.jti);
   * ```
   */
  async deleteJtiMapping(jti: string): Promise<boolean> {
    return this.#store.delete(jti, { collection: this.#c.jtiMappings });
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The answer to an unknown refresh token; with reuse detection, a rotated one revokes its grant. */
  async #unknownRefreshToken(key: string): Promise<TokenResult> {
    if (this.#reuse) {
      const used = await this.#store.get(key, { collection: this.#c.usedRefreshTokens });
      if (used !== undefined) {
        await this.revokeGrant(requireString(used, 'grant_id', 'used refresh token'));
        return fail('invalid_grant', 'The refresh token was already used; its grant is revoked');
      }
    }
    return fail('invalid_grant', 'Unknown, expired or already used refresh token');
  }

  /** Issues an access token (and a refresh token) on `grant`, none outliving `grantRemaining` s. */
  async #issue(grant: GrantRecord, accessScopes: string[], grantRemaining: number): Promise<OAuthTokens> {
    const now = Date.now();
    const accessTtl = Math.min(this.#life.accessToken, grantRemaining);
    const access = randomToken();
    const accessHash = hashToken(access);
    const common = {
      client_id: grant.client_id,
      grant_id: grant.grant_id,
      resource: grant.resource,
      subject: grant.subject,
      upstream_token_id: grant.upstream_token_id,
      extra: grant.extra,
      created_at: epochSeconds(now),
    };
    const writes: Promise<unknown>[] = [
      this.#store.put(
        accessHash,
        dropUndefined({ ...common, scopes: accessScopes, expires_at: epochSeconds(now + accessTtl * 1000) }),
        { collection: this.#c.accessTokens, ttl: accessTtl },
      ),
    ];
    const tokens: OAuthTokens = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: Math.max(1, Math.floor(accessTtl)),
      scope: accessScopes.join(' '),
    };
    const index: { access: string[]; refresh: string[] } = { access: [accessHash], refresh: [] };
    if (this.#refresh) {
      const refreshTtl = Math.min(this.#life.refreshToken, grantRemaining);
      const refresh = randomToken();
      const refreshHash = hashToken(refresh);
      writes.push(
        this.#store.put(
          refreshHash,
          dropUndefined({
            ...common,
            scopes: grant.scopes,
            access_token_hash: accessHash,
            expires_at: epochSeconds(now + refreshTtl * 1000),
          }),
          { collection: this.#c.refreshTokens, ttl: refreshTtl },
        ),
      );
      tokens.refresh_token = refresh;
      index.refresh.push(refreshHash);
    }
    writes.push(
      this.#store.put(grant.grant_id, index, { collection: this.#c.grantTokens, ttl: grantRemaining }),
    );
    await Promise.all(writes);
    return tokens;
  }
}

function definedMembers<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function readExtra(record: JsonObject): JsonObject | undefined {
  const extra = record.extra;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? extra : undefined;
}

function readTransaction(record: JsonObject): PendingTransaction {
  const what = 'transaction';
  return {
    client_id: requireString(record, 'client_id', what),
    redirect_uri: requireString(record, 'redirect_uri', what),
    code_challenge: requireString(record, 'code_challenge', what),
    code_challenge_method: optionalString(record, 'code_challenge_method', what),
    scopes: requireStrings(record, 'scopes', what),
    state: optionalString(record, 'state', what),
    resource: optionalString(record, 'resource', what),
    extra: readExtra(record),
  };
}

function readCode(record: JsonObject): AuthorizationCodeRecord {
  const what = 'authorization code';
  return {
    client_id: requireString(record, 'client_id', what),
    redirect_uri: requireString(record, 'redirect_uri', what),
    code_challenge: requireString(record, 'code_challenge', what),
    code_challenge_method: optionalString(record, 'code_challenge_method', what),
    scopes: requireStrings(record, 'scopes', what),
    resource: optionalString(record, 'resource', what),
    subject: optionalString(record, 'subject', what),
    upstream_token_id: optionalString(record, 'upstream_token_id', what),
    extra: readExtra(record),
    created_at: optionalNumber(record, 'created_at', what) ?? 0,
    expires_at: optionalNumber(record, 'expires_at', what) ?? 0,
  };
}

function readTokenInfo(record: JsonObject, what: string): AccessTokenInfo {
  return {
    client_id: requireString(record, 'client_id', what),
    scopes: requireStrings(record, 'scopes', what),
    expires_at: optionalNumber(record, 'expires_at', what) ?? 0,
    grant_id: requireString(record, 'grant_id', what),
    resource: optionalString(record, 'resource', what),
    subject: optionalString(record, 'subject', what),
    upstream_token_id: optionalString(record, 'upstream_token_id', what),
    extra: readExtra(record),
  };
}

function readGrant(record: JsonObject): GrantRecord {
  const what = 'grant';
  return {
    grant_id: requireString(record, 'grant_id', what),
    client_id: requireString(record, 'client_id', what),
    scopes: requireStrings(record, 'scopes', what),
    resource: optionalString(record, 'resource', what),
    subject: optionalString(record, 'subject', what),
    upstream_token_id: optionalString(record, 'upstream_token_id', what),
    extra: readExtra(record),
    created_at: optionalNumber(record, 'created_at', what) ?? 0,
  };
}
