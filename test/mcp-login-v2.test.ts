/**
 * The 2.x MCP client login helper (`oauth-kv/mcp-v2` createMcpLogin) end to end: a real 2.x MCP
 * server (`@modelcontextprotocol/server` McpServer + requireBearerAuth) whose protected-resource
 * metadata names a separate authorization server (`@modelcontextprotocol/server-legacy`'s
 * mcpAuthRouter over oauth-kv's PersistentOAuthServerProvider), the real 2.x Client over
 * StreamableHTTPClientTransport, and a scripted browser that follows the authorization redirect to
 * the helper's loopback callback. First login (encrypted at rest), reuse after a restart, recovery
 * when the authorization server forgot the client (stale registration: registers again), the URL
 * printed without a browser, and a changed callback port.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import * as legacyAuth from '@modelcontextprotocol/server-legacy/auth';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { createMcpLogin, type McpLogin } from '../src/integrations/mcp-v2.js';
import { MemoryStore } from '../src/stores/memory.js';
import { startV2ResourceServer, type V2ResourceServer } from './helpers/mcp-v2-resource.js';

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-login-v2-'));
  dirs.push(dir);
  return dir;
};

interface AuthServer {
  base: URL;
  provider: PersistentOAuthServerProvider;
  registrations: number;
  close(): Promise<void>;
}

/** The authorization server: server-legacy's router, state in a fresh MemoryStore (a restart forgets everything). */
async function startAuthServer(port = 0): Promise<AuthServer> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  app.use((_req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
    res.setHeader('connection', 'close');
    next();
  });
  const listener = await new Promise<Server>((resolve) => {
    const l = app.listen(port, '127.0.0.1', () => resolve(l as Server));
  });
  const address = listener.address();
  const base = new URL(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`);
  const provider = new PersistentOAuthServerProvider({
    state: new OAuthStateStore(new MemoryStore()),
    approve: () => ({ subject: 'alice' }),
    errors: legacyAuth,
  });
  const info: AuthServer = {
    base,
    provider,
    registrations: 0,
    close: () =>
      new Promise<void>((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
  const store = provider.clientsStore;
  const register = store.registerClient?.bind(store);
  if (register) {
    store.registerClient = (client) => {
      info.registrations++;
      return register(client);
    };
  }
  const noLimit = { rateLimit: false as const };
  app.use(
    legacyAuth.mcpAuthRouter({
      provider,
      issuerUrl: base,
      authorizationOptions: noLimit,
      clientRegistrationOptions: noLimit,
      tokenOptions: noLimit,
      revocationOptions: noLimit,
    }),
  );
  return info;
}

let as: AuthServer;
let rs: V2ResourceServer;

beforeAll(async () => {
  as = await startAuthServer();
  rs = await startV2ResourceServer({
    authorizationServer: as.base,
    // Tokens are checked by whichever authorization server is current (it may restart with no state).
    verifier: {
      verifyAccessToken: async (token) => {
        try {
          return await as.provider.verifyAccessToken(token);
        } catch {
          throw new OAuthError(OAuthErrorCode.InvalidToken, 'invalid token');
        }
      },
    },
  });
});
afterAll(async () => {
  await rs.close();
  await as.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The scripted user: opens the authorization URL, the server approves, the redirect goes to the callback. */
function scriptedBrowser() {
  const visits: URL[] = [];
  const browse = async (url: URL) => {
    visits.push(url);
    const approved = await fetch(url, { redirect: 'manual' });
    const location = approved.headers.get('location');
    if (approved.status !== 302 || location === null) throw new Error(`no redirect: ${approved.status}`);
    const back = await fetch(location);
    if (back.status !== 200) throw new Error(`the callback answered ${back.status}`);
  };
  return { visits, browse };
}

async function whoami(login: McpLogin): Promise<string> {
  const client = new Client({ name: 'login-v2-test', version: '1.0.0' });
  await login.connect(
    client,
    (authProvider) => new StreamableHTTPClientTransport(login.serverUrl, { authProvider }),
  );
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return ((result.content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('');
}

describe('createMcpLogin (SDK 2.x) against a real 2.x MCP server and a separate authorization server', () => {
  test('logs in once, keeps the login encrypted on disk, reuses it after a restart, registers again when the authorization server forgot it', async () => {
    const directory = temp();
    const browser = scriptedBrowser();
    const first = await createMcpLogin({
      serverUrl: rs.mcpUrl,
      directory,
      openBrowser: browser.browse,
      clientName: 'Login v2 test',
    });
    expect(first.redirectUrl.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const before = as.registrations;
    const info0 = await first.provider.clientInformation();
    expect(info0).toBeUndefined();
    const text = await whoami(first);
    const info = await first.provider.clientInformation({ issuer: as.base.href });
    expect(text).toBe(`client ${info?.client_id}`);
    expect(browser.visits).toHaveLength(1);
    expect(browser.visits[0]?.searchParams.get('redirect_uri')).toBe(first.redirectUrl.href);
    expect(as.registrations).toBe(before + 1);
    // Kept per authorization server, stamped with its issuer.
    const tokens = await first.provider.tokens({ issuer: as.base.href });
    expect(tokens?.issuer).toBe(as.base.href);
    const port = first.redirectUrl.port;
    await first.close();
    const files = readdirSync(directory, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      const content = readFileSync(join(file.parentPath, file.name), 'utf8');
      expect(content).not.toContain(tokens?.access_token as string);
      expect(content).not.toContain('Login v2 test');
    }

    // The client restarts: same port, no browser, no registration.
    const second = await createMcpLogin({ serverUrl: rs.mcpUrl, directory, openBrowser: browser.browse });
    expect(second.redirectUrl.port).toBe(port);
    expect(await whoami(second)).toBe(`client ${info?.client_id}`);
    expect(browser.visits).toHaveLength(1);
    expect(as.registrations).toBe(before + 1);
    await second.close();

    // The authorization server comes back on the same address with none of its state: the stored
    // tokens and registration are stale; the client registers again and the user signs in again.
    const asPort = Number(as.base.port);
    await as.close();
    as = await startAuthServer(asPort);
    const third = await createMcpLogin({ serverUrl: rs.mcpUrl, directory, openBrowser: browser.browse });
    const again = await whoami(third);
    const newInfo = await third.provider.clientInformation({ issuer: as.base.href });
    expect(newInfo?.client_id).not.toBe(info?.client_id);
    expect(again).toBe(`client ${newInfo?.client_id}`);
    expect(browser.visits).toHaveLength(2);
    expect(as.registrations).toBe(1);
    await third.close();
  }, 60_000);

  test('no browser: the URL is printed, and the user finishing in any browser completes the login', async () => {
    const lines: string[] = [];
    const browser = scriptedBrowser();
    const login = await createMcpLogin({
      serverUrl: rs.mcpUrl,
      directory: temp(),
      openBrowser: false,
      print: (line) => {
        lines.push(line);
        const url = /(https?:\/\/\S+)$/.exec(line)?.[1];
        if (url) setTimeout(() => void browser.browse(new URL(url)), 10); // the user, later
      },
    });
    expect(await whoami(login)).toMatch(/^client /);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^Sign in to ${as.base.origin} in your browser: ${as.base.origin}/authorize\\?`),
    );
    await login.close();
  }, 60_000);

  test('a busy port: a new port; the old registration serves the stored tokens, the next sign-in registers again', async () => {
    const directory = temp();
    const browser = scriptedBrowser();
    const first = await createMcpLogin({ serverUrl: rs.mcpUrl, directory, openBrowser: browser.browse });
    await whoami(first);
    const port = Number(first.redirectUrl.port);
    await first.close();
    const registered = as.registrations;
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
    try {
      const second = await createMcpLogin({ serverUrl: rs.mcpUrl, directory, openBrowser: browser.browse });
      expect(Number(second.redirectUrl.port)).not.toBe(port);
      expect(await whoami(second)).toMatch(/^client /); // the tokens still work
      expect(as.registrations).toBe(registered);
      await second.logout();
      expect(await whoami(second)).toMatch(/^client /);
      expect(as.registrations).toBe(registered + 1); // registered for the new redirect URI
      expect(browser.visits.at(-1)?.searchParams.get('redirect_uri')).toBe(second.redirectUrl.href);
      await second.close();
    } finally {
      blocker.close();
    }
  }, 60_000);

  test('a given store without encryption is refused unless allowUnprotectedSecrets', async () => {
    await expect(
      createMcpLogin({ serverUrl: rs.mcpUrl, store: new MemoryStore(), openBrowser: false }),
    ).rejects.toThrow(/withEncryption/);
    const login = await createMcpLogin({
      serverUrl: rs.mcpUrl,
      store: new MemoryStore(),
      allowUnprotectedSecrets: true,
      openBrowser: false,
    });
    await login.close();
  });
});
