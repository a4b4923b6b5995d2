/**
 * The demo's MCP server process: an SDK `McpServer` over stateless streamable HTTP, protected by
 * the SDK's own OAuth authorization server (`mcpAuthRouter` + `requireBearerAuth`) whose whole
 * state (clients, codes, tokens, grants) lives in oauth-kv. It auto-approves one local user.
 *
 * Started by examples/demo.ts (`npm run demo`); it reports events to the parent over IPC.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationFull, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { configFromEnv, emit, openDemoStore } from './demo-store.js';

const LOCAL_USER = 'local-user';

/** The library provider, reporting what happens to the demo's parent process. */
class DemoProvider extends PersistentOAuthServerProvider {
  readonly #clients: OAuthRegisteredClientsStore;

  constructor(state: OAuthStateStore) {
    super({
      state,
      // Auto-approve: there is one local user and no login page (development only).
      approve: (client) => {
        void emit({ type: 'authorized', clientId: client.client_id });
        return { subject: LOCAL_USER };
      },
    });
    this.#clients = {
      getClient: (clientId) => state.clients.getClient(clientId),
      registerClient: async (client) => {
        const registered = await state.clients.registerClient(client);
        await emit({ type: 'registered', clientId: registered.client_id });
        return registered;
      },
    };
  }

  override get clientsStore(): OAuthRegisteredClientsStore {
    return this.#clients;
  }

  override async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    code: string,
    verifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    const tokens = await super.exchangeAuthorizationCode(client, code, verifier, redirectUri, resource);
    await emit({ type: 'tokens-issued', clientId: client.client_id, grant: 'authorization_code' });
    return tokens;
  }

  override async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    const tokens = await super.exchangeRefreshToken(client, refreshToken, scopes, resource);
    await emit({ type: 'tokens-issued', clientId: client.client_id, grant: 'refresh_token' });
    return tokens;
  }
}

function buildMcpServer(): McpServer {
  const server = new McpServer({ name: 'oauth-kv-demo', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Says which OAuth client and user called it' },
    async (extra: { authInfo?: AuthInfo }) => {
      const auth = extra.authInfo;
      if (auth) await emit({ type: 'tool-call', clientId: auth.clientId });
      const subject = typeof auth?.extra?.subject === 'string' ? auth.extra.subject : 'nobody';
      return { content: [{ type: 'text', text: `Hello ${subject}, via OAuth client ${auth?.clientId}` }] };
    },
  );
  return server;
}

async function main(): Promise<void> {
  const port = Number(process.env.OAUTH_KV_DEMO_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('OAUTH_KV_DEMO_PORT is not set');
  const config = configFromEnv();
  const { store, where } = await openDemoStore(config, 'server');
  const provider = new DemoProvider(new OAuthStateStore(store));

  const issuerUrl = new URL(`http://127.0.0.1:${port}/`);
  const mcpUrl = new URL('/mcp', issuerUrl);
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl,
      resourceServerUrl: mcpUrl,
      // The demo makes a handful of requests; rate limits stay on, at their defaults.
    }),
  );
  const auth = requireBearerAuth({
    verifier: provider,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
  });
  app.post('/mcp', auth, async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    // Stateless streamable HTTP: a fresh server and transport per request, so nothing but the
    // OAuth state in oauth-kv has to survive a restart.
    const server = buildMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const notAllowed = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(405, { Allow: 'POST' }).end();
  };
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);

  const listener = app.listen(port, '127.0.0.1', (err?: Error) => {
    if (err) {
      void emit({ type: 'failed', message: err.message }).then(() => process.exit(1));
      return;
    }
    void emit({ type: 'listening', url: mcpUrl.href, where });
  });
  listener.on('error', (err: Error) => {
    void emit({ type: 'failed', message: `cannot listen on port ${port}: ${err.message}` }).then(() =>
      process.exit(1),
    );
  });
  const stop = () => {
    listener.close();
    void store.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch(async (err: unknown) => {
  await emit({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
