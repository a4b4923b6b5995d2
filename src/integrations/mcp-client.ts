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
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DeserializationError, InvalidKeyError } from '../errors.js';
import { validateTtl } from '../validation.js';
import { dropUndefined } from './mcp-json.js';

/**
 * The collections an {@link OAuthClientStorage} uses, each keyed by the MCP server URL.
 *
 * @example
 * ```ts
 * new OAuthClientStorage(store, serverUrl, { collections: { tokens: 'my-app-tokens' } });
 * ```
 */
export interface OAuthClientCollections {
  /** Tokens (default `"mcp-client-tokens"`). */
  tokens: string;
  /** Client registration (default `"mcp-client-registrations"`). */
  clientInformation: string;
  /** PKCE code verifier of an authorization in progress (default `"mcp-client-code-verifiers"`). */
  codeVerifier: string;
  /** Discovery results (default `"mcp-client-discovery"`). */
  discovery: string;
}

/**
 * The default collections of {@link OAuthClientStorage}.
 *
 * @example
 * ```ts
 * import { OAUTH_CLIENT_COLLECTIONS } from 'oauth-kv/mcp';
 * console.log(OAUTH_CLIENT_COLLECTIONS.tokens); // "mcp-client-tokens"
 * ```
 */
export const OAUTH_CLIENT_COLLECTIONS: Readonly<OAuthClientCollections> = Object.freeze({
  tokens: 'mcp-client-tokens',
  clientInformation: 'mcp-client-registrations',
  codeVerifier: 'mcp-client-code-verifiers',
  discovery: 'mcp-client-discovery',
});

/**
 * Options of {@link OAuthClientStorage}.
 *
 * @example
 * ```ts
 * new OAuthClientStorage(store, 'https://mcp.example.com/mcp', { session: 'user-42', codeVerifierTtl: 300 });
 * ```
 */
export interface OAuthClientStorageOptions {
  /**
   * Separates several logins to the same server kept in one store (one per user of a multi-user
   * app). Default: one login per server URL.
   */
  session?: string | undefined;
  /** Lifetime of a saved PKCE code verifier in seconds (default 600). */
  codeVerifierTtl?: number | undefined;
  /** Collection names to use instead of {@link OAUTH_CLIENT_COLLECTIONS}. */
  collections?: Partial<OAuthClientCollections> | undefined;
}

/**
 * What {@link OAuthClientStorage.invalidateCredentials} may forget (the SDK's scopes).
 *
 * @example
 * ```ts
 * import type { CredentialScope } from 'oauth-kv/mcp';
 * const scope: CredentialScope = 'tokens'; // forget tokens, keep the registration
 * await new OAuthClientStorage(store, serverUrl).invalidateCredentials(scope);
 * ```
 */
export type CredentialScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';

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
  readonly #store: AsyncKeyValue;
  readonly #key: string;
  readonly #verifierTtl: number;
  readonly #c: Readonly<OAuthClientCollections>;

  constructor(store: AsyncKeyValue, serverUrl: string | URL, options: OAuthClientStorageOptions = {}) {
    let url: URL;
    try {
      url = new URL(serverUrl);
    } catch {
      throw new InvalidKeyError('The MCP server URL is not a valid absolute URL');
    }
    url.hash = '';
    this.#key = options.session === undefined ? url.href : JSON.stringify([url.href, options.session]);
    const ttl = options.codeVerifierTtl ?? 600;
    validateTtl(ttl);
    this.#verifierTtl = ttl;
    const given = Object.entries(options.collections ?? {}).filter(([, v]) => v !== undefined);
    this.#c = Object.freeze({ ...OAUTH_CLIENT_COLLECTIONS, ...Object.fromEntries(given) });
    this.#store = store;
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
    return this.#key;
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
    const value = await this.#get('tokens');
    if (value !== undefined && typeof value.access_token !== 'string') {
      throw new DeserializationError('The stored MCP client tokens have no access_token');
    }
    return value as OAuthTokens | undefined;
  }

  /**
   * Saves tokens, replacing earlier ones.
   *
   * @example
   * ```ts
   * await storage.saveTokens(tokens);
   * ```
   */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.#store.put(this.#key, dropUndefined(tokens), { collection: this.#c.tokens });
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
    const value = await this.#get('clientInformation');
    if (value !== undefined && typeof value.client_id !== 'string') {
      throw new DeserializationError('The stored MCP client registration has no client_id');
    }
    return value as OAuthClientInformationMixed | undefined;
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
    await this.#store.put(this.#key, dropUndefined(info), { collection: this.#c.clientInformation });
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
  async codeVerifier(): Promise<string> {
    const value = await this.#get('codeVerifier');
    const verifier = value?.code_verifier;
    if (typeof verifier !== 'string') {
      throw new Error('No PKCE code verifier is saved for this MCP server (expired or never started)');
    }
    return verifier;
  }

  /**
   * Saves the PKCE code verifier of an authorization in progress, with a short lifetime.
   *
   * @example
   * ```ts
   * await storage.saveCodeVerifier(verifier);
   * ```
   */
  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#store.put(
      this.#key,
      { code_verifier: codeVerifier },
      { collection: this.#c.codeVerifier, ttl: this.#verifierTtl },
    );
  }

  /**
   * The saved discovery state, or `undefined`.
   *
   * @example
   * ```ts
   * const state = await storage.discoveryState();
   * console.log(state?.authorizationServerUrl);
   * ```
   */
  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    const value = await this.#get('discovery');
    if (value !== undefined && typeof value.authorizationServerUrl !== 'string') {
      throw new DeserializationError('The stored MCP discovery state has no authorizationServerUrl');
    }
    return value as OAuthDiscoveryState | undefined;
  }

  /**
   * Saves the discovery state.
   *
   * @example
   * ```ts
   * await storage.saveDiscoveryState(state);
   * ```
   */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.#store.put(this.#key, dropUndefined(state), { collection: this.#c.discovery });
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
  async invalidateCredentials(scope: CredentialScope): Promise<void> {
    const which: (keyof OAuthClientCollections)[] =
      scope === 'all'
        ? ['tokens', 'clientInformation', 'codeVerifier', 'discovery']
        : scope === 'client'
          ? ['clientInformation']
          : scope === 'tokens'
            ? ['tokens']
            : scope === 'verifier'
              ? ['codeVerifier']
              : scope === 'discovery'
                ? ['discovery']
                : [];
    if (which.length === 0) throw new InvalidKeyError('Unknown credential scope');
    await Promise.all(which.map((name) => this.#store.delete(this.#key, { collection: this.#c[name] })));
  }

  #get(name: keyof OAuthClientCollections): Promise<JsonObject | undefined> {
    return this.#store.get(this.#key, { collection: this.#c[name] });
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
export interface PersistentOAuthClientProviderOptions extends OAuthClientStorageOptions {
  /** Where the OAuth state lives (wrap it with `withEncryption`). */
  store: AsyncKeyValue;
  /** The MCP server URL: the key of everything stored. */
  serverUrl: string | URL;
  /** Metadata sent with Dynamic Client Registration. */
  clientMetadata: OAuthClientMetadata;
  /** The redirect URI of the authorization; `undefined` for non-interactive grants. */
  redirectUrl: string | URL | undefined;
  /**
   * Sends the user to the authorization page (open a browser, print the URL, or follow it
   * programmatically in tests). Once the user is redirected back with `?code=`, call the
   * transport's `finishAuth(code)` and connect again.
   */
  onRedirect: (authorizationUrl: URL) => void | Promise<void>;
  /** Makes the OAuth `state` parameter (verify it on your callback). Default: none sent. */
  state?: (() => string | Promise<string>) | undefined;
  /** SEP-991 URL-based client id (an HTTPS URL of your client metadata document). */
  clientMetadataUrl?: string | undefined;
}

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
  readonly #metadata: OAuthClientMetadata;
  readonly #redirectUrl: string | URL | undefined;
  readonly #onRedirect: (authorizationUrl: URL) => void | Promise<void>;

  constructor(options: PersistentOAuthClientProviderOptions) {
    this.storage = new OAuthClientStorage(options.store, options.serverUrl, options);
    this.#metadata = options.clientMetadata;
    this.#redirectUrl = options.redirectUrl;
    this.#onRedirect = options.onRedirect;
    if (options.clientMetadataUrl !== undefined) this.clientMetadataUrl = options.clientMetadataUrl;
    if (options.state !== undefined) this.state = options.state;
  }

  /** The redirect URI given in the options. */
  get redirectUrl(): string | URL | undefined {
    return this.#redirectUrl;
  }

  /** The client metadata given in the options. */
  get clientMetadata(): OAuthClientMetadata {
    return this.#metadata;
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
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    await this.#onRedirect(authorizationUrl);
  }
}
