/**
 * Client side: an MCP client's OAuth state (registration, tokens, PKCE verifier, discovery) kept in
 * any oauth-kv store, so the client keeps its login across restarts.
 * @module
 */
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue } from '../contract.js';
import {
  type ClientProviderCoreOptions,
  type ClientStorageCoreOptions,
  RedirectPlumbing,
} from './mcp-client-core.js';
import { ClientRecords, type CredentialScope } from './mcp-client-records.js';

export {
  type CredentialScope,
  OAUTH_CLIENT_COLLECTIONS,
  type OAuthClientCollections,
} from './mcp-client-records.js';

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
export class OAuthClientStorage {
  readonly #records: ClientRecords;

  constructor(store: AsyncKeyValue, serverUrl: string | URL, options: OAuthClientStorageOptions = {}) {
    this.#records = new ClientRecords(store, serverUrl, options);
  }

  /**
   * The key all records of this server (and session) are stored under.
   *
   * @example
   * ```ts
   * console.log(storage.key); // "https://mcp.example.com/mcp"
   * ```
   */
  get key(): string {
    return this.#records.key;
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
    return (await this.#records.read('tokens', undefined)) as OAuthTokens | undefined;
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
    await this.#records.write('tokens', tokens, undefined);
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
    return (await this.#records.read('clientInformation', undefined)) as
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
    await this.#records.write('clientInformation', info, undefined);
  }

  /**
   * The saved PKCE code verifier. Throws when none is saved (expired, or never started), as the
   * SDK expects.
   *
   * @example
   * ```ts
   * const verifier = await storage.codeVerifier();
   * ```
   */
  codeVerifier(): Promise<string> {
    return this.#records.codeVerifier();
  }

  /**
   * Saves the PKCE code verifier of an authorization in progress, with a short lifetime.
   *
   * @example
   * ```ts
   * await storage.saveCodeVerifier(verifier);
   * ```
   */
  saveCodeVerifier(codeVerifier: string): Promise<void> {
    return this.#records.saveCodeVerifier(codeVerifier);
  }

  /**
   * The discovery state of an authorization in progress, or `undefined`: it lives as long as the
   * code verifier and ends when tokens are saved, so a server that moves to another
   * authorization server is followed (in the same process and after a restart).
   *
   * @example
   * ```ts
   * const state = await storage.discoveryState();
   * console.log(state?.authorizationServerUrl);
   * ```
   */
  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.#records.discoveryState()) as OAuthDiscoveryState | undefined;
  }

  /**
   * Saves the discovery state, with the code verifier's lifetime.
   *
   * @example
   * ```ts
   * await storage.saveDiscoveryState(state);
   * ```
   */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.#records.saveDiscoveryState(state);
  }

  /**
   * Forgets credentials the server said are no longer valid (the SDK calls this with `'all'` on
   * `invalid_client` and `'tokens'` on `invalid_grant`).
   *
   * @example
   * ```ts
   * await storage.invalidateCredentials('tokens'); // log out, keep the registration
   * ```
   */
  invalidateCredentials(scope: CredentialScope): Promise<void> {
    return this.#records.invalidate(scope);
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
