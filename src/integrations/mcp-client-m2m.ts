/**
 * The SDK-independent core of machine-to-machine MCP clients (OAuth client-credentials grant), shared
 * by the 1.x and 2.x adapters: client authentication by `client_secret_basic`, `client_secret_post`
 * or `private_key_jwt` (a JWT assertion signed with node:crypto, RFC 7523; no JWT library), and
 * the tokens kept encrypted in an oauth-kv store (until they expire) so processes on one store
 * share them. The client secret and private key come from the caller and are only held in memory.
 * Internal: each adapter types it with its own SDK's types.
 * @module
 */
import { constants, createPrivateKey, type JsonWebKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import type { AsyncKeyValue } from '../contract.js';
import { StoreSetupError } from '../errors.js';
import { requireProtectedStore } from './mcp-client-core.js';
import { ClientRecords, type CredentialScope, type OAuthClientCollections } from './mcp-client-records.js';

/**
 * How a machine-to-machine client authenticates at the token endpoint.
 *
 * @example
 * ```ts
 * import type { ClientAuthenticationMethod } from 'oauth-kv/mcp';
 * const method: ClientAuthenticationMethod = 'private_key_jwt';
 * ```
 */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * JWS algorithms the `private_key_jwt` client assertion can be signed with.
 *
 * @example
 * ```ts
 * import type { ClientAssertionAlgorithm } from 'oauth-kv/mcp';
 * const algorithm: ClientAssertionAlgorithm = 'ES256';
 * ```
 */
export type ClientAssertionAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** Options of the machine-to-machine providers of both SDK lines. */
export interface ClientCredentialsCoreOptions {
  /** Where the tokens live (wrap it with `withEncryption`); several processes may share it. */
  store: AsyncKeyValue;
  /** The MCP server URL (part of the key the tokens are stored under). */
  serverUrl: string | URL;
  /** The client id registered at the authorization server. */
  clientId: string;
  /** The client secret (`client_secret_basic` by default, or `client_secret_post`). Held in memory only. */
  clientSecret?: string | undefined;
  /**
   * The private key for `private_key_jwt`: a `KeyObject`, a PEM string (PKCS#8, PKCS#1 or SEC1) or
   * a private JWK. Held in memory only, never stored.
   */
  privateKey?: KeyObject | string | JsonWebKey | undefined;
  /** Signing algorithm of the client assertion (default from the key: RS256, ES256/384/512 by curve, EdDSA). */
  algorithm?: ClientAssertionAlgorithm | undefined;
  /** `kid` header of the client assertion (when the authorization server holds several of your keys). */
  keyId?: string | undefined;
  /** Lifetime of a client assertion in seconds (default 60). */
  assertionLifetime?: number | undefined;
  /** Client authentication method (default: `private_key_jwt` with a key, else `client_secret_basic`). */
  tokenEndpointAuthMethod?: ClientAuthenticationMethod | undefined;
  /** Scope to request (default: what the MCP server's metadata names). */
  scope?: string | undefined;
  /**
   * The authorization server's issuer these credentials belong to. Recommended: the credentials
   * are then never sent to another authorization server the MCP server might name.
   */
  expectedIssuer?: string | undefined;
  /** `client_name` of the client metadata (default `"oauth-kv machine client"`). */
  clientName?: string | undefined;
  /** Separates token sets in one store (default: one per MCP server and client id). */
  session?: string | undefined;
  /** Collection names to use instead of `OAUTH_CLIENT_COLLECTIONS`. */
  collections?: Partial<OAuthClientCollections> | undefined;
  /** Accept a store without encryption (tokens then readable at rest). Default `false`. */
  allowUnprotectedSecrets?: boolean | undefined;
}

type Signer = { key: KeyObject; alg: ClientAssertionAlgorithm; kid: string | undefined; lifetime: number };

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function defaultAlgorithm(key: KeyObject): ClientAssertionAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new StoreSetupError('privateKey must be an RSA, EC (P-256/384/521) or Ed25519 private key');
}

function readPrivateKey(input: KeyObject | string | JsonWebKey): KeyObject {
  if (typeof input === 'object' && input !== null && 'asymmetricKeyType' in input && 'type' in input) {
    const key = input as KeyObject;
    if (key.type !== 'private') throw new StoreSetupError('privateKey must be a private key');
    return key;
  }
  try {
    return typeof input === 'string'
      ? createPrivateKey(input)
      : createPrivateKey({ key: input as JsonWebKey, format: 'jwk' });
  } catch {
    // Never echo the input: it is key material.
    throw new StoreSetupError('privateKey is not a readable private key (PEM or private JWK)');
  }
}

/** Whether `key` is of the kind `alg` signs with (node would otherwise sign ES256 with an RSA key's hash). */
function keyFits(key: KeyObject, alg: ClientAssertionAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const wanted = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }[alg as 'ES256'];
  return type === 'ec' && curve === wanted;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWT with `signer` (compact JWS). */
export function signAssertion(signer: Signer, claims: Record<string, unknown>): string {
  const header = { alg: signer.alg, typ: 'JWT', ...(signer.kid === undefined ? {} : { kid: signer.kid }) };
  const input = `${b64(header)}.${b64(claims)}`;
  const data = Buffer.from(input);
  const alg = signer.alg;
  let signature: Buffer;
  if (alg === 'EdDSA') signature = sign(null, data, signer.key);
  else {
    const hash = HASH[alg.slice(2)] as string;
    if (alg.startsWith('RS')) signature = sign(hash, data, signer.key);
    else if (alg.startsWith('PS')) {
      signature = sign(hash, data, {
        key: signer.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    } else signature = sign(hash, data, { key: signer.key, dsaEncoding: 'ieee-p1363' });
  }
  return `${input}.${signature.toString('base64url')}`;
}

const ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);

/** The client-credentials half of a provider: credentials in memory, tokens in the store. */
export class ClientCredentialsCore {
  readonly records: ClientRecords;
  readonly clientId: string;
  readonly method: ClientAuthenticationMethod;
  readonly scope: string | undefined;
  readonly expectedIssuer: string | undefined;
  readonly clientName: string;
  readonly #secret: string | undefined;
  readonly #signer: Signer | undefined;

  constructor(options: ClientCredentialsCoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new StoreSetupError('The client-credentials provider needs options');
    }
    if (typeof options.clientId !== 'string' || options.clientId === '') {
      throw new StoreSetupError('clientId must be a non-empty string');
    }
    const hasSecret = options.clientSecret !== undefined;
    const hasKey = options.privateKey !== undefined;
    if (hasSecret === hasKey) {
      throw new StoreSetupError('Give exactly one of clientSecret and privateKey');
    }
    if (hasSecret && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
      throw new StoreSetupError('clientSecret must be a non-empty string');
    }
    const method = options.tokenEndpointAuthMethod ?? (hasKey ? 'private_key_jwt' : 'client_secret_basic');
    const fits =
      method === 'private_key_jwt'
        ? hasKey
        : (method === 'client_secret_basic' || method === 'client_secret_post') && hasSecret;
    if (!fits) {
      throw new StoreSetupError(
        'tokenEndpointAuthMethod must be private_key_jwt with a privateKey, or client_secret_basic / client_secret_post with a clientSecret',
      );
    }
    if (
      options.expectedIssuer !== undefined &&
      (typeof options.expectedIssuer !== 'string' || options.expectedIssuer === '')
    ) {
      throw new StoreSetupError("expectedIssuer must be the authorization server's issuer URL");
    }
    requireProtectedStore(
      options.store,
      options.allowUnprotectedSecrets,
      'The MCP client-credentials provider keeps access tokens',
    );
    this.clientId = options.clientId;
    this.method = method;
    this.scope = options.scope;
    this.expectedIssuer = options.expectedIssuer;
    this.clientName = options.clientName ?? 'oauth-kv machine client';
    this.#secret = options.clientSecret;
    if (hasKey) {
      const key = readPrivateKey(options.privateKey as KeyObject | string | JsonWebKey);
      const alg = options.algorithm ?? defaultAlgorithm(key);
      if (!ALGORITHMS.has(alg))
        throw new StoreSetupError(`Unsupported client assertion algorithm ${String(alg)}`);
      const lifetime = options.assertionLifetime ?? 60;
      if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 3600) {
        throw new StoreSetupError('assertionLifetime must be a whole number of seconds from 1 to 3600');
      }
      if (!keyFits(key, alg)) throw new StoreSetupError(`privateKey cannot sign ${alg}`);
      this.#signer = { key, alg, kid: options.keyId, lifetime };
      // Fail now, not at the first token request, when key and algorithm do not fit.
      try {
        signAssertion(this.#signer, {});
      } catch {
        throw new StoreSetupError(`privateKey cannot sign ${alg}`);
      }
    }
    this.records = new ClientRecords(options.store, options.serverUrl, {
      session: options.session ?? `client-credentials:${options.clientId}`,
      collections: options.collections,
    });
  }

  /** The client metadata the SDK reads (scope selection, and registration, which never happens here). */
  metadata(): {
    client_name: string;
    redirect_uris: string[];
    grant_types: string[];
    token_endpoint_auth_method: ClientAuthenticationMethod;
    scope?: string;
  } {
    return {
      client_name: this.clientName,
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: this.method,
      ...(this.scope === undefined ? {} : { scope: this.scope }),
    };
  }

  /** The configured client, stamped with `expectedIssuer` when given. */
  clientInformation(): { client_id: string; client_secret?: string; issuer?: string } {
    return {
      client_id: this.clientId,
      ...(this.#secret === undefined ? {} : { client_secret: this.#secret }),
      ...(this.expectedIssuer === undefined ? {} : { issuer: this.expectedIssuer }),
    };
  }

  async tokens(issuer: string | undefined): Promise<object | undefined> {
    return this.records.read('tokens', issuer);
  }

  /** Saves tokens until they expire (their `expires_in`), so no expired bearer token stays at rest. */
  async saveTokens(tokens: { expires_in?: unknown }, issuer: string | undefined): Promise<void> {
    const seconds = tokens.expires_in;
    const ttl =
      typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : undefined;
    await this.records.write('tokens', tokens, issuer, ttl);
  }

  /** The grant: client credentials, with the scope the SDK chose (or the configured one). */
  prepareTokenRequest(scope: string | undefined): URLSearchParams {
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const chosen = scope ?? this.scope;
    if (chosen) params.set('scope', chosen);
    return params;
  }

  /** Adds the client authentication to a token request. */
  addClientAuthentication(
    headers: Headers,
    params: URLSearchParams,
    url: string | URL,
    metadata?: { issuer?: string | undefined },
  ): void {
    if (this.method === 'client_secret_basic') {
      const id = encodeURIComponent(this.clientId);
      const secret = encodeURIComponent(this.#secret as string);
      headers.set('Authorization', `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`);
      return;
    }
    if (this.method === 'client_secret_post') {
      params.set('client_id', this.clientId);
      params.set('client_secret', this.#secret as string);
      return;
    }
    const signer = this.#signer as Signer;
    const now = Math.floor(Date.now() / 1000);
    const assertion = signAssertion(signer, {
      iss: this.clientId,
      sub: this.clientId,
      aud: String(metadata?.issuer ?? url),
      iat: now,
      exp: now + signer.lifetime,
      jti: randomBytes(16).toString('base64url'),
    });
    params.set('client_id', this.clientId);
    params.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    params.set('client_assertion', assertion);
  }

  /** Forgets stored tokens (the configured credentials cannot be forgotten). */
  async invalidate(scope: CredentialScope): Promise<void> {
    if (scope === 'all' || scope === 'tokens') await this.records.invalidate('tokens');
  }
}

/** Members an SDK reads of a non-interactive provider that this flow never uses. */
export const NOT_INTERACTIVE =
  'A client-credentials provider has no interactive authorization (no redirect, no PKCE verifier)';

/**
 * What the 1.x and 2.x client-credentials providers have in common: the core, no redirect URI, the
 * grant, invalidation, and the interactive members that throw. Each adapter adds
 * `addClientAuthentication`, `clientMetadata`, `clientInformation`, `tokens` and `saveTokens`
 * typed with its own SDK's types (`Options`: the adapter's options type, for its constructor).
 */
export abstract class ClientCredentialsProviderBase<Options extends ClientCredentialsCoreOptions> {
  readonly #core: ClientCredentialsCore;

  constructor(options: Options) {
    this.#core = new ClientCredentialsCore(options);
  }

  /** @internal The credentials and the stored tokens, for the adapter's typed members. */
  protected get core(): ClientCredentialsCore {
    return this.#core;
  }

  /**
   * Always `undefined`: the SDK then runs the non-interactive grant.
   *
   * @example
   * ```ts
   * console.log(authProvider.redirectUrl); // undefined
   * ```
   */
  get redirectUrl(): undefined {
    return undefined;
  }
  /** The client-credentials grant. */
  prepareTokenRequest(scope?: string): URLSearchParams {
    return this.core.prepareTokenRequest(scope);
  }
  /** Forgets the stored token (`'all'` and `'tokens'`). */
  invalidateCredentials(scope: CredentialScope): Promise<void> {
    return this.core.invalidate(scope);
  }
  /** Never called for this grant: throws. */
  redirectToAuthorization(): never {
    throw new Error(NOT_INTERACTIVE);
  }
  /** Never called for this grant: throws. */
  saveCodeVerifier(): never {
    throw new Error(NOT_INTERACTIVE);
  }
  /** Never called for this grant: throws. */
  codeVerifier(): never {
    throw new Error(NOT_INTERACTIVE);
  }
}
