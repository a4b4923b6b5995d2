/**
 * The SDK-independent core of the MCP client side, shared by the 1.x (`oauth-kv/mcp`) and 2.x
 * (`oauth-kv/mcp-v2`) adapters: the options every storage and provider takes, the redirect and
 * registration plumbing of an `OAuthClientProvider` (redirect URI, client metadata, `state`,
 * Client ID Metadata Document URL, `redirectToAuthorization`), the members both storages share, and
 * the check that a store holding client secrets encrypts. Each adapter only adds its own SDK's types. Internal.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { deriveStoreSecrets } from '../secrets.js';
import type {
  ClientRecords,
  ClientRecordsOptions,
  CredentialScope,
  OAuthClientCollections,
} from './mcp-client-records.js';

/** The storage options of both SDK lines. */
export interface ClientStorageCoreOptions extends ClientRecordsOptions {
  /**
   * Separates several logins to the same server kept in one store (one per user of a multi-user
   * app). Default: one login per server URL.
   */
  session?: string | undefined;
  /** Lifetime in seconds of the PKCE code verifier and discovery state of an authorization in progress (default 600). */
  codeVerifierTtl?: number | undefined;
  /** Collection names to use instead of `OAUTH_CLIENT_COLLECTIONS`. */
  collections?: Partial<OAuthClientCollections> | undefined;
}

/** The provider options of both SDK lines, generic over the SDK's client metadata type. */
export interface ClientProviderCoreOptions<Metadata> extends ClientStorageCoreOptions {
  /** Where the OAuth state lives (wrap it with `withEncryption`). */
  store: AsyncKeyValue;
  /** The MCP server URL: the key of everything stored. */
  serverUrl: string | URL;
  /** Metadata sent with Dynamic Client Registration (and published at `clientMetadataUrl`). */
  clientMetadata: Metadata;
  /** The redirect URI of the authorization; `undefined` for non-interactive grants. */
  redirectUrl: string | URL | undefined;
  /**
   * Sends the user to the authorization page (open a browser, print the URL, or follow it
   * programmatically in tests). Once the user is redirected back with `?code=`, call the
   * transport's `finishAuth` and connect again.
   */
  onRedirect: (authorizationUrl: URL) => void | Promise<void>;
  /** Makes the OAuth `state` parameter (verify it on your callback). Default: none sent. */
  state?: (() => string | Promise<string>) | undefined;
  /** Client ID Metadata Document URL (SEP-991: an https URL with a path), used where the server supports it. */
  clientMetadataUrl?: string | undefined;
}

/** The redirect and registration half of a provider, as the SDKs read it (same members in 1.x and 2.x). */
export class RedirectPlumbing<Metadata> {
  readonly clientMetadata: Metadata;
  readonly redirectUrl: string | URL | undefined;
  readonly state: (() => string | Promise<string>) | undefined;
  readonly clientMetadataUrl: string | undefined;
  readonly #onRedirect: (authorizationUrl: URL) => void | Promise<void>;

  constructor(options: ClientProviderCoreOptions<Metadata>) {
    if (typeof options.onRedirect !== 'function') {
      throw new StoreSetupError('The MCP client provider needs an onRedirect function');
    }
    this.clientMetadata = options.clientMetadata;
    this.redirectUrl = options.redirectUrl;
    this.state = options.state;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.#onRedirect = options.onRedirect;
  }

  async redirect(authorizationUrl: URL): Promise<void> {
    await this.#onRedirect(authorizationUrl);
  }

  /** Copies the optional members the SDK probes with `provider.x !== undefined` onto `target`. */
  expose(target: { clientMetadataUrl?: string; state?: () => string | Promise<string> }): void {
    if (this.clientMetadataUrl !== undefined) target.clientMetadataUrl = this.clientMetadataUrl;
    if (this.state !== undefined) target.state = this.state;
  }
}

/**
 * Refuses a store stack without encryption for state holding tokens or client secrets, unless
 * `allowUnprotectedSecrets` is `true`.
 */
export function requireProtectedStore(
  store: AsyncKeyValue,
  allowUnprotectedSecrets: unknown,
  what: string,
): void {
  if (allowUnprotectedSecrets !== undefined && typeof allowUnprotectedSecrets !== 'boolean') {
    throw new StoreSetupError('allowUnprotectedSecrets must be a boolean');
  }
  if (allowUnprotectedSecrets !== true && deriveStoreSecrets(store, 'mcp-client') === undefined) {
    throw new StoreSetupError(`${what}: wrap the store with withEncryption, or set allowUnprotectedSecrets`);
  }
}

/**
 * The members the 1.x and 2.x client storages share (key, PKCE verifier, discovery state,
 * invalidation), over the records of one server; `Discovery` is the SDK's discovery state type.
 * Each adapter adds tokens and registrations typed with its own SDK's types.
 */
export abstract class ClientStorageBase<Discovery extends object> {
  readonly #records: ClientRecords;

  constructor(records: ClientRecords) {
    this.#records = records;
  }

  /** @internal The records of this server (and session), for the adapter's typed members. */
  protected get records(): ClientRecords {
    return this.#records;
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
    return this.records.key;
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
    return this.records.codeVerifier();
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
    return this.records.saveCodeVerifier(codeVerifier);
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
  async discoveryState(): Promise<Discovery | undefined> {
    return (await this.records.discoveryState()) as Discovery | undefined;
  }

  /**
   * Saves the discovery state, with the code verifier's lifetime.
   *
   * @example
   * ```ts
   * await storage.saveDiscoveryState(state);
   * ```
   */
  async saveDiscoveryState(state: Discovery): Promise<void> {
    await this.records.saveDiscoveryState(state);
  }

  /**
   * Forgets credentials the server said are no longer valid (the SDK calls this with `'all'` on
   * `invalid_client` and `'tokens'` on `invalid_grant`): in 2.x, those of the latest set and of the
   * authorization server last used (other servers' sets stay).
   *
   * @example
   * ```ts
   * await storage.invalidateCredentials('tokens'); // log out, keep the registration
   * ```
   */
  invalidateCredentials(scope: CredentialScope): Promise<void> {
    return this.records.invalidate(scope);
  }
}
