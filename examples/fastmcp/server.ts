/**
 * A FastMCP server whose OAuth proxy keeps its state (registered clients, transactions, codes,
 * token mappings) in an encrypted oauth-kv FileStore, so a restart loses no registration or login.
 *
 *   npx tsx examples/fastmcp/server.ts          # listens on http://localhost:8080/mcp
 *
 * Point it at your IdP with OAUTH_AUTH_ENDPOINT, OAUTH_TOKEN_ENDPOINT, OAUTH_CLIENT_ID and
 * OAUTH_CLIENT_SECRET. Without them it still starts (Dynamic Client Registration and discovery work
 * offline): register a client, restart the server, and the client is still known:
 *
 *   curl -s -X POST localhost:8080/oauth/register -H 'content-type: application/json' \
 *     -d '{"redirect_uris":["http://localhost:3000/callback"]}'
 *   # restart, then: 200 and the consent page (an unknown client_id gets 400 "Unknown client_id"):
 *   curl -si 'localhost:8080/oauth/authorize?response_type=code&redirect_uri=http://localhost:3000/callback&client_id=<id>'
 *
 * In your project import from 'oauth-kv', 'oauth-kv/file' and 'oauth-kv/fastmcp'.
 */
import { FastMCP, OAuthProvider, requireAuth } from 'fastmcp';
import { generateFernetKey } from '../../src/crypto/keys.js';
import { FastMCPTokenStorage } from '../../src/integrations/fastmcp.js';
import { FileStore } from '../../src/stores/file/index.js';
import { withEncryption } from '../../src/wrappers/encryption.js';

const port = Number(process.env.PORT ?? 8080);
const baseUrl = process.env.BASE_URL ?? `http://localhost:${port}`;

// Keep both secrets in your secret manager, the same on every replica. Random ones work for a
// single run but make every stored value unreadable after a restart.
const storageKey = process.env.OAUTH_KV_KEY ?? generateFernetKey();
const jwtSigningKey = process.env.JWT_SIGNING_KEY ?? 'change-me-to-a-long-random-secret';
if (!process.env.OAUTH_KV_KEY)
  console.warn('OAUTH_KV_KEY is not set: using a one-off key (state will not survive a restart)');

// oauth-kv encrypts every value (Fernet, readable by Python's py-key-value), so FastMCP's own
// encryption layer is turned off with `encryptionKey: false`.
const store = withEncryption(new FileStore({ directory: process.env.OAUTH_KV_DIR ?? './data/fastmcp' }), {
  keys: [storageKey],
});

const server = new FastMCP({
  name: 'oauth-kv FastMCP example',
  version: '1.0.0',
  auth: new OAuthProvider({
    baseUrl,
    authorizationEndpoint: process.env.OAUTH_AUTH_ENDPOINT ?? 'https://idp.example.com/authorize',
    tokenEndpoint: process.env.OAUTH_TOKEN_ENDPOINT ?? 'https://idp.example.com/token',
    clientId: process.env.OAUTH_CLIENT_ID ?? 'upstream-client-id',
    clientSecret: process.env.OAUTH_CLIENT_SECRET ?? 'upstream-client-secret',
    scopes: ['openid', 'profile'],
    allowedRedirectUriPatterns: ['http://localhost:*', 'http://127.0.0.1:*'],
    jwtSigningKey,
    encryptionKey: false,
    tokenStorage: new FastMCPTokenStorage(store),
  }),
});

server.addTool({
  name: 'whoami',
  description: 'Says whether the caller is signed in',
  canAccess: requireAuth,
  execute: async () => 'You are signed in through the OAuth proxy.',
});

await server.start({ transportType: 'httpStream', httpStream: { port } });
console.log(`FastMCP on ${baseUrl}/mcp, OAuth state in ${process.env.OAUTH_KV_DIR ?? './data/fastmcp'}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await server.stop();
    await store.close();
    process.exit(0);
  });
}
