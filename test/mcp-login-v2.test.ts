import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import * as legacyAuth from '@modelcontextprotocol/server-legacy/auth';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { createMcpLogin, type McpLogin } from '../src/integrations/mcp-v2.js';
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
import { startV2ResourceServer, type V2ResourceServer } from './helpers/mcp-v2-resource.js';

const temp = tempDirs('oauth-kv-login-v2-');

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
  const { base, close } = await listenOnLoopback(app, port);
  const provider = new PersistentOAuthServerProvider({
    state: new OAuthStateStore(new MemoryStore()),
    approve: () => ({ subject: 'alice' }),
    errors: legacyAuth,
  });
  const info: AuthServer = { base, provider, registrations: 0, close };
  countRegistrations(provider.clientsStore, () => info.registrations++);
  app.use(legacyAuth.mcpAuthRouter({ provider, issuerUrl: base, ...NO_RATE_LIMITS }));
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
});

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
    expectEncryptedAtRest(directory, [tokens?.access_token as string, 'Login v2 test']);

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
    await whilePortBusy(port, async () => {
      const second = await createMcpLogin({ serverUrl: rs.mcpUrl, directory, openBrowser: browser.browse });
      expect(Number(second.redirectUrl.port)).not.toBe(port);
      expect(await whoami(second)).toMatch(/^client /); // the tokens still work
      expect(as.registrations).toBe(registered);
      await second.logout();
      expect(await whoami(second)).toMatch(/^client /);
      expect(as.registrations).toBe(registered + 1); // registered for the new redirect URI
      expect(browser.visits.at(-1)?.searchParams.get('redirect_uri')).toBe(second.redirectUrl.href);
      await second.close();
    });
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
