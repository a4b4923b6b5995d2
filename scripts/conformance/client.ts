/**
 * An MCP client for the MCP conformance suite's client scenarios (`conformance client --command`):
 * connects to the server URL given as the last argument, authorizes headlessly (follows the
 * authorization redirect and hands the code back), then lists and calls tools.
 *
 * `OAUTH_KV_CONFORMANCE_PROVIDER=sdk` uses the SDK's own in-memory example provider instead of
 * oauth-kv's PersistentOAuthClientProvider, as the baseline: oauth-kv must fail no scenario that
 * baseline passes (`run.mjs`).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryOAuthClientProvider } from '@modelcontextprotocol/sdk/examples/client/simpleOAuthClientProvider.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { withEncryption } from '../../src/index.js';
import { generateFernetKey } from '../../src/crypto/keys.js';
import { PersistentOAuthClientProvider } from '../../src/integrations/mcp.js';
import { MemoryStore } from '../../src/stores/memory.js';

const serverUrl = process.argv.at(-1) as string;
const REDIRECT = 'http://localhost:3000/callback';
const CIMD = 'https://conformance-test.local/client-metadata.json';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, string>;
const metadata = {
  client_name: 'oauth-kv conformance client',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

let authorizationUrl: URL | undefined;
const onRedirect = (url: URL) => {
  authorizationUrl = url;
};

async function provider(): Promise<OAuthClientProvider> {
  if (process.env.OAUTH_KV_CONFORMANCE_PROVIDER === 'sdk') {
    return new InMemoryOAuthClientProvider(REDIRECT, metadata, onRedirect, CIMD);
  }
  const store = withEncryption(new MemoryStore(), { keys: generateFernetKey() });
  return new PersistentOAuthClientProvider({
    store,
    serverUrl,
    clientMetadata: metadata,
    redirectUrl: REDIRECT,
    clientMetadataUrl: CIMD,
    onRedirect,
  });
}

async function main(): Promise<void> {
  const authProvider = await provider();
  if (context.client_id) {
    await authProvider.saveClientInformation?.({ client_id: context.client_id, client_secret: context.client_secret });
  }
  let transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
  let client = new Client({ name: 'oauth-kv-conformance', version: '1.0.0' });
  /** Completes a pending authorization headlessly: follow the redirect, hand the code back. */
  const authorize = async (): Promise<void> => {
    if (authorizationUrl === undefined) throw new Error('unauthorized without an authorization URL');
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    authorizationUrl = undefined;
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization answered ${response.status} without a redirect`);
    const code = new URL(location).searchParams.get('code');
    if (!code) throw new Error('no code in the authorization redirect');
    await transport.finishAuth(code);
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
          client = new Client({ name: 'oauth-kv-conformance', version: '1.0.0' });
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
