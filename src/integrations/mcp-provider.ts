/**
 * `PersistentOAuthServerProvider`: a complete MCP SDK `OAuthServerProvider` (authorization server)
 * whose whole state lives in an {@link OAuthStateStore}, so any number of replicas and restarts
 * share clients, codes and tokens.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { JsonObject } from '../contract.js';
import type { OAuthClientsStore } from './mcp-clients.js';
import type { OAuthStateStore } from './mcp-state.js';
import type { AuthorizationCodeRecord, PendingTransaction, TokenResult } from './oauth-records.js';

/**
 * The outcome of an authorization request: who approved (and optional data carried onto the
 * grant and every token of it), or `undefined` to deny (`error=access_denied`).
 *
 * @example
 * ```ts
 * const approve = async (): Promise<Approval> => ({ subject: 'local-user' });
 * ```
 */
export type Approval = { subject?: string | undefined; extra?: JsonObject | undefined } | undefined;

/**
 * The part of the SDK's (express) response `authorize` uses: `redirect`, and the request it answers.
 *
 * @example
 * ```ts
 * import type { AuthorizationParams } from '@modelcontextprotocol/sdk/server/auth/provider.js';
 * import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
 *
 * declare const provider: PersistentOAuthServerProvider;
 * declare const client: OAuthClientInformationFull;
 * declare const params: AuthorizationParams;
 * // In tests, a plain object will do:
 * await provider.authorize(client, params, { redirect: (url) => console.log(url) });
 * ```
 */
export interface AuthorizeResponse {
  redirect(url: string): void;
  /** The request being answered (express sets it). */
  req?: IncomingMessage | undefined;
}

/**
 * What `approve` gets besides the client and the request parameters.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * import { PersistentOAuthServerProvider } from 'oauth-kv/mcp';
 *
 * declare function sessionUser(request: IncomingMessage | undefined): Promise<{ id: string } | undefined>; // yours
 *
 * const provider = new PersistentOAuthServerProvider({
 *   state,
 *   approve: async (client, params, { request, redirect, defer }) => {
 *     const user = await sessionUser(request);
 *     if (user) return { subject: user.id };
 *     redirect(`/login?txn=${await defer()}`); // finish later with completeAuthorization
 *     return undefined;
 *   },
 * });
 * ```
 */
export interface ApprovalContext {
  /** The HTTP request of the authorization (for a session cookie), when the SDK passes it. */
  request: IncomingMessage | undefined;
  /**
   * Redirects the browser yourself (to a login or consent page): once called, what `approve`
   * returns is ignored and the authorization is finished later by
   * {@link PersistentOAuthServerProvider.completeAuthorization}.
   */
  redirect: (url: string) => void;
  /**
   * Saves this authorization request as a pending transaction (900 s by default) and returns its
   * id; finish it after login or consent with
   * {@link PersistentOAuthServerProvider.completeAuthorization}.
   */
  defer: () => Promise<string>;
}

/**
 * Options of {@link PersistentOAuthServerProvider}.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 *
 * declare function userOf(request: IncomingMessage | undefined): Promise<string>; // your session lookup
 * new PersistentOAuthServerProvider({ state, approve: async (client, params, { request }) => ({ subject: await userOf(request) }) });
 * ```
 */
export interface PersistentOAuthServerProviderOptions {
  /** Where clients, codes and tokens live. */
  state: OAuthStateStore;
  /**
   * Decides an authorization request that the SDK has validated (known client, registered
   * redirect URI, PKCE challenge). Return the approving subject, or `undefined` to deny; or send
   * the browser elsewhere with `context.redirect` (your login or consent page, typically with the
   * id from `context.defer()`) and finish later with `completeAuthorization`.
   */
  approve: (
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    context: ApprovalContext,
  ) => Approval | Promise<Approval>;
  /**
   * The RFC 8707 resource (your MCP server URL) tokens must be bound to. When set, authorization
   * requests for another resource are refused (`invalid_target`), requests naming none are bound
   * to this one, and a token bound to another resource does not verify.
   */
  resource?: URL | undefined;
  /**
   * The OAuth error classes of the SDK whose router serves this provider. Its handlers check
   * errors with `instanceof`, so with `@modelcontextprotocol/server-legacy` 2.x pass its
   * `@modelcontextprotocol/server-legacy/auth` module. Default: `@modelcontextprotocol/sdk` 1.x's,
   * loaded when first needed.
   */
  errors?: OAuthErrorClasses | undefined;
}

/**
 * The OAuth error classes {@link PersistentOAuthServerProvider} throws (invalid code or refresh
 * token, invalid scope, invalid access token), from the SDK line whose router serves it.
 *
 * @example
 * ```ts
 * import * as legacyAuth from '@modelcontextprotocol/server-legacy/auth';
 * import type { OAuthErrorClasses } from 'oauth-kv/mcp';
 * const errors: OAuthErrorClasses = legacyAuth;
 * ```
 */
export interface OAuthErrorClasses {
  /** `invalid_grant` (400). */
  InvalidGrantError: new (
    message: string,
  ) => Error;
  /** `invalid_scope` (400). */
  InvalidScopeError: new (
    message: string,
  ) => Error;
  /** `invalid_token` (401). */
  InvalidTokenError: new (
    message: string,
  ) => Error;
}

/**
 * An MCP SDK `OAuthServerProvider` for `mcpAuthRouter` and `requireBearerAuth`, storing everything
 * in an {@link OAuthStateStore}: single-use codes, hashed tokens, atomic refresh rotation and
 * grant revocation, on whatever backend the store uses.
 *
 * @example
 * ```ts
 * import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
 * import { OAuthStateStore, PersistentOAuthServerProvider } from 'oauth-kv/mcp';
 *
 * const provider = new PersistentOAuthServerProvider({
 *   state: new OAuthStateStore(store),
 *   approve: async () => ({ subject: 'local-user' }), // auto-approve: local development only
 * });
 * app.use(mcpAuthRouter({ provider, issuerUrl: new URL('http://127.0.0.1:3000') }));
 * ```
 */
export class PersistentOAuthServerProvider implements OAuthServerProvider {
  readonly #state: OAuthStateStore;
  readonly #approve: PersistentOAuthServerProviderOptions['approve'];
  readonly #resource: URL | undefined;
  readonly #errors: OAuthErrorClasses | undefined;
  /**
   * Codes `challengeForAuthorizationCode` just read, for the `exchangeAuthorizationCode` the SDK
   * calls right after in the same request: the exchange then writes the grant in the same round
   * trip as its `take`. Only a hint: the exchange checks it against what it takes.
   */
  readonly #peeked = new Map<string, { record: AuthorizationCodeRecord; until: number }>();

  constructor(options: PersistentOAuthServerProviderOptions) {
    this.#state = options.state;
    this.#approve = options.approve;
    this.#resource = options.resource;
    this.#errors = options.errors;
  }

  /**
   * The registered clients (the SDK's registration and client authentication use it): the
   * state's {@link OAuthClientsStore}.
   */
  get clientsStore(): OAuthRegisteredClientsStore {
    return this.#state.clients;
  }

  /**
   * Asks `approve`, then redirects back with a new single-use code, or with `access_denied`
   * (unless `approve` redirected the browser itself).
   */
  async authorize(
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    res: AuthorizeResponse,
  ): Promise<void> {
    if (
      this.#resource !== undefined &&
      params.resource !== undefined &&
      !sameResource(params.resource, this.#resource)
    ) {
      res.redirect(redirectWith(params.redirectUri, params.state, { error: 'invalid_target' }));
      return;
    }
    const pending: PendingTransaction = {
      client_id: client.client_id,
      redirect_uri: params.redirectUri,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
      scopes: params.scopes ?? [],
      state: params.state,
      resource: (params.resource ?? this.#resource)?.href,
    };
    let responded = false;
    const approval = await this.#approve(client, params, {
      request: res.req,
      redirect: (url: string) => {
        if (responded) throw new Error('approve redirected twice');
        responded = true;
        res.redirect(url);
      },
      defer: () => this.#state.saveTransaction(pending),
    });
    if (responded) return;
    res.redirect(await this.#finish(pending, approval));
  }

  /**
   * Finishes an authorization that `approve` deferred (after login or consent): takes the pending
   * transaction (once: a second call gets `undefined`) and returns the URL to send the browser to,
   * with a new code, or with `access_denied` when `approval` is `undefined`. `undefined` when the
   * transaction is unknown or expired.
   *
   * @example
   * ```ts
   * app.post('/consent', async (req, res) => {
   *   const url = await provider.completeAuthorization(req.body.txn, req.body.allow ? { subject: req.user.id } : undefined);
   *   url ? res.redirect(url) : res.status(400).send('This authorization expired; start again.');
   * });
   * ```
   */
  async completeAuthorization(transactionId: string, approval: Approval): Promise<string | undefined> {
    const pending = await this.#state.takeTransaction(transactionId);
    return pending === undefined ? undefined : this.#finish(pending, approval);
  }

  async #finish(pending: PendingTransaction, approval: Approval): Promise<string> {
    if (approval === undefined) {
      return redirectWith(pending.redirect_uri, pending.state, { error: 'access_denied' });
    }
    const code = await this.#state.createAuthorizationCode({
      client_id: pending.client_id,
      redirect_uri: pending.redirect_uri,
      code_challenge: pending.code_challenge,
      code_challenge_method: pending.code_challenge_method,
      scopes: pending.scopes,
      resource: pending.resource,
      subject: approval.subject,
      extra: approval.extra,
    });
    return redirectWith(pending.redirect_uri, pending.state, { code });
  }

  /** The PKCE challenge of a code issued to `client` (the code is not redeemed). */
  async challengeForAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<string> {
    const record = await this.#state.getAuthorizationCode(code);
    if (record === undefined || record.client_id !== client.client_id) {
      throw await sdkError(
        this.#errors,
        'InvalidGrantError',
        'Unknown, expired or already used authorization code',
      );
    }
    const now = Date.now();
    for (const [key, entry] of this.#peeked) {
      if (entry.until > now && this.#peeked.size < PEEK_LIMIT) break;
      this.#peeked.delete(key); // oldest first: expired ones, or the oldest when full
    }
    this.#peeked.set(code, { record, until: now + PEEK_MS });
    return record.code_challenge;
  }

  /** Redeems the code exactly once and issues tokens. */
  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    const peeked = this.#peeked.get(code);
    this.#peeked.delete(code);
    const result = await this.#state.exchangeAuthorizationCode(
      code,
      { client_id: client.client_id, redirect_uri: redirectUri, resource: resource?.href },
      { peeked: peeked !== undefined && peeked.until > Date.now() ? peeked.record : undefined },
    );
    return unwrap(result, this.#errors);
  }

  /** Rotates the refresh token exactly once and issues a new pair. */
  async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    const result = await this.#state.rotateRefreshToken(refreshToken, {
      client_id: client.client_id,
      scopes,
      resource: resource?.href,
    });
    return unwrap(result, this.#errors);
  }

  /** Checks a bearer token against the store (and its grant). */
  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const info = await this.#state.verifyAccessToken(token);
    if (info === undefined)
      throw await sdkError(this.#errors, 'InvalidTokenError', 'Invalid, expired or revoked token');
    const resource = info.resource === undefined ? undefined : new URL(info.resource);
    if (this.#resource !== undefined && (resource === undefined || !sameResource(resource, this.#resource))) {
      throw await sdkError(this.#errors, 'InvalidTokenError', 'The token was not issued for this resource');
    }
    const auth: AuthInfo = {
      token,
      clientId: info.client_id,
      scopes: info.scopes,
      expiresAt: info.expires_at,
      extra: { grantId: info.grant_id, subject: info.subject, ...(info.extra ?? {}) },
    };
    if (resource !== undefined) auth.resource = resource;
    return auth;
  }

  /** Revokes an access token, or a refresh token with its whole grant (RFC 7009). */
  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    await this.#state.revokeToken(request.token, { client_id: client.client_id });
  }
}

async function unwrap(result: TokenResult, errors: OAuthErrorClasses | undefined): Promise<OAuthTokens> {
  if (result.ok) return result.tokens;
  throw await sdkError(
    errors,
    result.error === 'invalid_scope' ? 'InvalidScopeError' : 'InvalidGrantError',
    result.reason,
  );
}

const PEEK_MS = 30_000;
const PEEK_LIMIT = 1_000;

/**
 * `true` in the CommonJS build (tsup defines it per format). The SDK's handlers check its errors
 * with `instanceof`, so each format must construct them from the SDK build the application loaded:
 * its CommonJS files under `require`, its ES modules under `import`.
 */
declare const __OAUTH_KV_CJS__: boolean | undefined;

type SdkErrors = typeof import('@modelcontextprotocol/sdk/server/auth/errors.js');

/** Builds one of the SDK's OAuth errors (loaded lazily), so its handlers answer 400/401, not 500. */
async function sdkError(
  given: OAuthErrorClasses | undefined,
  name: 'InvalidGrantError' | 'InvalidScopeError' | 'InvalidTokenError',
  message: string,
): Promise<Error> {
  if (given !== undefined) return new given[name](message);
  const errors: SdkErrors =
    typeof __OAUTH_KV_CJS__ === 'boolean' && __OAUTH_KV_CJS__
      ? (require('@modelcontextprotocol/sdk/server/auth/errors.js') as SdkErrors)
      : await import('@modelcontextprotocol/sdk/server/auth/errors.js');
  return new errors[name](message);
}

/** The client's redirect URI with `params` and its `state` added. */
function redirectWith(
  redirectUri: string,
  state: string | undefined,
  params: Record<string, string>,
): string {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
  if (state !== undefined) target.searchParams.set('state', state);
  return target.href;
}

function sameResource(a: URL, b: URL): boolean {
  const strip = (u: URL) => u.href.replace(/#.*$/, '').replace(/\/$/, '');
  return strip(a) === strip(b);
}
