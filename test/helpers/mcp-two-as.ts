/**
 * A real MCP server (SDK `McpServer`, stateless streamable HTTP) whose protected-resource metadata
 * names one of several authorization servers (each the SDK's `mcpAuthRouter` over a
 * `PersistentOAuthServerProvider` on its own oauth-kv store); the test can move the MCP server to
 * another authorization server at any time. Bearer tokens are checked by the current one only.
 * Counts registrations, authorization requests, token requests (with their grant) per server.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll } from 'vitest';
import type { AsyncKeyValue } from '../../src/contract.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../../src/integrations/mcp.js';
import { MemoryStore } from '../../src/stores/memory.js';

export interface AuthServerHandle {
  readonly base: URL;
  readonly store: AsyncKeyValue;
  readonly provider: PersistentOAuthServerProvider;
  /** Requests seen: `register`, `authorize`, `token:<grant>`, each with the client_id when known. */
  readonly seen: { what: string; clientId?: string | undefined }[];
  close(): Promise<void>;
}

type Req = IncomingMessage & { body?: Record<string, unknown>; url?: string };

async function listen(app: ReturnType<typeof createMcpExpressApp>): Promise<{ server: Server; base: URL }> {
  let listener: Server | undefined;
  await new Promise<void>((resolve) => {
    listener = app.listen(0, '127.0.0.1', () => resolve()) as Server;
  });
  const server = listener as Server;
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { server, base: new URL(`http://127.0.0.1:${address.port}/`) };
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

type Seen = { what: string; clientId?: string | undefined }[];
type Client = Parameters<PersistentOAuthServerProvider['exchangeRefreshToken']>[0];

class CountingProvider extends PersistentOAuthServerProvider {
  readonly #seen: Seen;
  constructor(seen: Seen, options: ConstructorParameters<typeof PersistentOAuthServerProvider>[0]) {
    super(options);
    this.#seen = seen;
  }
  override exchangeAuthorizationCode(client: Client, ...rest: [string, string?, string?, URL?]) {
    this.#seen.push({ what: 'token:authorization_code', clientId: client.client_id });
    return super.exchangeAuthorizationCode(client, ...rest);
  }
  override exchangeRefreshToken(client: Client, ...rest: [string, string[]?, URL?]) {
    this.#seen.push({ what: 'token:refresh_token', clientId: client.client_id });
    return super.exchangeRefreshToken(client, ...rest);
  }
}

/** An authorization server (the SDK's router) whose state lives in `store`. */
export async function startAuthorizationServer(
  store: AsyncKeyValue = new MemoryStore(),
): Promise<AuthServerHandle> {
  const seen: { what: string; clientId?: string | undefined }[] = [];
  const provider = new CountingProvider(seen, {
    state: new OAuthStateStore(store),
    approve: () => ({ subject: 'alice' }),
  });
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  app.use((req: Req, _res: ServerResponse, next: () => void) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/register') seen.push({ what: 'register' });
    if (path === '/authorize') {
      seen.push({
        what: 'authorize',
        clientId: new URL(req.url ?? '/', 'http://x').searchParams.get('client_id') ?? undefined,
      });
    }
    next();
  });
  const { server, base } = await listen(app);
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: base,
      authorizationOptions: { rateLimit: false },
      clientRegistrationOptions: { rateLimit: false },
      revocationOptions: { rateLimit: false },
      tokenOptions: { rateLimit: false },
    }),
  );
  return { base, store, provider, seen, close: closer(server) };
}

export interface ResourceServerHandle {
  readonly mcpUrl: URL;
  /** Moves the MCP server to another authorization server. */
  use(as: AuthServerHandle): void;
  /** Tool calls answered, with the client_id of the token. */
  readonly calls: string[];
  close(): Promise<void>;
}

/** The MCP server: tool `whoami`, protected by whichever authorization server `use` names. */
export async function startResourceServer(first: AuthServerHandle): Promise<ResourceServerHandle> {
  let current = first;
  const calls: string[] = [];
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const { server, base } = await listen(app);
  const mcpUrl = new URL('/mcp', base);
  const metadataUrl = new URL('/.well-known/oauth-protected-resource/mcp', base);
  app.get('/.well-known/oauth-protected-resource/mcp', (_req: Req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ resource: mcpUrl.href, authorization_servers: [current.base.href] }));
  });
  const verifier = { verifyAccessToken: (token: string) => current.provider.verifyAccessToken(token) };
  const bearer = requireBearerAuth({ verifier, resourceMetadataUrl: metadataUrl.href });
  app.post('/mcp', bearer, async (req: Req & { auth?: AuthInfo }, res: ServerResponse) => {
    const mcp = new McpServer({ name: 'two-as', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'the caller' }, async (extra: { authInfo?: AuthInfo }) => {
      calls.push(extra.authInfo?.clientId ?? 'none');
      return { content: [{ type: 'text', text: `client ${extra.authInfo?.clientId}` }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  return {
    mcpUrl,
    use(as) {
      current = as;
    },
    calls,
    close: closer(server),
  };
}

/** The servers of {@link twoAuthorizationServers}. */
export interface TwoAuthorizationServers {
  as1: AuthServerHandle;
  as2: AuthServerHandle;
  /** The MCP server, protected by `as1` until `rs.use` moves it. */
  rs: ResourceServerHandle;
}

/**
 * Two authorization servers and the MCP server, started before the file's tests (`beforeAll`) and
 * closed after them; read their handles from the returned object inside the tests.
 */
export function twoAuthorizationServers(): Readonly<TwoAuthorizationServers> {
  const servers = {} as TwoAuthorizationServers;
  beforeAll(async () => {
    servers.as1 = await startAuthorizationServer();
    servers.as2 = await startAuthorizationServer();
    servers.rs = await startResourceServer(servers.as1);
  });
  afterAll(async () => {
    await servers.rs.close();
    await servers.as1.close();
    await servers.as2.close();
  });
  return servers;
}

/** The user agent: follows an authorization URL (the SDK router approves at once) and returns the callback's query. */
export async function followAuthorization(authorizationUrl: URL): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) {
    throw new Error(`authorization answered ${response.status}: ${await response.text()}`);
  }
  return new URL(location).searchParams;
}
