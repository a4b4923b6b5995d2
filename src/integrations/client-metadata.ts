/**
 * Client ID Metadata Documents on the authorization-server side: a `client_id` that is an https URL
 * names a JSON document the client publishes; the server fetches it, checks it and caches it in an
 * oauth-kv store shared by replicas. Used by `OAuthClientsStore.getClient` (option
 * `metadataDocuments`). See `docs/cimd.md`.
 * @module
 */
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { type OAuthKVError, RemoteFetchError, StoreSetupError } from '../errors.js';
import { isPlainObject, validateName } from '../validation.js';
import { remoteRequest } from './remote-fetch.js';

/**
 * Options of {@link ClientMetadataDocuments}.
 *
 * @example
 * ```ts
 * const options: ClientMetadataDocumentsOptions = { maxCacheAge: 3600, failureCacheAge: 30, timeoutMs: 3000 };
 * ```
 */
export interface ClientMetadataDocumentsOptions {
  /** Collection of the cache (default `'mcp-client-metadata'`). */
  collection?: string | undefined;
  /** Longest time a document is reused, in seconds, whatever its `Cache-Control` says (default 3600). */
  maxCacheAge?: number | undefined;
  /** Reuse, in seconds, of a document whose answer has no `Cache-Control` max-age (default 300). */
  defaultCacheAge?: number | undefined;
  /** How long a failure is remembered so it is not fetched again at once, in seconds (default 30). */
  failureCacheAge?: number | undefined;
  /** Deadline of one fetch, connection to last byte, in ms (default 5000). */
  timeoutMs?: number | undefined;
  /** Largest document accepted, in bytes (default 5120). */
  maxBytes?: number | undefined;
  /**
   * Fetch from private, loopback and link-local addresses (default `false`: refused, also when a
   * DNS name resolves to one). For tests and a trusted internal network only.
   */
  allowPrivateAddresses?: boolean | undefined;
  /** Accept `http:` client_id URLs (default `false`). For tests only. */
  allowHttp?: boolean | undefined;
  /** Certificate authorities trusted for the fetch instead of Node's (an internal PKI). */
  ca?: string | Buffer | undefined;
  /** Told about each refused document (the typed error; never the document). Default: `process.emitWarning`. */
  onRefused?: ((error: OAuthKVError) => void) | undefined;
}

/**
 * Resolves https-URL client ids to their Client ID Metadata Document: fetched with a deadline and a
 * size cap, redirects refused, private addresses refused unless allowed; the document must name
 * the URL as its `client_id`, list valid `redirect_uris` and carry no client secret. A valid
 * document is cached for every replica as long as its `Cache-Control` allows, up to `maxCacheAge`;
 * a failure is remembered for `failureCacheAge` and never as valid.
 *
 * @example
 * ```ts
 * import { ClientMetadataDocuments, OAuthClientsStore } from 'oauth-kv/mcp';
 *
 * const clients = new OAuthClientsStore(store, { metadataDocuments: new ClientMetadataDocuments(store) });
 * const client = await clients.getClient('https://app.example.com/oauth/client.json');
 * ```
 */
export class ClientMetadataDocuments {
  readonly #store: AsyncKeyValue;
  readonly #collection: string;
  readonly #maxAge: number;
  readonly #defaultAge: number;
  readonly #failureAge: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #allowPrivate: boolean;
  readonly #allowHttp: boolean;
  readonly #ca: string | Buffer | undefined;
  readonly #onRefused: (error: OAuthKVError) => void;

  /** @throws StoreSetupError for a malformed option. */
  constructor(store: AsyncKeyValue, options: ClientMetadataDocumentsOptions = {}) {
    const fail = (what: string): never => {
      throw new StoreSetupError(`ClientMetadataDocuments option ${what}`);
    };
    const positive = (value: unknown, fallback: number, name: string): number => {
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        return fail(`${name} must be a positive number`);
      }
      return value;
    };
    this.#store = store;
    this.#collection = options.collection ?? 'mcp-client-metadata';
    try {
      validateName(this.#collection, 'collection');
    } catch {
      fail('collection must be a valid collection name');
    }
    this.#maxAge = positive(options.maxCacheAge, 3600, 'maxCacheAge');
    this.#defaultAge = Math.min(positive(options.defaultCacheAge, 300, 'defaultCacheAge'), this.#maxAge);
    this.#failureAge = positive(options.failureCacheAge, 30, 'failureCacheAge');
    this.#timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs');
    this.#maxBytes = positive(options.maxBytes, 5120, 'maxBytes');
    this.#allowPrivate = options.allowPrivateAddresses === true;
    this.#allowHttp = options.allowHttp === true;
    this.#ca = options.ca;
    this.#onRefused = options.onRefused ?? ((error) => process.emitWarning(error));
  }

  /** `true` when `clientId` is a URL this resolver handles (https, or http with `allowHttp`). */
  handles(clientId: string): boolean {
    return clientId.startsWith('https://') || (this.#allowHttp && clientId.startsWith('http://'));
  }

  /**
   * The client the document at `clientId` describes, from the cache or fetched.
   * @throws RemoteFetchError when the document cannot be fetched or is not valid (`reason` says why).
   */
  async resolve(clientId: string): Promise<OAuthClientInformationFull> {
    const url = this.#checkUrl(clientId);
    const cached = await this.#store.get(clientId, { collection: this.#collection });
    if (cached !== undefined) {
      if (cached.valid === true && isPlainObject(cached.client)) {
        return cached.client as unknown as OAuthClientInformationFull;
      }
      const reason = typeof cached.reason === 'string' ? cached.reason : 'invalid';
      throw new RemoteFetchError(
        reason as RemoteFetchError['reason'],
        `The client metadata document at ${url.host} failed recently (${reason}); not fetched again yet`,
      );
    }
    try {
      const { client, ttl } = await this.#fetch(url, clientId);
      if (ttl > 0) {
        await this.#store.put(
          clientId,
          { valid: true, client: client as unknown as JsonObject },
          {
            collection: this.#collection,
            ttl,
          },
        );
      }
      return client;
    } catch (err) {
      if (err instanceof RemoteFetchError) {
        await this.#store.put(
          clientId,
          { valid: false, reason: err.reason },
          {
            collection: this.#collection,
            ttl: this.#failureAge,
          },
        );
      }
      throw err;
    }
  }

  /**
   * {@link resolve}, but `undefined` instead of a refusal (reported to `onRefused`): what a clients
   * store answers, so the SDK replies `invalid_client` rather than 500.
   */
  async lookup(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    try {
      return await this.resolve(clientId);
    } catch (err) {
      if (!(err instanceof RemoteFetchError)) throw err;
      try {
        this.#onRefused(err);
      } catch {
        // A failing log hook must not turn a refusal into a server error.
      }
      return undefined;
    }
  }

  /** Drops the cached document (or failure) of `clientId`. */
  async forget(clientId: string): Promise<void> {
    await this.#store.delete(clientId, { collection: this.#collection });
  }

  #checkUrl(clientId: string): URL {
    let url: URL;
    try {
      if (clientId.length > 2048) throw new Error('too long');
      url = new URL(clientId);
    } catch {
      throw new RemoteFetchError(
        'invalid',
        'A client_id metadata URL must be an absolute URL of at most 2048 characters',
      );
    }
    const schemeOk = url.protocol === 'https:' || (this.#allowHttp && url.protocol === 'http:');
    if (!schemeOk || url.pathname === '/' || url.hash !== '' || url.username !== '' || url.password !== '') {
      throw new RemoteFetchError(
        'invalid',
        'A client_id metadata URL must be https, with a path, without fragment or credentials',
      );
    }
    return url;
  }

  async #fetch(url: URL, clientId: string): Promise<{ client: OAuthClientInformationFull; ttl: number }> {
    const response = await remoteRequest({
      url,
      timeoutMs: this.#timeoutMs,
      maxBytes: this.#maxBytes,
      allowPrivateAddresses: this.#allowPrivate,
      ca: this.#ca,
    });
    if (response.status !== 200) {
      throw new RemoteFetchError(
        'status',
        `${url.host} answered ${response.status} for a client metadata document`,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(response.body);
    } catch {
      throw new RemoteFetchError('invalid', `The client metadata document at ${url.host} is not JSON`);
    }
    return {
      client: this.#validate(doc, clientId, url.host),
      ttl: this.#ttl(response.headers['cache-control']),
    };
  }

  #validate(doc: unknown, clientId: string, host: string): OAuthClientInformationFull {
    const refuse = (why: string): never => {
      throw new RemoteFetchError('invalid', `The client metadata document at ${host} ${why}`);
    };
    if (!isPlainObject(doc)) return refuse('is not a JSON object');
    const d = doc as Record<string, unknown>;
    if (d.client_id !== clientId) refuse('does not name its own URL as client_id');
    if ('client_secret' in d || 'client_secret_expires_at' in d) refuse('carries a client secret');
    const method = d.token_endpoint_auth_method ?? 'none';
    if (method !== 'none' && method !== 'private_key_jwt') refuse('asks for a shared-secret authentication');
    const uris = d.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || uris.length > 20)
      refuse('lists no usable redirect_uris');
    for (const uri of uris as unknown[]) {
      if (typeof uri !== 'string' || !validRedirect(uri)) refuse('lists an invalid redirect URI');
    }
    const client: Record<string, unknown> = {
      client_id: clientId,
      redirect_uris: [...(uris as string[])],
      token_endpoint_auth_method: method,
    };
    for (const field of [
      'client_name',
      'client_uri',
      'logo_uri',
      'scope',
      'software_id',
      'software_version',
    ]) {
      if (typeof d[field] === 'string') client[field] = d[field];
    }
    for (const field of ['grant_types', 'response_types']) {
      const list = d[field];
      if (Array.isArray(list) && list.every((v) => typeof v === 'string')) client[field] = [...list];
    }
    if (typeof d.jwks_uri === 'string') client.jwks_uri = d.jwks_uri;
    return client as unknown as OAuthClientInformationFull;
  }

  /** Seconds a valid document is kept: its `max-age`, capped; 0 for `no-store`/`no-cache`. */
  #ttl(header: string | undefined): number {
    if (header === undefined) return this.#defaultAge;
    const directives = header
      .toLowerCase()
      .split(',')
      .map((d) => d.trim());
    if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d === 'private')) return 0;
    const maxAge = directives.find((d) => d.startsWith('max-age='));
    if (maxAge === undefined) return this.#defaultAge;
    const seconds = Number(maxAge.slice('max-age='.length));
    return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, this.#maxAge) : 0;
  }
}

/** An absolute URL without fragment; http only to a loopback host (native apps). */
function validRedirect(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.hash !== '') return false;
  if (url.protocol === 'http:') return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol !== 'javascript:' && url.protocol !== 'data:';
}

/**
 * Authorization-server metadata with `client_id_metadata_document_supported: true` added, which the
 * SDK's `mcpAuthRouter` does not advertise by itself: serve it on
 * `/.well-known/oauth-authorization-server` before the router.
 *
 * @example
 * ```ts
 * import { createOAuthMetadata, mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
 * import { advertiseClientIdMetadataDocuments, PersistentOAuthServerProvider } from 'oauth-kv/mcp';
 *
 * declare const provider: PersistentOAuthServerProvider;
 * const metadata = advertiseClientIdMetadataDocuments(createOAuthMetadata({ provider, issuerUrl }));
 * app.get('/.well-known/oauth-authorization-server', (_req, res) => res.json(metadata));
 * app.use(mcpAuthRouter({ provider, issuerUrl }));
 * ```
 */
export function advertiseClientIdMetadataDocuments<T extends object>(
  metadata: T,
): T & { client_id_metadata_document_supported: true } {
  return { ...metadata, client_id_metadata_document_supported: true };
}
