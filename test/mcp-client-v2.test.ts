/**
 * The MCP SDK 2.x client (`@modelcontextprotocol/client`: Client, StreamableHTTPClientTransport,
 * auth) with `McpOAuthClientProvider` against a real MCP server and the SDK's OAuth authorization
 * servers over loopback HTTP: full authorization, restart, a second process on the same store, a
 * move to another authorization server (credentials kept per server, never crossed), and recovery
 * when the authorization server forgot the client.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auth, Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreSetupError } from '../src/errors.js';
import { MCP_CLIENTS_COLLECTION } from '../src/integrations/mcp.js';
import { McpClientStorage, McpOAuthClientProvider } from '../src/integrations/mcp-v2.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { type AuthServerHandle, followAuthorization, twoAuthorizationServers } from './helpers/mcp-two-as.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
const servers = twoAuthorizationServers();
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function provider(store: AsyncKeyValue, redirects: URL[] = []) {
  return new McpOAuthClientProvider({
    store,
    serverUrl: servers.rs.mcpUrl,
    redirectUrl: REDIRECT,
    clientMetadata: { client_name: 'v2 test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
    onRedirect: (url) => {
      redirects.push(url);
    },
  });
}

/** Connect; on 401 the SDK runs auth() and redirects; follow, finishAuth, connect again; call the tool. */
async function loginAndCall(p: McpOAuthClientProvider, redirects: URL[]): Promise<string> {
  const first = new StreamableHTTPClientTransport(servers.rs.mcpUrl, { authProvider: p });
  await expect(new Client({ name: 't', version: '1' }).connect(first)).rejects.toBeInstanceOf(
    UnauthorizedError,
  );
  const url = redirects.at(-1);
  if (url === undefined) throw new Error('no redirect');
  const params = await followAuthorization(url);
  await first.finishAuth(params);
  return callTool(p);
}

async function callTool(p: McpOAuthClientProvider): Promise<string> {
  const client = new Client({ name: 't', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(servers.rs.mcpUrl, { authProvider: p }));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return (result.content as { text: string }[])[0]?.text ?? '';
}

const count = (as: AuthServerHandle, what: string) => as.seen.filter((s) => s.what === what).length;

describe('McpOAuthClientProvider with the real 2.x client', () => {
  it('authorizes, survives a restart and serves a second process on the same encrypted FileStore', async () => {
    servers.rs.use(servers.as1);
    const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-v2-'));
    dirs.push(directory);
    const key = generateFernetKey();
    const store = withEncryption(new FileStore({ directory }), { keys: [key] });
    const redirects: URL[] = [];
    const p = provider(store, redirects);
    const registrations = count(servers.as1, 'register');

    const text = await loginAndCall(p, redirects);
    const info = await p.clientInformation({ issuer: servers.as1.base.href });
    expect(text).toBe(`client ${info?.client_id}`);
    expect(count(servers.as1, 'register')).toBe(registrations + 1);
    // Stamped and keyed by the authorization server; the latest set is what each request reads.
    expect((await p.tokens({ issuer: servers.as1.base.href }))?.issuer).toBe(servers.as1.base.href);
    expect((await p.tokens())?.access_token).toBe(
      (await p.tokens({ issuer: servers.as1.base.href }))?.access_token,
    );
    expect(await p.discoveryState()).toBeUndefined(); // ended with the authorization
    await store.close();

    // Restart: a new store instance and provider; no redirect allowed.
    const again = withEncryption(new FileStore({ directory }), { keys: [key] });
    const q = provider(again, []);
    q.redirectToAuthorization = () => {
      throw new Error('must not log in again');
    };
    expect(await callTool(q)).toBe(`client ${info?.client_id}`);
    await again.close();

    // A second process on the same directory and key.
    const child = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'test/helpers/mcp-v2-child.ts')],
        {
          cwd: ROOT,
          env: { ...process.env, DIR: directory, KEY: key, MCP_URL: servers.rs.mcpUrl.href },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
      );
    });
    expect(child.split('\n').pop()).toBe(`client ${info?.client_id}`);
    expect(count(servers.as1, 'register')).toBe(registrations + 1);

    // Nothing secret readable on disk.
    const tokens = await provider(withEncryption(new FileStore({ directory }), { keys: [key] })).tokens();
    for (const file of readdirSync(directory, { recursive: true, withFileTypes: true }).filter((f) =>
      f.isFile(),
    )) {
      const raw = readFileSync(join(file.parentPath, file.name), 'utf8');
      expect(raw).not.toContain(tokens?.access_token as string);
      expect(raw).not.toContain(tokens?.refresh_token as string);
    }
  });

  it('follows a move to another authorization server without presenting the first one credentials, and keeps both', async () => {
    servers.rs.use(servers.as1);
    const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
    const redirects: URL[] = [];
    const p = provider(store, redirects);
    await loginAndCall(p, redirects);
    const atAs1 = await p.clientInformation({ issuer: servers.as1.base.href });
    const as2Before = servers.as2.seen.length;

    servers.rs.use(servers.as2);
    const text = await loginAndCall(p, redirects);
    expect(redirects.at(-1)?.origin).toBe(servers.as2.base.origin);
    const atAs2 = await p.clientInformation({ issuer: servers.as2.base.href });
    expect(atAs2?.client_id).not.toBe(atAs1?.client_id);
    expect(text).toBe(`client ${atAs2?.client_id}`);
    // AS2 saw a registration and its own client only: never AS1's client id or refresh token.
    const sinceMove = servers.as2.seen.slice(as2Before);
    expect(sinceMove.some((s) => s.what === 'register')).toBe(true);
    expect(sinceMove.every((s) => s.clientId === undefined || s.clientId === atAs2?.client_id)).toBe(true);
    // AS1's registration is still there, under AS1.
    expect((await p.clientInformation({ issuer: servers.as1.base.href }))?.client_id).toBe(atAs1?.client_id);

    // Back to AS1: its registration and refresh token are used again (a refresh, no registration,
    // no new login).
    servers.rs.use(servers.as1);
    const as1Before = servers.as1.seen.length;
    const redirectsBefore = redirects.length;
    expect(await callTool(p)).toBe(`client ${atAs1?.client_id}`);
    expect(redirects.length).toBe(redirectsBefore);
    expect(servers.as1.seen.slice(as1Before)).toEqual([
      { what: 'token:refresh_token', clientId: atAs1?.client_id },
    ]);
  });

  it('registers again when the authorization server forgot the client', async () => {
    servers.rs.use(servers.as1);
    const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
    const redirects: URL[] = [];
    const p = provider(store, redirects);
    await loginAndCall(p, redirects);
    const before = await p.clientInformation({ issuer: servers.as1.base.href });

    // The authorization server loses its client registrations.
    await servers.as1.store.destroyCollection(MCP_CLIENTS_COLLECTION);
    // What the transport runs on a 401: the refresh is answered invalid_client, the SDK invalidates
    // the client and tokens, registers again and starts a new authorization.
    const warn = console.warn;
    console.warn = () => {};
    try {
      expect(await auth(p, { serverUrl: servers.rs.mcpUrl })).toBe('REDIRECT');
    } finally {
      console.warn = warn;
    }
    const after = await p.clientInformation({ issuer: servers.as1.base.href });
    expect(after?.client_id).toBeDefined();
    expect(after?.client_id).not.toBe(before?.client_id);
    const params = await followAuthorization(redirects.at(-1) as URL);
    expect(
      await auth(p, { serverUrl: servers.rs.mcpUrl, authorizationCode: params.get('code') as string }),
    ).toBe('AUTHORIZED');
    expect(await callTool(p)).toBe(`client ${after?.client_id}`);
  });
});

describe('McpClientStorage', () => {
  const A = 'http://127.0.0.1:1/';
  const B = 'http://127.0.0.1:2/';
  const tokens = (issuer: string) => ({ access_token: `at-${issuer}`, token_type: 'Bearer', issuer });

  it('refuses a store without encryption unless allowUnprotectedSecrets is set', () => {
    expect(() => new McpClientStorage(new MemoryStore(), 'http://127.0.0.1/mcp')).toThrow(StoreSetupError);
    expect(
      () =>
        new McpClientStorage(new MemoryStore(), 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true }),
    ).not.toThrow();
  });

  it('keeps one set per authorization server (one trailing slash apart is the same) and the latest for reads without ctx', async () => {
    const s = new McpClientStorage(new MemoryStore(), 'http://127.0.0.1/mcp', {
      allowUnprotectedSecrets: true,
    });
    await s.saveTokens(tokens(A), { issuer: A });
    await s.saveTokens(tokens(B), { issuer: B });
    expect((await s.tokens({ issuer: A }))?.access_token).toBe(`at-${A}`);
    expect((await s.tokens({ issuer: A.slice(0, -1) }))?.access_token).toBe(`at-${A}`);
    expect((await s.tokens({ issuer: B }))?.access_token).toBe(`at-${B}`);
    expect((await s.tokens())?.access_token).toBe(`at-${B}`);
    expect(await s.tokens({ issuer: 'http://127.0.0.1:3/' })).toBeUndefined();
  });

  it('gives a registration saved without ctx (pre-registered) to the first server asked, and to no other', async () => {
    const store = new MemoryStore();
    const s = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    await s.saveClientInformation({ client_id: 'pre', client_secret: 'secret' });
    expect((await s.clientInformation())?.client_id).toBe('pre');
    // The SDK asks with the authorization server it discovered (another process, same store).
    const other = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    expect(await other.clientInformation({ issuer: A })).toEqual({
      client_id: 'pre',
      client_secret: 'secret',
    });
    expect((await s.clientInformation({ issuer: A.slice(0, -1) }))?.client_id).toBe('pre');
    // A move to another authorization server never presents it there.
    expect(await s.clientInformation({ issuer: B })).toBeUndefined();
    // Invalidating the client forgets a registration not yet claimed as well.
    await s.saveClientInformation({ client_id: 'pre2' });
    await s.invalidateCredentials('client');
    expect(await s.clientInformation({ issuer: 'http://127.0.0.1:3/' })).toBeUndefined();
  });

  it('invalidates the server last used and the latest set, and keeps the other servers', async () => {
    const store = new MemoryStore();
    const s = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    await s.saveTokens(tokens(A), { issuer: A });
    await s.saveTokens(tokens(B), { issuer: B });
    // Another process uses B and is told its tokens are invalid.
    const other = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    expect((await other.tokens({ issuer: B }))?.access_token).toBe(`at-${B}`);
    await other.invalidateCredentials('tokens');
    expect(await s.tokens({ issuer: B })).toBeUndefined();
    expect(await s.tokens()).toBeUndefined();
    expect((await s.tokens({ issuer: A }))?.access_token).toBe(`at-${A}`);
  });

  it('persists the resource URL and authorization-server URL the SDK hands over', async () => {
    const store = new MemoryStore();
    const s = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    await s.saveResourceUrl('http://127.0.0.1/mcp');
    await s.saveAuthorizationServerUrl(A);
    const t = new McpClientStorage(store, 'http://127.0.0.1/mcp', { allowUnprotectedSecrets: true });
    expect(await t.resourceUrl()).toBe('http://127.0.0.1/mcp');
    expect(await t.authorizationServerUrl()).toBe(A);
  });
});
