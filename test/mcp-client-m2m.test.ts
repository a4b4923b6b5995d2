/**
 * Machine-to-machine MCP clients: `PersistentClientCredentialsProvider` (SDK 1.x) and
 * `McpClientCredentialsProvider` (SDK 2.x) with the real SDK clients against a real MCP server (2.x
 * McpServer + requireBearerAuth with CachedTokenVerifier introspecting at the authorization server)
 * and a real oidc-provider issuing client-credentials tokens (3 s lifetime) to clients that
 * authenticate with `client_secret_basic` or `private_key_jwt` (our node:crypto assertion, verified
 * by oidc-provider against the registered public JWK). Two store instances share one token; once it
 * expires one new token is fetched and shared again; nothing readable at rest; bad configuration is
 * refused with a typed error that never echoes key material; credentials bound to an issuer are
 * never sent to another authorization server.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { StoreSetupError } from '../src/errors.js';
import { PersistentClientCredentialsProvider } from '../src/integrations/mcp.js';
import type { ClientCredentialsCoreOptions } from '../src/integrations/mcp-client-m2m.js';
import { CachedTokenVerifier, McpClientCredentialsProvider } from '../src/integrations/mcp-v2.js';
import { createOidcAdapter } from '../src/integrations/oidc-provider.js';
import { FileStore } from '../src/stores/file/index.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { startV2ResourceServer, type V2ResourceServer } from './helpers/mcp-v2-resource.js';
import {
  type OidcServer,
  type Registered,
  registerClient,
  revoke,
  startOidcServer,
} from './helpers/oidc-server.js';

const TOKEN_TTL = 3;
const dirs: string[] = [];
let as: OidcServer;
let rs: V2ResourceServer;
let secretClient: Registered;
let jwtClient: Registered;
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPem = ecKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

beforeAll(async () => {
  as = await startOidcServer(
    createOidcAdapter(withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: generateFernetKey() })),
    { clientCredentialsTtl: TOKEN_TTL, resourceServer: (resource) => resource === rs?.mcpUrl.href },
  );
  const resource = await registerClient(as, { client_name: 'mcp-resource-server' });
  secretClient = await registerClient(as, { client_name: 'job-secret' });
  jwtClient = await registerClient(as, {
    client_name: 'job-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...ecKey.publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256' }] },
  });
  const verifier = new CachedTokenVerifier({
    store: withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: generateFernetKey() }),
    introspectionEndpoint: `${as.url}/token/introspection`,
    clientId: resource.clientId,
    clientSecret: resource.clientSecret,
    maxCacheAge: 1,
    invalidToken: (message) => new OAuthError(OAuthErrorCode.InvalidToken, message),
  });
  rs = await startV2ResourceServer({ authorizationServer: as.url, verifier });
});
afterAll(async () => {
  await rs?.close();
  await as?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

type Options = ClientCredentialsCoreOptions;

const lines = [
  {
    sdk: '@modelcontextprotocol/sdk 1.x',
    call: async (options: Options) => {
      const authProvider = new PersistentClientCredentialsProvider(options);
      const client = new ClientV1({ name: 'job', version: '1.0.0' });
      await client.connect(new TransportV1(rs.mcpUrl, { authProvider }));
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      await client.close();
      return {
        text: (result.content as { text: string }[])[0]?.text,
        token: (await authProvider.tokens())?.access_token,
      };
    },
  },
  {
    sdk: '@modelcontextprotocol/client 2.x',
    call: async (options: Options) => {
      const authProvider = new McpClientCredentialsProvider(options);
      const client = new ClientV2({ name: 'job', version: '1.0.0' });
      await client.connect(new TransportV2(rs.mcpUrl, { authProvider }));
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      await client.close();
      return {
        text: (result.content as { text: string }[])[0]?.text,
        token: (await authProvider.tokens({ issuer: as.url }))?.access_token,
      };
    },
  },
];

const methods = [
  {
    method: 'client_secret_basic',
    client: () => secretClient,
    credentials: (): Partial<Options> => ({ clientSecret: secretClient.clientSecret }),
  },
  {
    method: 'private_key_jwt',
    client: () => jwtClient,
    credentials: (): Partial<Options> => ({ privateKey: ecPem }),
  },
];

const grants = () => as.grants.client_credentials ?? 0;

describe.each(lines)('client credentials with $sdk', ({ call }) => {
  test.each(methods)(
    '$method: a token shared by two store instances, a new one after expiry, nothing readable at rest',
    async ({ client, credentials }) => {
      const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-m2m-'));
      dirs.push(directory);
      const key = generateFernetKey();
      const open = () => withEncryption(new FileStore({ directory }), { keys: [key] });
      const a = open();
      const b = open();
      const options = (store: AsyncKeyValue): Options => ({
        store,
        serverUrl: rs.mcpUrl,
        clientId: client().clientId,
        scope: 'api:read',
        expectedIssuer: as.url,
        ...credentials(),
      });
      const before = grants();
      const first = await call(options(a));
      expect(first.text).toBe(`client ${client().clientId}`);
      expect(grants()).toBe(before + 1);
      // A second process (its own store instance on the same files) uses the stored token.
      const second = await call(options(b));
      expect(second.token).toBe(first.token);
      expect(grants()).toBe(before + 1);
      // At rest: no token, no client secret, no key material (the client id names the record, as a server URL does).
      for (const file of readdirSync(directory, { recursive: true, withFileTypes: true })) {
        if (!file.isFile()) continue;
        const content = readFileSync(join(file.parentPath, file.name), 'utf8');
        expect(content).not.toContain(first.token as string);
        expect(content).not.toContain(secretClient.clientSecret);
        expect(content).not.toContain(ecPem.split('\n')[1]);
        expect(content).toContain('__encrypted_data__');
      }
      // The token expires: the next call fetches exactly one new token, which the other instance reuses.
      await new Promise((r) => setTimeout(r, TOKEN_TTL * 1000 + 300));
      const third = await call(options(b));
      expect(third.text).toBe(`client ${client().clientId}`);
      expect(third.token).not.toBe(first.token);
      expect(grants()).toBe(before + 2);
      const fourth = await call(options(a));
      expect(fourth.token).toBe(third.token);
      expect(grants()).toBe(before + 2);
      await a.close();
      await b.close();
    },
    30_000,
  );

  test('a token the authorization server revoked: the 401 makes the SDK fetch a new one, stored for everyone', async () => {
    const store = withEncryption(new MemoryStore(), { keys: generateFernetKey() });
    const options: Options = {
      store,
      serverUrl: rs.mcpUrl,
      clientId: secretClient.clientId,
      clientSecret: secretClient.clientSecret,
      scope: 'api:read',
      expectedIssuer: as.url,
    };
    const first = await call(options);
    expect((await revoke(as, secretClient, first.token as string)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100)); // the MCP server's verification cache (maxCacheAge 1 s)
    const before = grants();
    const refusals = rs.refusals();
    const second = await call(options);
    expect(second.text).toBe(`client ${secretClient.clientId}`);
    expect(second.token).not.toBe(first.token);
    expect(rs.refusals()).toBeGreaterThan(refusals); // the revoked token was refused, then replaced
    expect(grants()).toBe(before + 1);
  }, 30_000);

  test('credentials bound to another issuer are never sent: no token request reaches the authorization server', async () => {
    const before = grants();
    await expect(
      call({
        store: new MemoryStore(),
        allowUnprotectedSecrets: true,
        serverUrl: rs.mcpUrl,
        clientId: secretClient.clientId,
        clientSecret: secretClient.clientSecret,
        expectedIssuer: 'https://other-issuer.example',
      }),
    ).rejects.toThrow();
    expect(grants()).toBe(before);
  });
});

describe('client-credentials configuration', () => {
  const base = {
    store: withEncryption(new MemoryStore(), { keys: generateFernetKey() }),
    serverUrl: 'https://mcp.example.com/mcp',
    clientId: 'job',
  };
  test.each([
    ['neither secret nor key', {}, /exactly one/],
    ['both secret and key', { clientSecret: 's', privateKey: ecPem }, /exactly one/],
    [
      'a method that does not fit',
      { clientSecret: 's', tokenEndpointAuthMethod: 'private_key_jwt' },
      /tokenEndpointAuthMethod/,
    ],
    [
      'a key of the wrong kind for the algorithm',
      { privateKey: ecPem, algorithm: 'RS256' },
      /cannot sign RS256/,
    ],
    ['an unknown algorithm', { privateKey: ecPem, algorithm: 'HS256' }, /Unsupported/],
    ['an empty client id', { clientId: '', clientSecret: 's' }, /clientId/],
  ] as const)('%s is a StoreSetupError', (_name, extra, message) => {
    for (const Provider of [PersistentClientCredentialsProvider, McpClientCredentialsProvider]) {
      expect(() => new Provider({ ...base, ...(extra as Partial<Options>) })).toThrow(StoreSetupError);
      expect(() => new Provider({ ...base, ...(extra as Partial<Options>) })).toThrow(message);
    }
  });

  test('a malformed private key is refused without echoing it', () => {
    const bad = `-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL${'A'.repeat(40)}\n-----END PRIVATE KEY-----`;
    for (const Provider of [PersistentClientCredentialsProvider, McpClientCredentialsProvider]) {
      let error: unknown;
      try {
        new Provider({ ...base, privateKey: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StoreSetupError);
      expect(String((error as Error).message)).not.toContain('TOPSECRET');
    }
  });

  test('a public key is refused', () => {
    expect(() => new McpClientCredentialsProvider({ ...base, privateKey: ecKey.publicKey })).toThrow(
      /private key/,
    );
  });

  test('a store without encryption is refused unless allowUnprotectedSecrets', () => {
    const plain = { ...base, store: new MemoryStore(), clientSecret: 's' };
    expect(() => new PersistentClientCredentialsProvider(plain)).toThrow(/withEncryption/);
    expect(() => new McpClientCredentialsProvider(plain)).toThrow(/withEncryption/);
    expect(
      new McpClientCredentialsProvider({ ...plain, allowUnprotectedSecrets: true }).redirectUrl,
    ).toBeUndefined();
  });
});
