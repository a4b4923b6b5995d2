/**
 * The options, collection names and lifetimes of `OAuthStateStore`.
 * @module
 */
import type { ClientMetadataDocuments } from './client-metadata.js';
import { MCP_CLIENTS_COLLECTION } from './mcp-clients.js';
import type { OAuthStateStore } from './mcp-state.js';
import type { ProtectionOptions } from './protection.js';

/**
 * The collections an {@link OAuthStateStore} uses. The first six carry FastMCP's OAuth proxy names
 * (one store can serve a Python and a TypeScript server side by side); the records themselves are
 * oauth-kv's own shape, and every bearer value (code, token, transaction id) is a key only as its
 * hash (HMAC-SHA-256 under a key-derived secret with encryption, SHA-256 otherwise).
 *
 * @example
 * ```ts
 * const state = new OAuthStateStore(store, { collections: { grants: 'my-grants' } });
 * ```
 */
export interface OAuthStateCollections {
  /** Registered clients, by `client_id` (default `"mcp-oauth-proxy-clients"`). */
  clients: string;
  /** Pending authorizations, by the hash of the transaction id (default `"mcp-oauth-transactions"`). */
  transactions: string;
  /** Authorization codes, by the hash of the code (default `"mcp-authorization-codes"`). */
  codes: string;
  /** Upstream provider tokens of a proxy, sealed, by upstream token id (default `"mcp-upstream-tokens"`). */
  upstreamTokens: string;
  /** JWT id to upstream token id mappings of a proxy (default `"mcp-jti-mappings"`). */
  jtiMappings: string;
  /** Refresh tokens, by the hash of the token (default `"mcp-refresh-tokens"`). */
  refreshTokens: string;
  /**
   * Grants by grant id, and the access tokens issued from them by the hash of the token, side by
   * side so one read checks a token and its grant (default `"mcp-oauth-grants"`).
   */
  grants: string;
  /** Claims of rotated refresh tokens, for `revokeOnRefreshReuse` (default `"mcp-refresh-tokens-used"`). */
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
  grants: 'mcp-oauth-grants',
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
 * Options of {@link OAuthStateStore}: its own, and the {@link ProtectionOptions} every OAuth
 * integration takes (`hashSecret`, `sealSecret`, `bindRecords`, `allowUnprotectedSecrets`,
 * `onRecordRefused`), which also apply to its `clients`.
 *
 * @example
 * ```ts
 * const state = new OAuthStateStore(store, { lifetimes: { accessToken: 600 }, refreshTokens: true });
 * ```
 */
export interface OAuthStateStoreOptions extends ProtectionOptions {
  /** Collection names to use instead of {@link OAUTH_STATE_COLLECTIONS}. */
  collections?: Partial<OAuthStateCollections> | undefined;
  /** Lifetimes to use instead of {@link OAUTH_STATE_LIFETIMES}. */
  lifetimes?: Partial<OAuthStateLifetimes> | undefined;
  /** Lifetime of a client registration in seconds (default: kept until deleted). */
  clientRegistrationTtl?: number | undefined;
  /** Accept https-URL client ids (Client ID Metadata Documents) next to registered clients; see `docs/cimd.md`. */
  clientMetadataDocuments?: ClientMetadataDocuments | undefined;
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
  /** Milliseconds since the epoch (default `Date.now`): timestamps, expiry checks, lifetimes. */
  clock?: (() => number) | undefined;
}

/**
 * How an {@link OAuthStateStore} protects what it stores (see {@link OAuthStateStore.protection}).
 *
 * @example
 * ```ts
 * const { bearerHashing, recordBinding } = state.protection; // "hmac-sha256", true
 * ```
 */
export interface OAuthStateProtection {
  /** How bearer values become keys. */
  bearerHashing: 'hmac-sha256' | 'sha256';
  /** Whether records are bound to their place. */
  recordBinding: boolean;
  /** How client secrets are kept. */
  clientSecrets: 'sealed' | 'plaintext' | 'refused';
  /** How upstream tokens are kept. */
  upstreamTokens: 'sealed' | 'plaintext' | 'refused';
}

/** `value` without its `undefined` members (so they do not override defaults). */
export function definedMembers<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
