/**
 * A real MCP server on the 2.x SDK (`@modelcontextprotocol/server`: `McpServer`, the web-standard
 * streamable HTTP transport, `requireBearerAuth`) behind a plain node:http server on loopback. Its
 * protected-resource metadata names the authorization server given; bearer tokens are checked by the
 * verifier given (the authorization server's own provider, or `CachedTokenVerifier` over
 * introspection). Tool `whoami` answers `client <client_id>`; `calls` records each caller.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  getOAuthProtectedResourceMetadataUrl,
  McpServer,
  type OAuthTokenVerifier,
  requireBearerAuth,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

export interface V2ResourceServer {
  readonly mcpUrl: URL;
  readonly calls: string[];
  /** Requests answered 401 (no token, or the verifier refused it). */
  readonly refusals: () => number;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startV2ResourceServer(options: {
  authorizationServer: string | URL;
  verifier: OAuthTokenVerifier;
  port?: number;
}): Promise<V2ResourceServer> {
  const calls: string[] = [];
  let refusals = 0;
  let mcpUrl: URL | undefined;
  let gate: ((request: Request) => Promise<unknown>) | undefined;
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', mcpUrl);
      if (mcpUrl === undefined || gate === undefined) throw new Error('not ready');
      if (req.method === 'GET' && url.pathname === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            resource: mcpUrl.href,
            authorization_servers: [String(options.authorizationServer)],
          }),
        );
        return;
      }
      if (url.pathname !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers.set(k, v);
        else if (Array.isArray(v)) headers.set(k, v.join(', '));
      }
      const raw = await body(req);
      const request = new Request(url, {
        method: req.method ?? 'GET',
        headers,
        ...(raw.length > 0 ? { body: raw } : {}),
      });
      const auth = await gate(request);
      let response: Response;
      if (auth instanceof Response) {
        refusals++;
        response = auth;
      } else {
        const authInfo = auth as { clientId: string };
        const mcp = new McpServer({ name: 'v2-resource', version: '1.0.0' });
        mcp.registerTool('whoami', { description: 'the caller' }, async () => {
          calls.push(authInfo.clientId);
          return { content: [{ type: 'text', text: `client ${authInfo.clientId}` }] };
        });
        const transport = new WebStandardStreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
        });
        await mcp.connect(transport);
        response = await transport.handleRequest(request, { authInfo: auth as never });
        void mcp.close();
      }
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  mcpUrl = new URL('/mcp', base);
  gate = requireBearerAuth({
    verifier: options.verifier,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
  });
  return {
    mcpUrl,
    calls,
    refusals: () => refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
