/**
 * `oauth-kv/mcp-v2`: durable OAuth state for the MCP TypeScript SDK 2.x
 * (`@modelcontextprotocol/client`). {@link McpOAuthClientProvider} is a complete
 * `OAuthClientProvider` keeping tokens and registrations per authorization server;
 * {@link McpClientStorage} is its storage half for your own provider. Nothing of the SDK is loaded
 * at run time (types only). For SDK 1.x use `oauth-kv/mcp`. See `docs/mcp.md`.
 *
 * @example
 * ```ts
 * import { McpOAuthClientProvider } from 'oauth-kv/mcp-v2';
 * import { withEncryption } from 'oauth-kv';
 * import { FileStore } from 'oauth-kv/file';
 *
 * const store = withEncryption(new FileStore({ directory: './oauth-client' }), { keys: [process.env.OAUTH_KV_KEY!] });
 * const authProvider = new McpOAuthClientProvider({
 *   store, serverUrl: 'https://mcp.example.com/mcp', redirectUrl: 'http://127.0.0.1:8765/callback',
 *   clientMetadata: { client_name: 'My agent', redirect_uris: ['http://127.0.0.1:8765/callback'] },
 *   onRedirect: (url) => console.log(`Open ${url}`),
 * });
 * ```
 * @module
 */
export {
  type CredentialScope,
  OAUTH_CLIENT_COLLECTIONS,
  type OAuthClientCollections,
} from './mcp-client-records.js';
export {
  type ClientAssertionAlgorithm,
  type ClientAuthenticationMethod,
  McpClientCredentialsProvider,
  type McpClientCredentialsProviderOptions,
  McpClientStorage,
  type McpClientStorageOptions,
  McpOAuthClientProvider,
  type McpOAuthClientProviderOptions,
} from './mcp-client-v2.js';
export { createMcpLogin, type LoginTransport, McpLogin, type McpLoginOptions } from './mcp-login-v2.js';
export { McpResponseCacheStore, type McpResponseCacheStoreOptions } from './mcp-response-cache.js';
export {
  CachedTokenVerifier,
  type CachedTokenVerifierOptions,
  type VerifiedToken,
} from './token-verifier.js';
