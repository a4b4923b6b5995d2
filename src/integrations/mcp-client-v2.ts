/**
 * Client side for the MCP TypeScript SDK 2.x (`@modelcontextprotocol/client`): an
 * `OAuthClientProvider` whose tokens and client registration are kept per authorization server
 * (the SDK's `ctx.issuer`), with the PKCE verifier and discovery state of an authorization in
 * progress, in any oauth-kv store.
 * @module
 */
import type {
  AddClientAuthentication,
  OAuthClientInformationContext,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import type { AsyncKeyValue } from '../contract.js';
import {
  type ClientProviderCoreOptions,
  ClientStorageBase,
  type ClientStorageCoreOptions,
  RedirectPlumbing,
  requireProtectedStore,
} from './mcp-client-core.js';
import {
  type ClientAssertionAlgorithm,
  type ClientAuthenticationMethod,
  type ClientCredentialsCoreOptions,
  ClientCredentialsProviderBase,
} from './mcp-client-m2m.js';
import { ClientRecords } from './mcp-client-records.js';

export type { ClientAssertionAlgorithm, ClientAuthenticationMethod };

/**
 * Options of {@link McpClientStorage}.
 *
 * @example
 * ```ts
 * import type { McpClientStorageOptions } from 'oauth-kv/mcp-v2';
 * const options: McpClientStorageOptions = { session: 'user-42', codeVerifierTtl: 300 };
 * ```
 */
export interface McpClientStorageOptions extends ClientStorageCoreOptions {
  /**
   * Accept a store stack without encryption (`withEncryption`). Tokens, client secrets and the
   * PKCE verifier are then readable by whoever reads the store. Default `false`: such a store is
   * refused with `StoreSetupError`. Only for development or a store nobody else can read.
   */
  allowUnprotectedSecrets?: boolean | undefined;
}

/**
 * The persistent half of the 2.x SDK's `OAuthClientProvider` for one MCP server. Tokens and the
 * client registration are kept for each authorization server the SDK names (`ctx.issuer`) and as
 * the latest set (what the SDK reads without `ctx` for each request); the PKCE code verifier and
 * the discovery state live only while an authorization is in progress (their lifetime, ended by
 * saving tokens), so a server that moves to another authorization server is followed. The store
 * stack must encrypt (`withEncryption`) unless `allowUnprotectedSecrets` is set.
 *
 * @example
 * ```ts
 * import { McpClientStorage } from 'oauth-kv/mcp-v2';
 *
 * const storage = new McpClientStorage(store, 'https://mcp.example.com/mcp');
 * const tokens = await storage.tokens({ issuer: 'https://auth.example.com' }); // undefined before the first login
 * ```
 */
export class McpClientStorage extends ClientStorageBase<OAuthDiscoveryState> {
  constructor(store: AsyncKeyValue, serverUrl: string | URL, options: McpClientStorageOptions = {}) {
    requireProtectedStore(
      store,
      options.allowUnprotectedSecrets,
      'The MCP client storage keeps tokens and client secrets',
    );
    super(new ClientRecords(store, serverUrl, options, true));
  }

  /**
   * The tokens saved for `ctx.issuer`, or without `ctx` the most recently saved tokens.
   *
   * @example
   * ```ts
   * const tokens = await storage.tokens({ issuer: 'https://auth.example.com' });
   * ```
   */
  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    return (await this.records.read('tokens', ctx?.issuer)) as StoredOAuthTokens | undefined;
  }

  /**
   * Saves tokens for `ctx.issuer` (or the tokens' own `issuer` stamp) and as the latest set; ends
   * the authorization in progress (its discovery state is dropped).
   *
   * @example
   * ```ts
   * await storage.saveTokens(tokens, { issuer: 'https://auth.example.com' });
   * ```
   */
  async saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext): Promise<void> {
    await this.records.write('tokens', tokens, ctx?.issuer);
  }

  /**
   * The client registration for `ctx.issuer`, or without `ctx` the latest one. A registration
   * saved without `ctx` (a pre-registered client) is taken by the first authorization server asked
   * for that has none of its own, and from then on kept for that server only.
   *
   * @example
   * ```ts
   * const info = await storage.clientInformation({ issuer: 'https://auth.example.com' });
   * ```
   */
  async clientInformation(
    ctx?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    return (await this.records.read('clientInformation', ctx?.issuer)) as
      | StoredOAuthClientInformation
      | undefined;
  }

  /**
   * Saves the client registration for `ctx.issuer` (or its `issuer` stamp) and as the latest one.
   * Without either (a pre-registered client), the first authorization server the SDK asks for
   * without a registration of its own takes it.
   *
   * @example
   * ```ts
   * await storage.saveClientInformation(info, { issuer: 'https://auth.example.com' });
   * await storage.saveClientInformation({ client_id: 'pre-registered', client_secret: 's3cret' }); // pre-registered
   * ```
   */
  async saveClientInformation(
    info: StoredOAuthClientInformation,
    ctx?: OAuthClientInformationContext,
  ): Promise<void> {
    await this.records.write('clientInformation', info, ctx?.issuer);
  }

  /**
   * The resource URL the SDK saved after discovery (Cross-App Access reads it), or `undefined`.
   *
   * @example
   * ```ts
   * const resource = await storage.resourceUrl();
   * ```
   */
  resourceUrl(): Promise<string | undefined> {
    return this.records.context('resource_url');
  }

  /**
   * Saves the resource URL.
   *
   * @example
   * ```ts
   * await storage.saveResourceUrl('https://mcp.example.com/mcp');
   * ```
   */
  saveResourceUrl(resourceUrl: string): Promise<void> {
    return this.records.saveContext('resource_url', resourceUrl);
  }

  /**
   * The authorization server's issuer the SDK saved last (deprecated in the SDK, kept for
   * providers that read it), or `undefined`.
   *
   * @example
   * ```ts
   * const issuer = await storage.authorizationServerUrl();
   * ```
   */
  authorizationServerUrl(): Promise<string | undefined> {
    return this.records.context('authorization_server_url');
  }

  /**
   * Saves the authorization server's issuer.
   *
   * @example
   * ```ts
   * await storage.saveAuthorizationServerUrl('https://auth.example.com');
   * ```
   */
  saveAuthorizationServerUrl(url: string): Promise<void> {
    return this.records.saveContext('authorization_server_url', url);
  }
}

/**
 * Options of {@link McpOAuthClientProvider}.
 *
 * @example
 * ```ts
 * import type { McpOAuthClientProviderOptions } from 'oauth-kv/mcp-v2';
 * const options: McpOAuthClientProviderOptions = {
 *   store, serverUrl: 'https://mcp.example.com/mcp',
 *   clientMetadata: { client_name: 'My agent', redirect_uris: ['http://127.0.0.1:8765/callback'] },
 *   redirectUrl: 'http://127.0.0.1:8765/callback',
 *   onRedirect: (url) => console.log(`Open ${url}`),
 * };
 * ```
 */
export interface McpOAuthClientProviderOptions
  extends McpClientStorageOptions,
    ClientProviderCoreOptions<OAuthClientMetadata> {}

/**
 * A complete 2.x `OAuthClientProvider` whose registrations, tokens (per authorization server),
 * code verifier and discovery state persist in an oauth-kv store: restart the client, or run
 * several processes on one store, and they reuse the login.
 *
 * @example
 * ```ts
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
 * import { McpOAuthClientProvider } from 'oauth-kv/mcp-v2';
 *
 * const authProvider = new McpOAuthClientProvider({
 *   store, serverUrl, redirectUrl, onRedirect: (url) => console.log(`Open ${url}`),
 *   clientMetadata: { client_name: 'My agent', redirect_uris: [redirectUrl] },
 * });
 * const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
 * ```
 */
export class McpOAuthClientProvider extends McpClientStorage implements OAuthClientProvider {
  /** Client ID Metadata Document URL, when configured. */
  readonly clientMetadataUrl?: string;
  /** The OAuth `state` parameter source, when configured. */
  readonly state?: () => string | Promise<string>;
  readonly #plumbing: RedirectPlumbing<OAuthClientMetadata>;

  constructor(options: McpOAuthClientProviderOptions) {
    super(options.store, options.serverUrl, options);
    this.#plumbing = new RedirectPlumbing(options);
    this.#plumbing.expose(this);
  }

  /**
   * The redirect URI given in the options.
   *
   * @example
   * ```ts
   * console.log(authProvider.redirectUrl);
   * ```
   */
  get redirectUrl(): string | URL | undefined {
    return this.#plumbing.redirectUrl;
  }

  /**
   * The client metadata given in the options.
   *
   * @example
   * ```ts
   * console.log(authProvider.clientMetadata.client_name);
   * ```
   */
  get clientMetadata(): OAuthClientMetadata {
    return this.#plumbing.clientMetadata;
  }

  /**
   * Hands the authorization URL to `onRedirect`.
   *
   * @example
   * ```ts
   * await authProvider.redirectToAuthorization(new URL('https://auth.example.com/authorize?...'));
   * ```
   */
  redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    return this.#plumbing.redirect(authorizationUrl);
  }
}

/**
 * Options of {@link McpClientCredentialsProvider}: the client id and either a client secret or a
 * private key (`private_key_jwt`), both held in memory only.
 *
 * @example
 * ```ts
 * import type { McpClientCredentialsProviderOptions } from 'oauth-kv/mcp-v2';
 * const options: McpClientCredentialsProviderOptions = {
 *   store, serverUrl: 'https://mcp.example.com/mcp', clientId: 'reporting-job',
 *   privateKey: process.env.CLIENT_KEY_PEM!, expectedIssuer: 'https://auth.example.com',
 * };
 * ```
 */
export interface McpClientCredentialsProviderOptions extends ClientCredentialsCoreOptions {}

/**
 * A machine-to-machine `OAuthClientProvider` for SDK 2.x: the OAuth client-credentials grant, the
 * client authenticated by `client_secret_basic`, `client_secret_post` or `private_key_jwt` (the
 * assertion signed here with node:crypto), and the access token kept encrypted in an oauth-kv
 * store per authorization server until it expires, so several processes on one store share it and
 * a new one is fetched when it has expired or the server refuses it.
 *
 * @example
 * ```ts
 * import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
 * import { McpClientCredentialsProvider } from 'oauth-kv/mcp-v2';
 *
 * const authProvider = new McpClientCredentialsProvider({
 *   store, serverUrl, clientId: 'reporting-job', privateKey: process.env.CLIENT_KEY_PEM!,
 *   expectedIssuer: 'https://auth.example.com',
 * });
 * await new Client({ name: 'job', version: '1.0.0' }).connect(
 *   new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider }));
 * ```
 */
export class McpClientCredentialsProvider
  extends ClientCredentialsProviderBase<McpClientCredentialsProviderOptions>
  implements OAuthClientProvider
{
  /** Authenticates the client at the token endpoint (the SDK calls it). */
  readonly addClientAuthentication: AddClientAuthentication = (headers, params, url, metadata) =>
    this.core.addClientAuthentication(headers, params, url, metadata);

  /** The client metadata (grant `client_credentials`, the configured scope and method). */
  get clientMetadata(): OAuthClientMetadata {
    return this.core.metadata();
  }
  /** The configured client (never stored). */
  clientInformation(): StoredOAuthClientInformation {
    return this.core.clientInformation();
  }
  /** The access token stored for `ctx.issuer` (without `ctx`, the latest), or `undefined` once expired. */
  async tokens(ctx?: OAuthClientInformationContext): Promise<StoredOAuthTokens | undefined> {
    return (await this.core.tokens(ctx?.issuer)) as StoredOAuthTokens | undefined;
  }
  /** Stores the token, for `ctx.issuer` and as the latest, until it expires. */
  saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext): Promise<void> {
    return this.core.saveTokens(tokens, ctx?.issuer);
  }
}
