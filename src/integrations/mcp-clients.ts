/**
 * `OAuthClientsStore`: the MCP SDK's `OAuthRegisteredClientsStore` on any oauth-kv store.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { DeserializationError, ValidationError } from '../errors.js';
import { validateTtl } from '../validation.js';
import type { ClientMetadataDocuments } from './client-metadata.js';
import { dropUndefined, epochSeconds } from './mcp-json.js';
import {
  isRefusal,
  type Protection,
  type ProtectionOptions,
  refusing,
  resolveProtection,
  secretHandling,
  unprotectedClientSecret,
} from './protection.js';
import { openSealed, SecretSealer } from './sealing.js';

/**
 * The collection FastMCP's OAuth proxy keeps registered clients in; {@link OAuthClientsStore}
 * uses it by default so a TypeScript and a Python server can share one store.
 *
 * @example
 * ```ts
 * import { MCP_CLIENTS_COLLECTION } from 'oauth-kv/mcp';
 * await store.get(client_id, { collection: MCP_CLIENTS_COLLECTION });
 * ```
 */
export const MCP_CLIENTS_COLLECTION = 'mcp-oauth-proxy-clients';

/**
 * Options of {@link OAuthClientsStore}: its own, and of the {@link ProtectionOptions} shared by every
 * OAuth integration those that apply to client registrations (`sealSecret`,
 * `allowUnprotectedSecrets`, `onRecordRefused`). A `client_id` is public, so it is the key as it is
 * (`hashSecret` has nothing to hash), and a registration is checked by its `client_id` rather than
 * bound (`bindRecords`), so FastMCP's Python proxy can share the collection.
 *
 * @example
 * ```ts
 * const clients = new OAuthClientsStore(store, { ttl: 90 * 24 * 3600 }); // forget unused registrations after 90 days
 * ```
 */
export interface OAuthClientsStoreOptions
  extends Pick<ProtectionOptions, 'sealSecret' | 'allowUnprotectedSecrets' | 'onRecordRefused'> {
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
  /** Milliseconds since the epoch, for `client_id_issued_at` (default `Date.now`). */
  clock?: (() => number) | undefined;
  /**
   * Resolves https-URL client ids (Client ID Metadata Documents) in `getClient`, next to the
   * registered clients. Default: none (only registered clients are known). See `docs/cimd.md`.
   */
  metadataDocuments?: ClientMetadataDocuments | undefined;
}

/**
 * A registration could not be stored because a client with the same `client_id` exists already.
 * The existing client is left untouched.
 *
 * @example
 * ```ts
 * import { ClientExistsError, OAuthClientsStore } from 'oauth-kv/mcp';
 * const clients = new OAuthClientsStore(store);
 * const info = { client_id: 'taken', redirect_uris: ['https://app.example.com/callback'] };
 * await clients.registerClient(info);
 * await clients.registerClient(info).catch((err) => err instanceof ClientExistsError); // true
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
 * the SDK answers 500 and no client exists that the server does not know). The SDK compares
 * `client_secret` in clear on every token request, so it cannot be hashed: it is sealed
 * (AES-256-GCM, bound to the `client_id`) under a key derived from the store's encryption keys or
 * given as `sealSecret`, and opened by `getClient`. Without any key material a confidential client
 * is refused (`StoreSetupError`) unless `allowUnprotectedSecrets` is set.
 *
 * A record whose `client_id` is not the key it is stored under (copied in the database), that is
 * malformed, or whose sealed secret does not open, is refused: `getClient` returns `undefined`
 * (the SDK answers `invalid_client`) and `onRecordRefused` is told.
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
  readonly #protection: Protection;
  readonly #clock: () => number;
  readonly #documents: ClientMetadataDocuments | undefined;

  constructor(store: AsyncKeyValue, options: OAuthClientsStoreOptions = {}) {
    validateTtl(options.ttl);
    this.#store = store;
    this.#collection = options.collection ?? MCP_CLIENTS_COLLECTION;
    this.#ttl = options.ttl;
    this.#generateClientId = options.generateClientId ?? randomUUID;
    this.#protection = resolveProtection(store, {
      sealSecret: options.sealSecret,
      allowUnprotectedSecrets: options.allowUnprotectedSecrets,
      onRecordRefused: options.onRecordRefused,
    });
    this.#clock = options.clock ?? Date.now;
    this.#documents = options.metadataDocuments;
  }

  /**
   * How client secrets are kept: `"sealed"` (a key exists), `"plaintext"` (no key, and
   * `allowUnprotectedSecrets`), or `"refused"` (no key: confidential clients cannot register).
   *
   * @example
   * ```ts
   * if (clients.secretHandling === 'refused') console.warn('only public clients can register');
   * ```
   */
  get secretHandling(): 'sealed' | 'plaintext' | 'refused' {
    return secretHandling(this.#protection.clientSecrets, this.#protection.allowUnprotected);
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
    if (typeof clientId !== 'string' || clientId.length === 0) return undefined;
    if (this.#documents?.handles(clientId)) return this.#documents.lookup(clientId);
    return refusing(this.#protection, this.#collection, async () => {
      const value = await this.#store.get(clientId, { collection: this.#collection });
      return value === undefined ? undefined : this.#open(clientId, value);
    });
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
      client_id_issued_at: client.client_id_issued_at ?? epochSeconds(this.#clock()),
    });
    const written = await this.#store.putIfAbsent(full.client_id as string, this.#seal(full), {
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
    await this.#store.put(client.client_id, this.#seal(dropUndefined(client)), {
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

  /**
   * Reseals every stored client secret that is not sealed under the newest key (after a key
   * rotation: run it with the keys `[new, old]`, before dropping the old key), keeping each
   * registration's remaining lifetime. Returns how many were rewritten. Needs `keys` on the store.
   *
   * @example
   * ```ts
   * const clients = new OAuthClientsStore(withEncryption(store, { keys: [newKey, oldKey] }));
   * await reencrypt(store, { collection: clients.collection, encryption: { keys: [newKey, oldKey] } });
   * console.log(await clients.reseal(), 'client secrets resealed');
   * ```
   */
  async reseal(options: { pageSize?: number | undefined } = {}): Promise<number> {
    const sealer = this.#protection.clientSecrets;
    if (sealer === undefined) return 0;
    const collection = this.#collection;
    let resealed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#store.keys(collection, { limit: options.pageSize ?? 100, cursor });
      const entries = page.keys.length === 0 ? [] : await this.#store.ttlMany(page.keys, { collection });
      for (const [i, clientId] of page.keys.entries()) {
        const { value, ttl } = entries[i] ?? { value: undefined, ttl: undefined };
        const secret = value?.client_secret;
        if (value === undefined || !SecretSealer.isSealed(secret)) continue;
        try {
          if (sealer.isCurrent(secret, collection, clientId)) continue;
          const opened = sealer.open(secret, collection, clientId);
          const client = { ...value, client_secret: sealer.seal(opened, collection, clientId) };
          await this.#store.put(clientId, client, { collection, ttl });
          resealed++;
        } catch (err) {
          if (!isRefusal(err)) throw err;
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return resealed;
  }

  /** The client as stored: its secret sealed, or refused without key material (nothing written). */
  #seal(client: JsonObject): JsonObject {
    if (typeof client.client_id !== 'string' || client.client_id.length === 0) {
      throw new ValidationError('A client needs a non-empty client_id', [
        { message: 'must be a non-empty string', path: 'client_id' },
      ]);
    }
    const secret = client.client_secret;
    if (secret === undefined || secret === null || secret === '') return client;
    if (typeof secret !== 'string') {
      throw new ValidationError('client_secret must be a string', [
        { message: 'must be a string', path: 'client_secret' },
      ]);
    }
    const sealer = this.#protection.clientSecrets;
    if (sealer !== undefined) {
      return { ...client, client_secret: sealer.seal(secret, this.#collection, client.client_id) };
    }
    if (this.#protection.allowUnprotected) return client;
    throw unprotectedClientSecret();
  }

  /** The stored client with its secret opened; throws a refusal error for a record that does not fit. */
  #open(clientId: string, value: JsonObject): OAuthClientInformationFull {
    if (value.client_id !== clientId || !Array.isArray(value.redirect_uris)) {
      throw new DeserializationError(
        `A stored client in collection "${this.#collection}" does not carry the client_id it is stored under, or has no redirect_uris`,
      );
    }
    const secret = value.client_secret;
    if (SecretSealer.isSealed(secret)) {
      const opened = openSealed(this.#protection.clientSecrets, secret, this.#collection, clientId);
      return { ...value, client_secret: opened } as never;
    }
    return value as unknown as OAuthClientInformationFull;
  }
}
