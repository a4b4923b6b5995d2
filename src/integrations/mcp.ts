/**
 * `oauth-kv/mcp`: durable OAuth state for the MCP TypeScript SDK (`@modelcontextprotocol/sdk`).
 *
 * Server side: {@link OAuthClientsStore} (the SDK's `OAuthRegisteredClientsStore`),
 * {@link OAuthStateStore} (codes, hashed tokens, refresh rotation, grants, upstream tokens; FastMCP's
 * collection names) and {@link PersistentOAuthServerProvider} (a ready `OAuthServerProvider`).
 * Client side: {@link PersistentOAuthClientProvider} and {@link OAuthClientStorage} (an
 * `OAuthClientProvider` that keeps its login across restarts). See `docs/mcp.md`.
 *
 * @example
 * ```ts
 * import { FileStore } from 'oauth-kv/file';
 * import { OAuthStateStore, PersistentOAuthServerProvider } from 'oauth-kv/mcp';
 * import { withEncryption } from 'oauth-kv';
 *
 * const store = withEncryption(new FileStore({ directory: './oauth-data' }), { keys: [process.env.OAUTH_KV_KEY!] });
 * const provider = new PersistentOAuthServerProvider({ state: new OAuthStateStore(store), approve: async () => ({ subject: 'me' }) });
 * ```
 * @module
 */

export {
  advertiseClientIdMetadataDocuments,
  ClientMetadataDocuments,
  type ClientMetadataDocumentsOptions,
} from './client-metadata.js';
export {
  type ClientAssertionAlgorithm,
  type ClientAuthenticationMethod,
  type CredentialScope,
  OAUTH_CLIENT_COLLECTIONS,
  type OAuthClientCollections,
  OAuthClientStorage,
  type OAuthClientStorageOptions,
  PersistentClientCredentialsProvider,
  type PersistentClientCredentialsProviderOptions,
  PersistentOAuthClientProvider,
  type PersistentOAuthClientProviderOptions,
} from './mcp-client.js';
export {
  ClientExistsError,
  MCP_CLIENTS_COLLECTION,
  OAuthClientsStore,
  type OAuthClientsStoreOptions,
} from './mcp-clients.js';
export { hashToken } from './mcp-json.js';
export { createMcpLogin, type LoginTransport, McpLogin, type McpLoginOptions } from './mcp-login.js';
export {
  type Approval,
  type ApprovalContext,
  type AuthorizeResponse,
  type OAuthErrorClasses,
  PersistentOAuthServerProvider,
  type PersistentOAuthServerProviderOptions,
} from './mcp-provider.js';
export { OAuthStateStore } from './mcp-state.js';
export {
  OAUTH_STATE_COLLECTIONS,
  OAUTH_STATE_LIFETIMES,
  type OAuthStateCollections,
  type OAuthStateLifetimes,
  type OAuthStateProtection,
  type OAuthStateStoreOptions,
} from './mcp-state-options.js';
export type {
  AccessTokenInfo,
  AuthorizationCodeRecord,
  GrantRecord,
  NewAuthorizationCode,
  PendingTransaction,
  TokenResult,
} from './oauth-records.js';
export type { ProtectionOptions } from './protection.js';
export {
  CachedTokenVerifier,
  type CachedTokenVerifierOptions,
  type VerifiedToken,
} from './token-verifier.js';
