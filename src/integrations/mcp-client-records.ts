/**
 * The records behind the MCP client storage of both SDK lines (`oauth-kv/mcp` for
 * `@modelcontextprotocol/sdk` 1.x, `oauth-kv/mcp-v2` for `@modelcontextprotocol/client` 2.x):
 * tokens and client registration (per authorization server when the SDK names one, plus the most
 * recently saved set), the PKCE verifier and the discovery state of an authorization in progress,
 * and the context values 2.x hands over (resource URL, authorization-server URL). Internal: each
 * entry types it with its own SDK's types.
 * @module
 */
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DeserializationError, InvalidKeyError } from '../errors.js';
import { isPlainObject, validateTtl } from '../validation.js';
import { dropUndefined } from './mcp-json.js';

/**
 * The collections the MCP client storage uses, each keyed by the MCP server URL (and, for tokens
 * and registrations saved for a named authorization server, by that server's issuer as well).
 *
 * @example
 * ```ts
 * import { OAuthClientStorage } from 'oauth-kv/mcp';
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
  /** Discovery results of an authorization in progress (default `"mcp-client-discovery"`). */
  discovery: string;
  /** Resource URL and authorization-server URL the 2.x SDK hands over (default `"mcp-client-context"`). */
  context: string;
}

/**
 * The default collections of the MCP client storage.
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
  context: 'mcp-client-context',
});

/**
 * What `invalidateCredentials` may forget (the SDK's scopes).
 *
 * @example
 * ```ts
 * import { type CredentialScope, OAuthClientStorage } from 'oauth-kv/mcp';
 * const scope: CredentialScope = 'tokens'; // forget tokens, keep the registration
 * await new OAuthClientStorage(store, serverUrl).invalidateCredentials(scope);
 * ```
 */
export type CredentialScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';

/** Options the records take (documented on each entry's storage options). */
export interface ClientRecordsOptions {
  session?: string | undefined;
  codeVerifierTtl?: number | undefined;
  collections?: Partial<OAuthClientCollections> | undefined;
}

type Kind = 'tokens' | 'clientInformation';

/** Discovery state is stored wrapped, so a record saved without a lifetime by 0.1 is recognised. */
const DISCOVERY_FIELD = 'discovery_state';

/** Two issuer identifiers name the same server when they differ by one trailing slash (as the SDK compares them). */
function issuerKey(issuer: string): string {
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
}

/** The storage of one MCP server's (and session's) client-side OAuth state. */
export class ClientRecords {
  readonly key: string;
  readonly #store: AsyncKeyValue;
  readonly #verifierTtl: number;
  readonly #c: Readonly<OAuthClientCollections>;
  /** The authorization server this instance last read or wrote credentials for. */
  #issuer: string | undefined;
  /** The SDK names authorization servers (2.x): a registration naming none waits to be claimed. */
  readonly #perServer: boolean;

  constructor(
    store: AsyncKeyValue,
    serverUrl: string | URL,
    options: ClientRecordsOptions,
    perServer = false,
  ) {
    this.#perServer = perServer;
    let url: URL;
    try {
      url = new URL(serverUrl);
    } catch {
      throw new InvalidKeyError('The MCP server URL is not a valid absolute URL');
    }
    url.hash = '';
    this.key = options.session === undefined ? url.href : JSON.stringify([url.href, options.session]);
    const ttl = options.codeVerifierTtl ?? 600;
    validateTtl(ttl);
    this.#verifierTtl = ttl;
    const given = Object.entries(options.collections ?? {}).filter(([, v]) => v !== undefined);
    this.#c = Object.freeze({ ...OAUTH_CLIENT_COLLECTIONS, ...Object.fromEntries(given) });
    this.#store = store;
  }

  #issuerKey(issuer: string): string {
    return JSON.stringify([this.key, issuerKey(issuer)]);
  }

  /** Where a registration saved without naming an authorization server waits to be claimed. */
  #unboundKey(): string {
    return JSON.stringify([this.key, null]);
  }

  /**
   * Tokens or registration: for `issuer`, the set saved for it (or the latest set when that one is
   * stamped for the same server: saved before per-server keys); without, the latest set. A
   * registration saved without naming a server (a pre-registered client, saved before the SDK knows
   * the authorization server) is claimed by the first server read that has none of its own: moved
   * under that server, so it never reaches another one (a server that moves to a new
   * authorization server gets a new registration there).
   */
  async read(kind: Kind, issuer: string | undefined): Promise<JsonObject | undefined> {
    const collection = this.#c[kind];
    let value: JsonObject | undefined;
    if (issuer === undefined) {
      value = await this.#store.get(this.key, { collection });
    } else {
      this.#issuer = issuer;
      value = await this.#store.get(this.#issuerKey(issuer), { collection });
      if (value === undefined) {
        const latest = await this.#store.get(this.key, { collection });
        const stamp = latest?.issuer;
        if (typeof stamp === 'string' && issuerKey(stamp) === issuerKey(issuer)) value = latest;
      }
      if (value === undefined && kind === 'clientInformation') value = await this.#claimUnbound(issuer);
    }
    const field = kind === 'tokens' ? 'access_token' : 'client_id';
    if (value !== undefined && typeof value[field] !== 'string') {
      throw new DeserializationError(
        `The stored MCP client ${kind === 'tokens' ? 'tokens have' : 'registration has'} no ${field}`,
      );
    }
    return value;
  }

  async #claimUnbound(issuer: string): Promise<JsonObject | undefined> {
    const collection = this.#c.clientInformation;
    const unbound = await this.#store.get(this.#unboundKey(), { collection });
    if (unbound === undefined) return undefined;
    await this.#store.put(this.#issuerKey(issuer), unbound, { collection });
    await this.#store.delete(this.#unboundKey(), { collection });
    return unbound;
  }

  /**
   * Saves tokens or a registration as the latest set and, when the authorization server is named
   * (by the SDK's context or the value's own `issuer` stamp), as that server's set; a registration
   * naming no server also waits to be claimed by the first server read (see `read`). Saving tokens
   * ends an authorization in progress: its discovery state is dropped, so the next authorization
   * discovers the server's current authorization server again. `ttl` (seconds) makes the record
   * expire (machine-to-machine tokens: their `expires_in`).
   */
  async write(kind: Kind, value: object, issuer: string | undefined, ttl?: number): Promise<void> {
    const collection = this.#c[kind];
    const record = dropUndefined(value);
    const named = issuer ?? (typeof record.issuer === 'string' ? record.issuer : undefined);
    if (named !== undefined) this.#issuer = named;
    const entries: [string, JsonObject][] = [[this.key, record]];
    if (named !== undefined) entries.push([this.#issuerKey(named), record]);
    else if (kind === 'clientInformation' && this.#perServer) entries.push([this.#unboundKey(), record]);
    await this.#store.putMany(entries, ttl === undefined ? { collection } : { collection, ttl });
    if (kind === 'tokens') await this.#store.delete(this.key, { collection: this.#c.discovery });
  }

  async codeVerifier(): Promise<string> {
    const value = await this.#store.get(this.key, { collection: this.#c.codeVerifier });
    const verifier = value?.code_verifier;
    if (typeof verifier !== 'string') {
      throw new Error('No PKCE code verifier is saved for this MCP server (expired or never started)');
    }
    return verifier;
  }

  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    await this.#store.put(
      this.key,
      { code_verifier: codeVerifier },
      { collection: this.#c.codeVerifier, ttl: this.#verifierTtl },
    );
  }

  /**
   * The discovery state of an authorization in progress. A record from before discovery state had
   * a lifetime (saved by oauth-kv 0.1, kept forever) is dropped and reads as absent, so the SDK
   * discovers the server's current authorization server.
   */
  async discoveryState(): Promise<JsonObject | undefined> {
    const collection = this.#c.discovery;
    const value = await this.#store.get(this.key, { collection });
    if (value === undefined) return undefined;
    const state = value[DISCOVERY_FIELD];
    if (!isPlainObject(state)) {
      await this.#store.delete(this.key, { collection });
      return undefined;
    }
    if (typeof state.authorizationServerUrl !== 'string') {
      throw new DeserializationError('The stored MCP discovery state has no authorizationServerUrl');
    }
    return state as JsonObject;
  }

  /** Saves discovery state with the code verifier's lifetime (it must survive the redirect, no more). */
  async saveDiscoveryState(state: object): Promise<void> {
    await this.#store.put(
      this.key,
      { [DISCOVERY_FIELD]: dropUndefined(state) },
      { collection: this.#c.discovery, ttl: this.#verifierTtl },
    );
  }

  async context(field: string): Promise<string | undefined> {
    const value = await this.#store.get(this.key, { collection: this.#c.context });
    const found = value?.[field];
    return typeof found === 'string' ? found : undefined;
  }

  async saveContext(field: string, text: string): Promise<void> {
    const collection = this.#c.context;
    const value = (await this.#store.get(this.key, { collection })) ?? {};
    await this.#store.put(this.key, { ...value, [field]: text }, { collection });
  }

  /**
   * Forgets what the scope names. Tokens and registrations go for the latest set and for the
   * authorization server this instance last used (the SDK invalidates right after a failed call to
   * that server); other servers' sets stay.
   */
  async invalidate(scope: CredentialScope): Promise<void> {
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
    const jobs: Promise<unknown>[] = [];
    for (const name of which) {
      const collection = this.#c[name];
      if (name === 'tokens' || name === 'clientInformation') {
        const latest = await this.#store.get(this.key, { collection });
        const issuers = new Set<string>();
        if (this.#issuer !== undefined) issuers.add(issuerKey(this.#issuer));
        if (typeof latest?.issuer === 'string') issuers.add(issuerKey(latest.issuer));
        for (const issuer of issuers) jobs.push(this.#store.delete(this.#issuerKey(issuer), { collection }));
        if (name === 'clientInformation' && this.#perServer)
          jobs.push(this.#store.delete(this.#unboundKey(), { collection }));
      }
      jobs.push(this.#store.delete(this.key, { collection }));
    }
    await Promise.all(jobs);
  }
}
