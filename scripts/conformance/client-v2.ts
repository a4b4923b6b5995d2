/**
 * An MCP client on the 2.x SDK (`@modelcontextprotocol/client`) for the MCP conformance suite's
 * client scenarios (`conformance client --command`): connects to the server URL given as the last
 * argument, authorizes headlessly (follows the authorization redirect and hands the callback's
 * parameters, `code` and `iss`, back to `finishAuth`), then lists and calls tools.
 *
 * Its OAuth state lives in oauth-kv's McpOAuthClientProvider (`oauth-kv/mcp-v2`) on an encrypted
 * MemoryStore. `OAUTH_KV_CONFORMANCE_PROVIDER=sdk` uses instead a plain in-memory provider (fields
 * in memory, as the 1.x SDK's InMemoryOAuthClientProvider example; the 2.x SDK ships none) as the
 * baseline: oauth-kv must fail no scenario that baseline passes (`run.mjs`).
 */
import {
  Client,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { generateFernetKey } from '../../src/crypto/keys.js';
import { McpOAuthClientProvider } from '../../src/integrations/mcp-v2.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { withEncryption } from '../../src/wrappers/encryption.js';
import {
  baselineProvider,
  CIMD,
  clientMetadata,
  context,
  onRedirect,
  REDIRECT,
  runScenario,
  serverUrl,
} from './client-common.js';

const metadata: OAuthClientMetadata = clientMetadata('oauth-kv conformance client (SDK 2.x)');

/** The baseline: every field in memory, nothing else. */
class InMemoryProvider implements OAuthClientProvider {
  readonly clientMetadataUrl = CIMD;
  #client: StoredOAuthClientInformation | undefined;
  #tokens: StoredOAuthTokens | undefined;
  #verifier: string | undefined;
  #issuer: string | undefined;
  #resource: string | undefined;
  get redirectUrl(): string {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return metadata;
  }
  clientInformation(_ctx?: OAuthClientInformationContext) {
    return this.#client;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.#client = info;
  }
  tokens(_ctx?: OAuthClientInformationContext) {
    return this.#tokens;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.#tokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    onRedirect(url);
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier(): string {
    if (this.#verifier === undefined) throw new Error('no code verifier saved');
    return this.#verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
  }
  saveAuthorizationServerUrl(url: string) {
    this.#issuer = url;
  }
  authorizationServerUrl() {
    return this.#issuer;
  }
  saveResourceUrl(url: string) {
    this.#resource = url;
  }
  resourceUrl() {
    return this.#resource;
  }
}

function provider(): OAuthClientProvider {
  if (baselineProvider) return new InMemoryProvider();
  return new McpOAuthClientProvider({
    store: withEncryption(new MemoryStore(), { keys: generateFernetKey() }),
    serverUrl,
    clientMetadata: metadata,
    redirectUrl: REDIRECT,
    clientMetadataUrl: CIMD,
    onRedirect,
  });
}

const authProvider = provider();
if (context.client_id) {
  const info: StoredOAuthClientInformation = { client_id: context.client_id };
  if (context.client_secret) info.client_secret = context.client_secret;
  await authProvider.saveClientInformation?.(info);
}
runScenario({
  makeTransport: () => new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider }),
  makeClient: () => new Client({ name: 'oauth-kv-conformance-v2', version: '1.0.0' }),
  finishAuth: (transport, callback) => transport.finishAuth(callback),
  isUnauthorized: (err) => err instanceof UnauthorizedError,
});
