import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '../src/crypto/keys.js';
import { InvalidKeyError } from '../src/errors.js';
import {
  OAUTH_CLIENT_COLLECTIONS,
  OAuthClientStorage,
  PersistentOAuthClientProvider,
} from '../src/integrations/mcp.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

const SERVER = 'http://127.0.0.1:8931/mcp';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-client-'));
  dirs.push(dir);
  return dir;
}

const tokens: OAuthTokens = {
  access_token: 'at-secret-value',
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: 'rt-secret-value',
  issuer: 'http://127.0.0.1:8931/',
};
const info: OAuthClientInformationMixed = {
  client_id: 'client-abc',
  client_id_issued_at: 1_700_000_000,
  redirect_uris: ['http://127.0.0.1:8765/callback'],
  token_endpoint_auth_method: 'none',
  issuer: 'http://127.0.0.1:8931/',
};

const provider = (store: MemoryStore | ReturnType<typeof withEncryption>, onRedirect = (_url: URL) => {}) =>
  new PersistentOAuthClientProvider({
    store,
    serverUrl: SERVER,
    redirectUrl: 'http://127.0.0.1:8765/callback',
    clientMetadata: { client_name: 'test', redirect_uris: ['http://127.0.0.1:8765/callback'] },
    onRedirect,
  });

describe('PersistentOAuthClientProvider', () => {
  it('keeps registration, tokens and discovery across store instances and restarts (encrypted FileStore)', async () => {
    const directory = tempDir();
    const key = generateFernetKey();
    const open = () => withEncryption(new FileStore({ directory }), { keys: [key] });

    const first = open();
    const a = provider(first);
    expect(await a.tokens()).toBeUndefined();
    expect(await a.clientInformation()).toBeUndefined();
    await a.saveClientInformation(info);
    await a.saveTokens(tokens);
    await a.saveDiscoveryState({ authorizationServerUrl: 'http://127.0.0.1:8931/' });
    await first.close();

    const second = open();
    const b = provider(second);
    expect(await b.clientInformation()).toEqual(info);
    expect(await b.tokens()).toEqual(tokens);
    expect((await b.discoveryState())?.authorizationServerUrl).toBe('http://127.0.0.1:8931/');
    await second.close();

    // Nothing secret is readable on disk.
    const files = readdirSync(directory, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(join(file.parentPath, file.name), 'utf8');
      expect(text).not.toContain('at-secret-value');
      expect(text).not.toContain('rt-secret-value');
      expect(statSync(join(file.parentPath, file.name)).mode & 0o077).toBe(0);
    }
  });

  it('stores what save* receives unchanged, issuer stamp included', async () => {
    const p = provider(new MemoryStore());
    await p.saveTokens({ ...tokens, id_token: undefined });
    expect(await p.tokens()).toEqual(tokens);
  });

  it('hands the authorization URL to onRedirect', async () => {
    const seen: string[] = [];
    const p = provider(new MemoryStore(), (url) => {
      seen.push(url.href);
    });
    await p.redirectToAuthorization(new URL('http://127.0.0.1:8931/authorize?x=1'));
    expect(seen).toEqual(['http://127.0.0.1:8931/authorize?x=1']);
    expect(p.redirectUrl).toBe('http://127.0.0.1:8765/callback');
    expect(p.clientMetadata.client_name).toBe('test');
    expect(p.state).toBeUndefined();
  });

  it('passes state and clientMetadataUrl through when given', async () => {
    const p = new PersistentOAuthClientProvider({
      store: new MemoryStore(),
      serverUrl: SERVER,
      redirectUrl: undefined,
      clientMetadata: { redirect_uris: [] },
      onRedirect: () => {},
      state: () => 'csrf-1',
      clientMetadataUrl: 'https://app.example/client.json',
    });
    expect(await p.state?.()).toBe('csrf-1');
    expect(p.clientMetadataUrl).toBe('https://app.example/client.json');
  });
});

describe('OAuthClientStorage', () => {
  it('keeps the PKCE code verifier for a short time only', async () => {
    let now = Date.now();
    const storage = new OAuthClientStorage(new MemoryStore({ clock: () => now }), SERVER, {
      codeVerifierTtl: 60,
    });
    await expect(storage.codeVerifier()).rejects.toThrow(/code verifier/);
    await storage.saveCodeVerifier('verifier-1');
    expect(await storage.codeVerifier()).toBe('verifier-1');
    now += 61_000;
    await expect(storage.codeVerifier()).rejects.toThrow(/code verifier/);
  });

  it('forgets exactly what invalidateCredentials names', async () => {
    const storage = new OAuthClientStorage(new MemoryStore(), SERVER);
    const fill = async () => {
      await storage.saveTokens(tokens);
      await storage.saveClientInformation(info);
      await storage.saveCodeVerifier('v');
      await storage.saveDiscoveryState({ authorizationServerUrl: 'http://127.0.0.1:8931/' });
    };
    const present = async () => ({
      tokens: (await storage.tokens()) !== undefined,
      client: (await storage.clientInformation()) !== undefined,
      verifier: await storage.codeVerifier().then(
        () => true,
        () => false,
      ),
      discovery: (await storage.discoveryState()) !== undefined,
    });
    await fill();
    await storage.invalidateCredentials('tokens');
    expect(await present()).toEqual({ tokens: false, client: true, verifier: true, discovery: true });
    await storage.invalidateCredentials('client');
    expect(await present()).toEqual({ tokens: false, client: false, verifier: true, discovery: true });
    await storage.invalidateCredentials('verifier');
    await storage.invalidateCredentials('discovery');
    expect(await present()).toEqual({ tokens: false, client: false, verifier: false, discovery: false });
    await fill();
    await storage.invalidateCredentials('all');
    expect(await present()).toEqual({ tokens: false, client: false, verifier: false, discovery: false });
    await expect(storage.invalidateCredentials('nonsense' as 'all')).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('keys by server URL (without fragment) and by session', async () => {
    const store = new MemoryStore();
    const a = new OAuthClientStorage(store, `${SERVER}#fragment`);
    const other = new OAuthClientStorage(store, 'http://127.0.0.1:8932/mcp');
    const alice = new OAuthClientStorage(store, SERVER, { session: 'alice' });
    await a.saveTokens(tokens);
    expect(a.key).toBe(SERVER);
    expect(await new OAuthClientStorage(store, SERVER).tokens()).toEqual(tokens);
    expect(await other.tokens()).toBeUndefined();
    expect(await alice.tokens()).toBeUndefined();
    await alice.saveTokens({ ...tokens, access_token: 'alice' });
    expect((await a.tokens())?.access_token).toBe('at-secret-value');
    expect(await store.get(SERVER, { collection: OAUTH_CLIENT_COLLECTIONS.tokens })).toBeDefined();
  });

  it('refuses a server URL that is not a URL', () => {
    expect(() => new OAuthClientStorage(new MemoryStore(), 'not a url')).toThrow(InvalidKeyError);
  });
});
