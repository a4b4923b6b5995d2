/**
 * The demo's MCP client process: an SDK `Client` over `StreamableHTTPClientTransport` whose
 * `authProvider` keeps registration, tokens, PKCE verifier and discovery state in oauth-kv. The
 * first run goes through discovery, Dynamic Client Registration, authorization with PKCE and the
 * token exchange; a later run finds everything in the store and calls the tool straight away.
 *
 * Started by examples/demo.ts (`npm run demo`); it reports its result to the parent over IPC.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { PersistentOAuthClientProvider } from '../src/integrations/mcp.js';
import { configFromEnv, emit, openDemoStore } from './demo-store.js';

/** Never used for anything but the redirect: the demo reads the code from the Location header. */
const REDIRECT_URL = 'http://127.0.0.1:8765/callback';

async function main(): Promise<void> {
  const serverUrl = process.env.OAUTH_KV_DEMO_SERVER_URL;
  if (!serverUrl) throw new Error('OAUTH_KV_DEMO_SERVER_URL is not set');
  const { store, where } = await openDemoStore(configFromEnv(), 'client');

  let registeredNow = false;
  let loggedInNow = false;
  let tokensSavedNow = false;
  let pendingCode: string | undefined;
  let expectedState: string | undefined;

  // The user agent: a real app opens a browser and listens on REDIRECT_URL; the demo follows the
  // authorization URL itself and reads `code` from the redirect the server answers with.
  const followAuthorization = async (authorizationUrl: URL): Promise<void> => {
    loggedInNow = true;
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`The authorization endpoint answered ${response.status} without a redirect`);
    }
    const back = new URL(location);
    if (back.searchParams.get('state') !== expectedState) throw new Error('OAuth state mismatch');
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`Authorization refused: ${back.searchParams.get('error') ?? 'no code'}`);
    pendingCode = code;
  };

  class DemoClientProvider extends PersistentOAuthClientProvider {
    override async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
      registeredNow = true;
      await super.saveClientInformation(info);
    }
    override async saveTokens(tokens: OAuthTokens): Promise<void> {
      tokensSavedNow = true;
      await super.saveTokens(tokens);
    }
  }

  // The three lines a real client needs: store, provider, transport (see docs/mcp.md).
  const authProvider = new DemoClientProvider({
    store,
    serverUrl,
    redirectUrl: REDIRECT_URL,
    clientMetadata: {
      client_name: 'oauth-kv demo client',
      redirect_uris: [REDIRECT_URL],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    onRedirect: followAuthorization,
    state: () => {
      expectedState = randomBytes(16).toString('base64url');
      return expectedState;
    },
  });

  const client = new Client({ name: 'oauth-kv-demo-client', version: '1.0.0' });
  for (let attempt = 0; ; attempt++) {
    const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
    try {
      await client.connect(transport);
      break;
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || pendingCode === undefined || attempt > 0) throw err;
      const code = pendingCode;
      pendingCode = undefined;
      await transport.finishAuth(code);
    }
  }

  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const content = Array.isArray(result.content) ? result.content : [];
  const toolText = content.map((part: { type: string; text?: string }) => part.text ?? '').join(' ');
  const info = await authProvider.clientInformation();
  const tokens = await authProvider.tokens();
  await client.close();
  await store.close();
  await emit({
    type: 'client-result',
    clientId: info?.client_id ?? '',
    registeredNow,
    loggedInNow,
    tokensSavedNow,
    // A fingerprint, never the token itself.
    tokenFingerprint: createHash('sha256')
      .update(tokens?.access_token ?? '')
      .digest('hex')
      .slice(0, 12),
    toolText,
    where,
  });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await emit({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
