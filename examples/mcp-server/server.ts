/**
 * A runnable MCP server with its own OAuth authorization server, all OAuth state in oauth-kv.
 *
 *   OAUTH_KV_KEYS=<fernet key> npx tsx examples/mcp-server/server.ts
 *   OAUTH_KV_KEYS=<new>,<old> OAUTH_KV_STORE=redis://127.0.0.1:6379 PORT=3000 npx tsx examples/mcp-server/server.ts
 *
 * Environment:
 *   OAUTH_KV_KEYS   Fernet keys, comma-separated, newest first (from your secret manager). Required.
 *   OAUTH_KV_STORE  any createStore URL (redis://…, postgres://…, file:…) or a directory
 *                   (default ./.oauth-kv-example/server).
 *   PORT            default 3000.
 *   PUBLIC_URL      the URL clients use (default http://127.0.0.1:PORT); set it behind a proxy.
 *
 * Every replica started with the same store and keys serves the same clients and tokens.
 * It approves every authorization as one configured user: replace `approve` with your login.
 *
 * In your project, import from 'oauth-kv', 'oauth-kv/mcp', 'oauth-kv/file', ... instead of ../../src.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createStore } from '../../src/create-store.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../../src/integrations/mcp.js';

const keys = (process.env.OAUTH_KV_KEYS ?? '').split(',').filter(Boolean);
if (keys.length === 0) {
  console.error(
    'Set OAUTH_KV_KEYS to one or more Fernet keys (generateFernetKey() from oauth-kv makes one).',
  );
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);
const publicUrl = new URL(process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`);
const mcpUrl = new URL('/mcp', publicUrl);

// 1. Store, 2. state, 3. provider: the whole OAuth side. A bare directory means files there.
const spec = process.env.OAUTH_KV_STORE || './.oauth-kv-example/server';
const store = await createStore(/^[a-z][a-z0-9+.-]*:/i.test(spec) ? spec : `file:${spec}`, { keys });
const state = new OAuthStateStore(store);
const provider = new PersistentOAuthServerProvider({
  state,
  approve: () => ({ subject: process.env.EXAMPLE_USER ?? 'local-user' }), // development only: no login page
  resource: mcpUrl,
});

const app = createMcpExpressApp({ host: publicUrl.hostname === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0' });
app.use(mcpAuthRouter({ provider, issuerUrl: publicUrl, resourceServerUrl: mcpUrl }));
const bearer = requireBearerAuth({
  verifier: provider,
  resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
  expectedResource: mcpUrl,
});

app.post('/mcp', bearer, async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
  const server = new McpServer({ name: 'oauth-kv-example', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: 'Who is calling' },
    async (extra: { authInfo?: AuthInfo }) => ({
      content: [
        {
          type: 'text',
          text: `client ${extra.authInfo?.clientId}, user ${String(extra.authInfo?.extra?.subject)}`,
        },
      ],
    }),
  );
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});

const listener = app.listen(port, () => console.log(`MCP server on ${mcpUrl.href}`));
const shutdown = () => listener.close(() => void store.close());
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
