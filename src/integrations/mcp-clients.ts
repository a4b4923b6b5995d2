/**
 * `OAuthClientsStore`: the MCP SDK's `OAuthRegisteredClientsStore` on any oauth-kv store.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue } from '../contract.js';
import { DeserializationError, ValidationError } from '../errors.js';
import { validateTtl } from '../validation.js';
import { dropUndefined, epochSeconds } from './mcp-json.js';

/**
 * The collection FastMCP's OAuth proxy keeps registered clients in; {@link OAuthClientsStore}
 * uses it by default so a TypeScript and a Python server can share one store.
 *
 * @example
 * ```ts
 * import { MCP_CLIENTS_COLLECTION } from 'oauth-kv/mcp';
 * await store.get(clientId, { collection: MCP_CLIENTS_COLLECTION });
 * ```
 */
export const MCP_CLIENTS_COLLECTION = 'mcp-oauth-proxy-clients';

/**
 * Options of {@link OAuthClientsStore}.
 *
 * @example
 * ```ts
 * const clients = new OAuthClientsStore(store, { ttl: 90 * 24 * 3600 }); // forget unused registrations after 90 days
 * ```
 */
export interface OAuthClientsStoreOptions {
  /** Collection holding the clients, keyed by `client_id` (default `"mcp-oauth-proxy-clients"`). */
  collection?: string | undefined;
  /**
   * Lifetime of a registration in seconds; the client is forgotten afterwards and must register
   * again (the SDK client does so by itself on `invalid_client`). Default: kept until deleted.
   */
  ttl?: number | undefined;
  /**
   * Makes a `client_id` when the SDK did not (its `clientIdGeneration: false` option).
   * Default: `crypto.randomUUID()`, what the SDK itself uses.
   */
  generateClientId?: (() => string) | undefined;
}

/**
 * A registration could not be stored because a client with the same `client_id` exists already.
 * The existing client is left untouched.
 *
 * @example
 * ```ts
 * import { ClientExistsError } from 'oauth-kv/mcp';
 * await clients.registerClient({ ...info, client_id: 'taken' }).catch((err) => err instanceof ClientExistsError);
 * ```
 */
export class ClientExistsError extends ValidationError {
  constructor() {
    super('A client with this client_id is already registered', [
      { message: 'already registered', path: 'client_id' },
    ]);
  }
}

/**
 * Registered OAuth clients for the MCP SDK's authorization server (`mcpAuthRouter`), kept in any
 * {@link AsyncKeyValue} store: the SDK's `OAuthRegisteredClientsStore`.
 *
 * `registerClient` resolves only after the client is durably written (a failed write rejects, so
 * the SDK answers 500 and no client exists that the server does not know). `client_secret` is
 * stored as issued because the SDK compares it on every token request: wrap the store with
 * `withEncryption` so secrets are encrypted at rest.
 *
 * @example
 * ```ts
 * import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
 * import { FileStore } from 'oauth-kv/file';
 * import { OAuthClientsStore } from 'oauth-kv/mcp';
 *
 * const clientsStore = new OAuthClientsStore(new FileStore({ directory: './oauth-data' }));
 * const client = await clientsStore.getClient('3f1c...'); // undefined when unknown
 * ```
 */
export class OAuthClientsStore implements OAuthRegisteredClientsStore {
  readonly #store: AsyncKeyValue;
  readonly #collection: string;
  readonly #ttl: number | undefined;
  readonly #generateClientId: () => string;

  constructor(store: AsyncKeyValue, options: OAuthClientsStoreOptions = {}) {
    validateTtl(options.ttl);
    this.#store = store;
    this.#collection = options.collection ?? MCP_CLIENTS_COLLECTION;
    this.#ttl = options.ttl;
    this.#generateClientId = options.generateClientId ?? randomUUID;
  }

  /**
   * The collection the clients live in.
   *
   * @example
   * ```ts
   * console.log(clients.collection); // "mcp-oauth-proxy-clients"
   * ```
   */
  get collection(): string {
    return this.#collection;
  }

  /**
   * The registered client with this id, or `undefined` when unknown or expired.
   *
   * @example
   * ```ts
   * const client = await clients.getClient(clientId);
   * if (!client) throw new Error('unknown client');
   * ```
   */
  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    const value = await this.#store.get(clientId, { collection: this.#collection });
    if (value === undefined) return undefined;
    if (typeof value.client_id !== 'string' || !Array.isArray(value.redirect_uris)) {
      throw new DeserializationError(
        `The stored client in collection "${this.#collection}" has no client_id or redirect_uris`,
      );
    }
    return value as unknown as OAuthClientInformationFull;
  }

  /**
   * Stores a new client and returns it as stored. The SDK's registration handler passes a client
   * with `client_id` and `client_id_issued_at` already set; when they are missing (the SDK's
   * `clientIdGeneration: false`) they are generated here. Never overwrites an existing client.
   *
   * @example
   * ```ts
   * const client = await clients.registerClient({ redirect_uris: ['http://127.0.0.1:3000/cb'] });
   * console.log(client.client_id, client.client_id_issued_at);
   * ```
   */
  async registerClient(
    client: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'> &
      Partial<Pick<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'>>,
  ): Promise<OAuthClientInformationFull> {
    const full = dropUndefined({
      ...client,
      client_id: client.client_id ?? this.#generateClientId(),
      client_id_issued_at: client.client_id_issued_at ?? epochSeconds(),
    });
    const written = await this.#store.putIfAbsent(full.client_id as string, full, {
      collection: this.#collection,
      ttl: this.#ttl,
    });
    if (!written) throw new ClientExistsError();
    return full as unknown as OAuthClientInformationFull;
  }

  /**
   * Replaces a registered client (for example after a secret rotation or a metadata update).
   *
   * @example
   * ```ts
   * const client = await clients.getClient(id);
   * if (client) await clients.updateClient({ ...client, client_name: 'Renamed' });
   * ```
   */
  async updateClient(client: OAuthClientInformationFull): Promise<void> {
    await this.#store.put(client.client_id, dropUndefined(client), {
      collection: this.#collection,
      ttl: this.#ttl,
    });
  }

  /**
   * Forgets a client; `true` when it existed. Tokens already issued to it are not revoked here
   * (use `OAuthStateStore.revokeGrant`), but the SDK refuses every request of an unknown client.
   *
   * @example
   * ```ts
   * await clients.deleteClient(clientId);
   * ```
   */
  async deleteClient(clientId: string): Promise<boolean> {
    return this.#store.delete(clientId, { collection: this.#collection });
  }
}
