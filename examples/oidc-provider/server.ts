/**
 * panva's oidc-provider with every stateful artifact (sessions, grants, codes, tokens, dynamically
 * registered clients, interactions) in an encrypted oauth-kv FileStore: restart it, and clients
 * and tokens are still valid. Swap FileStore for PostgresStore or RedisStore to share the state
 * between replicas.
 *
 *   OAUTH_KV_KEY=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))") \
 *     npx tsx examples/oidc-provider/server.ts     # listens on http://localhost:3000
 *
 *   # register a machine client (Dynamic Client Registration)
 *   curl -s localhost:3000/reg -H 'content-type: application/json' -d '{"grant_types":["client_credentials"],
 *     "response_types":[],"redirect_uris":[],"token_endpoint_auth_method":"client_secret_basic","scope":"api:read"}'
 *   # get a token, then introspect it (also after a restart)
 *   curl -s -u "$CLIENT_ID:$CLIENT_SECRET" localhost:3000/token -d grant_type=client_credentials -d scope=api:read
 *   curl -s -u "$CLIENT_ID:$CLIENT_SECRET" localhost:3000/token/introspection -d token=$ACCESS_TOKEN
 *
 * In your project import from 'oauth-kv', 'oauth-kv/file' and 'oauth-kv/oidc-provider'.
 */
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { generateFernetKey } from '../../src/crypto/keys.js';
import { createOidcAdapter } from '../../src/integrations/oidc-provider.js';
import { FileStore } from '../../src/stores/file/index.js';
import { withEncryption } from '../../src/wrappers/encryption.js';

const port = Number(process.env.PORT ?? 3000);
const issuer = process.env.ISSUER ?? `http://localhost:${port}`;
const directory = process.env.OAUTH_KV_DIR ?? './data/oidc-provider';
if (!process.env.OAUTH_KV_KEY)
  console.warn('OAUTH_KV_KEY is not set: using a one-off key (state will not survive a restart)');

const store = withEncryption(new FileStore({ directory }), {
  keys: [process.env.OAUTH_KV_KEY ?? generateFernetKey()],
});

const provider = new Provider(issuer, {
  adapter: createOidcAdapter(store, { clockTolerance: 5 }),
  // Production needs your own signing keys (jwks) and cookie keys, the same on every replica.
  cookies: { keys: [process.env.COOKIE_KEY ?? 'change-me-cookie-key'] },
  scopes: ['api:read'],
  ttl: { ClientCredentials: 3600 },
  features: {
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
});

const server = createServer(provider.callback()).listen(port, () => {
  console.log(`oidc-provider on ${issuer}, state in ${directory}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(async () => {
      await store.close();
      process.exit(0);
    });
    server.closeAllConnections();
  });
}
