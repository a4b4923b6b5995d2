/**
 * The OAuth records `OAuthStateStore` keeps and their validated shapes (Standard Schema v1
 * validators of oauth-kv's own, so `typedCollection` can read the collections too).
 * @module
 */

import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { JsonObject } from '../contract.js';
import { isPlainObject } from '../validation.js';
import type { OAuthStateStore } from './mcp-state.js';

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
 *   client_id, redirect_uri, code_challenge, scopes: ['mcp'], subject: 'user-42',
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
 * Deleting it (revocation) ends every token of it at once.
 *
 * @example
 * ```ts
 * const info = await state.verifyAccessToken(token);
 * const grant = info && (await state.getGrant(info.grant_id));
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
  /** Epoch seconds: the absolute end of the grant, which no refresh extends. */
  expires_at: number;
}

/**
 * The result of a code exchange or a refresh: tokens for the client, or an OAuth error code.
 *
 * @example
 * ```ts
 * import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
 *
 * const result = await state.exchangeAuthorizationCode(code, { client_id });
 * if (!result.ok) throw new InvalidGrantError(result.reason);
 * console.log(result.tokens.access_token);
 * ```
 */
export type TokenResult =
  | { ok: true; tokens: OAuthTokens; grant_id: string }
  | { ok: false; error: 'invalid_grant' | 'invalid_scope'; reason: string };

/** A stored access token (in the grants collection, next to its grant). */
export interface AccessRecord {
  grant_id: string;
  client_id: string;
  scopes: string[];
  created_at: number;
  expires_at: number;
}

/** A stored refresh token; the grant holds its scopes and resource. */
export interface RefreshRecord {
  grant_id: string;
  client_id: string;
  /** The storage key of the access token issued with it (deleted when it rotates). */
  access_key: string;
  created_at: number;
  expires_at: number;
}

/** The claim of a rotated refresh token (with `revokeOnRefreshReuse`). */
export interface UsedRefreshRecord {
  grant_id: string;
  client_id: string;
  rotated_at: number;
}

/** A stored pending authorization. */
export interface TransactionRecord extends PendingTransaction {
  created_at: number;
}

/** A JWT id mapping of an OAuth proxy. */
export interface JtiRecord {
  jti: string;
  upstream_token_id: string;
  created_at: number;
}

/** Upstream tokens, sealed (or stored as given with `allowUnprotectedSecrets`). */
export interface UpstreamRecord {
  sealed?: string | undefined;
  tokens?: JsonObject | undefined;
}

type FieldKind = 'string' | 'string?' | 'strings' | 'number' | 'object?';

/**
 * A record shape: a Standard Schema v1 validator (so `typedCollection` accepts it) that keeps the
 * known members only and names the offending member, never its value.
 */
export interface RecordSchema<T> extends StandardSchemaV1<T, T> {
  /** What the record is, for messages ("access token"). */
  readonly what: string;
  /** The record, or the issues found. */
  check(value: unknown): { value: T; issues?: undefined } | { issues: StandardSchemaV1.Issue[] };
}

function recordSchema<T>(what: string, fields: { readonly [K in keyof T]-?: FieldKind }): RecordSchema<T> {
  const entries = Object.entries(fields) as [string, FieldKind][];
  const check = (value: unknown) => {
    if (!isPlainObject(value)) return { issues: [{ message: `a ${what} record must be an object` }] };
    const out: Record<string, unknown> = {};
    const issues: StandardSchemaV1.Issue[] = [];
    for (const [name, kind] of entries) {
      const member = (value as Record<string, unknown>)[name];
      if (kind.endsWith('?') && (member === undefined || member === null)) continue;
      if (!matches(kind, member)) {
        issues.push({ message: `must be ${DESCRIPTION[kind]}`, path: [name] });
        continue;
      }
      out[name] = kind === 'strings' ? [...(member as string[])] : member;
    }
    return issues.length > 0 ? { issues } : { value: out as T };
  };
  return {
    what,
    check,
    '~standard': { version: 1, vendor: 'oauth-kv', validate: check },
  };
}

const DESCRIPTION: Record<FieldKind, string> = {
  string: 'a string',
  'string?': 'a string when present',
  strings: 'an array of strings',
  number: 'a finite number',
  'object?': 'a JSON object when present',
};

function matches(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
    case 'string?':
      return typeof value === 'string';
    case 'strings':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object?':
      return isPlainObject(value);
  }
}

/** The shapes of every record `OAuthStateStore` writes. */
export const RECORDS = {
  transaction: recordSchema<TransactionRecord>('transaction', {
    client_id: 'string',
    redirect_uri: 'string',
    code_challenge: 'string',
    code_challenge_method: 'string?',
    scopes: 'strings',
    state: 'string?',
    resource: 'string?',
    extra: 'object?',
    created_at: 'number',
  }),
  code: recordSchema<AuthorizationCodeRecord>('authorization code', {
    client_id: 'string',
    redirect_uri: 'string',
    code_challenge: 'string',
    code_challenge_method: 'string?',
    scopes: 'strings',
    resource: 'string?',
    subject: 'string?',
    upstream_token_id: 'string?',
    extra: 'object?',
    created_at: 'number',
    expires_at: 'number',
  }),
  grant: recordSchema<GrantRecord>('grant', {
    grant_id: 'string',
    client_id: 'string',
    scopes: 'strings',
    resource: 'string?',
    subject: 'string?',
    upstream_token_id: 'string?',
    extra: 'object?',
    created_at: 'number',
    expires_at: 'number',
  }),
  access: recordSchema<AccessRecord>('access token', {
    grant_id: 'string',
    client_id: 'string',
    scopes: 'strings',
    created_at: 'number',
    expires_at: 'number',
  }),
  refresh: recordSchema<RefreshRecord>('refresh token', {
    grant_id: 'string',
    client_id: 'string',
    access_key: 'string',
    created_at: 'number',
    expires_at: 'number',
  }),
  used: recordSchema<UsedRefreshRecord>('used refresh token', {
    grant_id: 'string',
    client_id: 'string',
    rotated_at: 'number',
  }),
  jti: recordSchema<JtiRecord>('JWT id mapping', {
    jti: 'string',
    upstream_token_id: 'string',
    created_at: 'number',
  }),
  upstream: recordSchema<UpstreamRecord>('upstream tokens', { sealed: 'string?', tokens: 'object?' }),
} as const;
