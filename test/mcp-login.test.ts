/**
 * The MCP client login helper end to end: a real MCP server (SDK McpServer + mcpAuthRouter +
 * requireBearerAuth, oauth-kv's PersistentOAuthServerProvider) on loopback, a real SDK Client over
 * StreamableHTTPClientTransport, and a scripted browser that follows the authorization redirect to
 * the helper's loopback callback. First login, reuse after a restart of the client, recovery after
 * the server lost its state (stale registration: the client registers again), the URL printed
 * when there is no browser, a callback with a foreign state refused, and a busy port.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { describe, expect, test } from 'vitest';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { createMcpLogin, type McpLogin } from '../src/integrations/mcp-login.js';
import { MemoryStore } from '../src/stores/memory.js';
import {
  countRegistrations,
  expectEncryptedAtRest,
  listenOnLoopback,
  NO_RATE_LIMITS,
  scriptedBrowser,
  tempDirs,
  whilePortBusy,
} from './helpers/mcp-login-fixtures.js';

const temp = tempDirs('oauth-kv-login-');

interface McpTestServer {
  url: URL;
  port: number;
  registrations: number;
  close(): Promise<void>;
}

/** A real MCP server with its own OAuth authorization server; state in a fresh MemoryStore. */
async function startServer(port = 0): Promise<McpTestServer> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const { base, port: actual, close } = await listenOnLoopback(app, port);
  const mcpUrl = new URL('/mcp', base);
  const state = new OAuthStateStore(new MemoryStore());
  const info: McpTestServer = { url: mcpUrl, port: actual, registrations: 0, close };
  const provider = new PersistentOAuthServerProvider({
    state,
    approve: () => ({ subject: 'alice' }),
    resource: mcpUrl,
  });
  countRegistrations(provider.clientsStore, () => info.registrations++);
  app.use(mcpAuthRouter({ provider, issuerUrl: base, resourceServerUrl: mcpUrl, ...NO_RATE_LIMITS }));
  const bearer = requireBearerAuth({
    verifier: provider,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl),
    expectedResource: mcpUrl,
  });
  app.post(
    '/mcp',
    bearer,
    async (
      req: import('node:http').IncomingMessage & { body?: unknown },
      res: import('node:http').ServerResponse,
    ) => {
      const server = new McpServer({ name: 'login-test', version: '1.0.0' });
      server.registerTool(
        'whoami',
        { description: 'Who is calling' },
        async (extra: { authInfo?: AuthInfo }) => ({
          content: [{ type: 'text', text: `user ${String(extra.authInfo?.extra?.subject)}` }],
        }),
      );
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
  );
  return info;
}

async function whoami(login: McpLogin): Promise<string> {
  const client = new Client({ name: 'login-test-client', version: '1.0.0' });
  await login.connect(
    client,
    (authProvider) => new StreamableHTTPClientTransport(login.serverUrl, { authProvider }),
  );
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  const content = (result.content ?? []) as { text?: string }[];
  return content.map((c) => c.text ?? '').join('');
}

describe('createMcpLogin against a real MCP server', () => {
  test('logs in once, keeps the login encrypted on disk, reuses it, and registers again when the server forgot it', async () => {
    let server = await startServer();
    const directory = temp();
    const browser = scriptedBrowser();
    try {
      // 1. First run: discovery, registration, the browser step, the code exchange, a tool call.
      const first = await createMcpLogin({
        serverUrl: server.url,
        directory,
        openBrowser: browser.browse,
        clientName: 'Login test',
      });
      expect(first.redirectUrl.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(await whoami(first)).toBe('user alice');
      expect(browser.visits).toHaveLength(1);
      expect(browser.visits[0]?.searchParams.get('redirect_uri')).toBe(first.redirectUrl.href);
      expect(server.registrations).toBe(1);
      const firstClient = (await first.provider.clientInformation())?.client_id;
      const tokens = await first.provider.tokens();
      expect(tokens?.access_token).toBeTruthy();
      const port = first.redirectUrl.port;
      await first.close();
      // Encrypted at rest: no token, no client name in any file.
      expectEncryptedAtRest(directory, [tokens?.access_token as string, 'Login test']);

      // 2. The client restarts: same port, no browser, no registration.
      const second = await createMcpLogin({ serverUrl: server.url, directory, openBrowser: browser.browse });
      expect(second.redirectUrl.port).toBe(port);
      expect(await whoami(second)).toBe('user alice');
      expect(browser.visits).toHaveLength(1);
      expect(server.registrations).toBe(1);
      await second.close();

      // 3. The server comes back on the same address with none of its state: the stored tokens and
      //    registration are stale; the client registers again and the user signs in again.
      const serverPort = server.port;
      await server.close();
      server = await startServer(serverPort);
      const third = await createMcpLogin({ serverUrl: server.url, directory, openBrowser: browser.browse });
      expect(await whoami(third)).toBe('user alice');
      expect(browser.visits).toHaveLength(2);
      expect(server.registrations).toBe(1);
      expect((await third.provider.clientInformation())?.client_id).not.toBe(firstClient);
      await third.close();
    } finally {
      await server.close();
    }
  }, 60_000);

  test('no browser: the URL is printed, and the user finishing in any browser completes the login', async () => {
    const server = await startServer();
    const lines: string[] = [];
    const browser = scriptedBrowser();
    try {
      const login = await createMcpLogin({
        serverUrl: server.url,
        directory: temp(),
        openBrowser: false,
        print: (line) => {
          lines.push(line);
          const url = /(https?:\/\/\S+)$/.exec(line)?.[1];
          if (url) setTimeout(() => void browser.browse(new URL(url)), 10); // the user, later
        },
      });
      expect(await whoami(login)).toBe('user alice');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^Sign in to http:\/\/127\.0\.0\.1:\d+ in your browser: http:\/\/127\.0\.0\.1:\d+\/authorize\?/,
      );
      await login.close();
    } finally {
      await server.close();
    }
  }, 60_000);

  test('openBrowser: true with a display runs the system opener (xdg-open) with the URL', async () => {
    const server = await startServer();
    const bin = temp();
    const seen = join(bin, 'opened-url');
    // A stand-in for xdg-open that records the URL it was given; the scripted user then follows it.
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`, { mode: 0o755 });
    const saved = { PATH: process.env.PATH, DISPLAY: process.env.DISPLAY };
    process.env.PATH = `${bin}:${process.env.PATH}`;
    process.env.DISPLAY = ':99';
    const browser = scriptedBrowser();
    const printed: string[] = [];
    try {
      const login = await createMcpLogin({
        serverUrl: server.url,
        directory: temp(),
        print: (l) => printed.push(l),
      });
      const follow = (async () => {
        while (!existsSync(seen) || readFileSync(seen, 'utf8') === '')
          await new Promise((r) => setTimeout(r, 20));
        await browser.browse(new URL(readFileSync(seen, 'utf8')));
      })();
      expect(await whoami(login)).toBe('user alice');
      await follow;
      expect(readFileSync(seen, 'utf8')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
      expect(printed[0]).toContain(readFileSync(seen, 'utf8')); // printed as well, in case no browser opens
      await login.close();
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.DISPLAY === undefined) delete process.env.DISPLAY;
      else process.env.DISPLAY = saved.DISPLAY;
      await server.close();
    }
  }, 60_000);

  test('the callback refuses a state it did not issue, and unknown paths', async () => {
    const login = await createMcpLogin({
      serverUrl: 'http://127.0.0.1:9/mcp',
      directory: temp(),
      openBrowser: false,
    });
    const forged = new URL(login.redirectUrl);
    forged.searchParams.set('code', 'attacker-code');
    forged.searchParams.set('state', 'not-issued');
    const answer = await fetch(forged);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('not the one this application started');
    expect((await fetch(new URL('/other', login.redirectUrl))).status).toBe(404);
    await login.close();
  });

  test('a busy port: a new port; the old registration serves the stored tokens, the next sign-in registers again', async () => {
    const server = await startServer();
    const directory = temp();
    const browser = scriptedBrowser();
    try {
      const first = await createMcpLogin({ serverUrl: server.url, directory, openBrowser: browser.browse });
      await whoami(first);
      const port = Number(first.redirectUrl.port);
      await first.close();
      await whilePortBusy(port, async () => {
        const second = await createMcpLogin({
          serverUrl: server.url,
          directory,
          openBrowser: browser.browse,
        });
        expect(Number(second.redirectUrl.port)).not.toBe(port);
        expect(await whoami(second)).toBe('user alice'); // the tokens still work
        expect(server.registrations).toBe(1);
        await second.logout();
        expect(await whoami(second)).toBe('user alice');
        expect(server.registrations).toBe(2); // registered for the new redirect URI
        expect(browser.visits.at(-1)?.searchParams.get('redirect_uri')).toBe(second.redirectUrl.href);
        await second.close();
      });
    } finally {
      await server.close();
    }
  }, 60_000);
});
