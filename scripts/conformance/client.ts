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

const metadata = clientMetadata('oauth-kv conformance client');

async function provider(): Promise<OAuthClientProvider> {
  if (baselineProvider) {
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

const authProvider = await provider();
if (context.client_id) {
  await authProvider.saveClientInformation?.({ client_id: context.client_id, client_secret: context.client_secret });
}
runScenario({
  makeTransport: () => new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider }),
  makeClient: () => new Client({ name: 'oauth-kv-conformance', version: '1.0.0' }),
  finishAuth: (transport, callback) => {
    const code = callback.get('code');
    if (!code) throw new Error('no code in the authorization redirect');
    return transport.finishAuth(code);
  },
  isUnauthorized: (err) => err instanceof UnauthorizedError,
});
