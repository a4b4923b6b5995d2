/**
 * Client side: an MCP client's OAuth state (registration, tokens, PKCE verifier, discovery) kept in
 * any oauth-kv store, so the client keeps its login across restarts.
 * @module
 */
import type {
  AddClientAuthentication,
  OAuthClientProvider,
  OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue } from '../contract.js';
import {
  type ClientProviderCoreOptions,
  ClientStorageBase,
  type ClientStorageCoreOptions,
  RedirectPlumbing,
} from './mcp-client-core.js';
import {
  type ClientAssertionAlgorithm,
  type ClientAuthenticationMethod,
  type ClientCredentialsCoreOptions,
  ClientCredentialsProviderBase,
} from './mcp-client-m2m.js';
import { ClientRecords, type CredentialScope } from './mcp-client-records.js';

export {
  type CredentialScope,
  OAUTH_CLIENT_COLLECTIONS,
  type OAuthClientCollections,
} from './mcp-client-records.js';
export type { ClientAssertionAlgorithm, ClientAuthenticationMethod };

/**
 * Options of {@link OAuthClientStorage}.
 *
 * @example
 * ```ts
 * new OAuthClientStorage(store, 'https://mcp.example.com/mcp', { session: 'user-42', codeVerifierTtl: 300 });
 * ```
 */
export interface OAuthClientStorageOptions extends ClientStorageCoreOptions {}

/**
 * The persistent half of the MCP SDK's `OAuthClientProvider` for one MCP server: tokens, client
 * registration, PKCE code verifier (short-lived) and discovery state, keyed by the server URL.
 * Everything `save*` receives is stored unchanged (including the SDK's `issuer` stamp) and read
 * back as saved. Use it from your own provider, or use {@link PersistentOAuthClientProvider}.
 *
 * @example
 * ```ts
 * import { OAuthClientStorage } from 'oauth-kv/mcp';
 *
 * const storage = new OAuthClientStorage(store, 'https://mcp.example.com/mcp');
 * const tokens = await storage.tokens(); // undefined before the first login
 * ```
 */
export class OAuthClientStorage extends ClientStorageBase<OAuthDiscoveryState> {
  constructor(store: AsyncKeyValue, serverUrl: string | URL, options: OAuthClientStorageOptions = {}) {
    super(new ClientRecords(store, serverUrl, options));
  }

  /**
   * The saved tokens, or `undefined`.
   *
   * @example
   * ```ts
   * const tokens = await storage.tokens();
   * ```
   */
  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.records.read('tokens', undefined)) as OAuthTokens | undefined;
  }

  /**
   * Saves tokens, replacing earlier ones. This ends an authorization in progress: its discovery
   * state is dropped, so the next authorization follows the server's current metadata.
   *
   * @example
   * ```ts
   * await storage.saveTokens(tokens);
   * ```
   */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.records.write('tokens', tokens, undefined);
  }

  /**
   * The saved client registration, or `undefined`.
   *
   * @example
   * ```ts
   * const info = await storage.clientInformation();
   * console.log(info?.client_id);
   * ```
   */
  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    return (await this.records.read('clientInformation', undefined)) as
      | OAuthClientInformationMixed
      | undefined;
  }

  /**
   * Saves the client registration.
   *
   * @example
   * ```ts
   * await storage.saveClientInformation(info);
   * ```
   */
  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    await this.records.write('clientInformation', info, undefined);
  }
}

/**
 * Options of {@link PersistentOAuthClientProvider}.
 *
 * @example
 * ```ts
 * const options: PersistentOAuthClientProviderOptions = {
 *   store, serverUrl: 'https://mcp.example.com/mcp',
 *   clientMetadata: { client_name: 'My agent', redirect_uris: ['http://127.0.0.1:8765/callback'] },
 *   redirectUrl: 'http://127.0.0.1:8765/callback',
 *   onRedirect: (url) => console.log(`Open ${url.href} in a browser`),
 * };
 * ```
 */
export interface PersistentOAuthClientProviderOptions
  extends OAuthClientStorageOptions,
    ClientProviderCoreOptions<OAuthClientMetadata> {}

/**
 * A complete MCP SDK `OAuthClientProvider` whose registration, tokens, code verifier and discovery
 * state persist in an oauth-kv store: restart the client and it reuses its registration and
 * tokens instead of registering and logging in again.
 *
 * @example
 * ```ts
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { PersistentOAuthClientProvider } from 'oauth-kv/mcp';
 *
 * const authProvider = new PersistentOAuthClientProvider({
 *   store, serverUrl, redirectUrl, onRedirect: (url) => console.log(`Open ${url}`),
 *   clientMetadata: { client_name: 'My agent', redirect_uris: [redirectUrl] },
 * });
 * const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
 * ```
 */
export class PersistentOAuthClientProvider implements OAuthClientProvider {
  /** The storage behind this provider (for inspection or manual logout). */
  readonly storage: OAuthClientStorage;
  /** SEP-991 URL-based client id, when configured. */
  readonly clientMetadataUrl?: string;
  /** The OAuth `state` parameter source, when configured. */
  readonly state?: () => string | Promise<string>;
  readonly #plumbing: RedirectPlumbing<OAuthClientMetadata>;

  constructor(options: PersistentOAuthClientProviderOptions) {
    this.storage = new OAuthClientStorage(options.store, options.serverUrl, options);
    this.#plumbing = new RedirectPlumbing(options);
    this.#plumbing.expose(this);
  }

  /** The redirect URI given in the options. */
  get redirectUrl(): string | URL | undefined {
    return this.#plumbing.redirectUrl;
  }

  /** The client metadata given in the options. */
  get clientMetadata(): OAuthClientMetadata {
    return this.#plumbing.clientMetadata;
  }

  /** {@inheritDoc OAuthClientStorage.clientInformation} */
  clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    return this.storage.clientInformation();
  }
  /** {@inheritDoc OAuthClientStorage.saveClientInformation} */
  saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    return this.storage.saveClientInformation(info);
  }
  /** {@inheritDoc OAuthClientStorage.tokens} */
  tokens(): Promise<OAuthTokens | undefined> {
    return this.storage.tokens();
  }
  /** {@inheritDoc OAuthClientStorage.saveTokens} */
  saveTokens(tokens: OAuthTokens): Promise<void> {
    return this.storage.saveTokens(tokens);
  }
  /** {@inheritDoc OAuthClientStorage.codeVerifier} */
  codeVerifier(): Promise<string> {
    return this.storage.codeVerifier();
  }
  /** {@inheritDoc OAuthClientStorage.saveCodeVerifier} */
  saveCodeVerifier(codeVerifier: string): Promise<void> {
    return this.storage.saveCodeVerifier(codeVerifier);
  }
  /** {@inheritDoc OAuthClientStorage.discoveryState} */
  discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return this.storage.discoveryState();
  }
  /** {@inheritDoc OAuthClientStorage.saveDiscoveryState} */
  saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    return this.storage.saveDiscoveryState(state);
  }
  /** {@inheritDoc OAuthClientStorage.invalidateCredentials} */
  invalidateCredentials(scope: CredentialScope): Promise<void> {
    return this.storage.invalidateCredentials(scope);
  }
  /** Hands the authorization URL to `onRedirect`. */
  redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    return this.#plumbing.redirect(authorizationUrl);
  }
}

/**
 * Options of {@link PersistentClientCredentialsProvider}: the client id and either a client secret
 * or a private key (`private_key_jwt`), both held in memory only.
 *
 * @example
 * ```ts
 * import type { PersistentClientCredentialsProviderOptions } from 'oauth-kv/mcp';
 * const options: PersistentClientCredentialsProviderOptions = {
 *   store, serverUrl: 'https://mcp.example.com/mcp', clientId: 'reporting-job',
 *   privateKey: process.env.CLIENT_KEY_PEM!, expectedIssuer: 'https://auth.example.com',
 * };
 * ```
 */
export interface PersistentClientCredentialsProviderOptions extends ClientCredentialsCoreOptions {}

/**
 * A machine-to-machine `OAuthClientProvider` for SDK 1.x: the OAuth client-credentials grant, the
 * client authenticated by `client_secret_basic`, `client_secret_post` or `private_key_jwt` (the
 * assertion signed here with node:crypto: no `prepareTokenRequest` or JWT signer to write), and the
 * access token kept encrypted in an oauth-kv store until it expires, so several processes on one
 * store share it and a new one is fetched when it has expired or the server refuses it.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { PersistentClientCredentialsProvider } from 'oauth-kv/mcp';
 *
 * const authProvider = new PersistentClientCredentialsProvider({
 *   store, serverUrl, clientId: 'reporting-job', clientSecret: process.env.CLIENT_SECRET!,
 *   expectedIssuer: 'https://auth.example.com',
 * });
 * await new Client({ name: 'job', version: '1.0.0' }).connect(
 *   new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider }));
 * ```
 */
export class PersistentClientCredentialsProvider
  extends ClientCredentialsProviderBase<PersistentClientCredentialsProviderOptions>
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
  clientInformation(): OAuthClientInformationMixed {
    return this.core.clientInformation();
  }
  /** The stored access token, shared by every process on the store, or `undefined` once expired. */
  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.core.tokens(undefined)) as OAuthTokens | undefined;
  }
  /** Stores the token until it expires. */
  saveTokens(tokens: OAuthTokens): Promise<void> {
    return this.core.saveTokens(tokens, undefined);
  }
}
