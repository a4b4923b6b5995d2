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

const serverUrl = process.argv.at(-1) as string;
const REDIRECT = 'http://localhost:3000/callback';
const CIMD = 'https://conformance-test.local/client-metadata.json';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, string>;
const metadata: OAuthClientMetadata = {
  client_name: 'oauth-kv conformance client (SDK 2.x)',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

let authorizationUrl: URL | undefined;
const onRedirect = (url: URL) => {
  authorizationUrl = url;
};

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
  if (process.env.OAUTH_KV_CONFORMANCE_PROVIDER === 'sdk') return new InMemoryProvider();
  return new McpOAuthClientProvider({
    store: withEncryption(new MemoryStore(), { keys: generateFernetKey() }),
    serverUrl,
    clientMetadata: metadata,
    redirectUrl: REDIRECT,
    clientMetadataUrl: CIMD,
    onRedirect,
  });
}

async function main(): Promise<void> {
  const authProvider = provider();
  if (context.client_id) {
    const info: StoredOAuthClientInformation = { client_id: context.client_id };
    if (context.client_secret) info.client_secret = context.client_secret;
    await authProvider.saveClientInformation?.(info);
  }
  let transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
  let client = new Client({ name: 'oauth-kv-conformance-v2', version: '1.0.0' });
  /** Completes a pending authorization headlessly: follow the redirect, hand the callback back. */
  const authorize = async (): Promise<void> => {
    if (authorizationUrl === undefined) throw new Error('unauthorized without an authorization URL');
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    authorizationUrl = undefined;
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization answered ${response.status} without a redirect`);
    await transport.finishAuth(new URL(location).searchParams);
  };
  /** Runs `step`, authorizing and retrying (at most 3 times) when the server asks for it. */
  const withAuth = async <T>(step: () => Promise<T>, reconnect: boolean): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof UnauthorizedError) || attempt >= 3) throw err;
        await authorize();
        if (reconnect) {
          transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
          client = new Client({ name: 'oauth-kv-conformance-v2', version: '1.0.0' });
        }
      }
    }
  };
  await withAuth(() => client.connect(transport), true);
  const { tools } = await withAuth(() => client.listTools(), false);
  for (const tool of tools) {
    await withAuth(() => client.callTool({ name: tool.name, arguments: {} }), false).catch(() => undefined);
  }
  await client.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
