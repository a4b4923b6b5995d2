/**
 * An OAuth authorization server for the MCP conformance suite's authorization-server scenarios
 * (`conformance authorization`, 0.2 pre-release): the SDK's `mcpAuthRouter` serving either oauth-kv's
 * PersistentOAuthServerProvider (an OAuthStateStore on an encrypted FileStore in a temp directory) or,
 * as the baseline, the SDK's own in-memory demo provider.
 *
 * Usage: `tsx scripts/conformance/auth-server.ts <oauth-kv|sdk> <v1|legacy> <callback port>`.
 * `v1` is the router of `@modelcontextprotocol/sdk` 1.x, `legacy` the one of
 * `@modelcontextprotocol/server-legacy` 2.x. Pre-registers a public client (PKCE, no secret) whose
 * redirect URI is the suite's callback server, then prints one JSON line
 * `{"issuer", "clientId", "resource"}` and serves until killed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { createOAuthMetadata, mcpAuthRouter as v1Router } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import * as legacyAuth from '@modelcontextprotocol/server-legacy/auth';
import { generateFernetKey } from '../../src/crypto/keys.js';
import {
  advertiseClientIdMetadataDocuments,
  ClientMetadataDocuments,
  OAuthStateStore,
  PersistentOAuthServerProvider,
} from '../../src/integrations/mcp.js';
import { FileStore } from '../../src/stores/file/index.js';
import { withEncryption } from '../../src/wrappers/encryption.js';

const [side, line, callbackPort] = process.argv.slice(2);
if ((side !== 'oauth-kv' && side !== 'sdk') || (line !== 'v1' && line !== 'legacy') || !callbackPort) {
  console.error('usage: auth-server.ts <oauth-kv|sdk> <v1|legacy> <callback port>');
  process.exit(2);
}

const app = createMcpExpressApp({ host: '127.0.0.1' });
const server = await new Promise<Server>((resolve) => {
  const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening)) as Server;
});
const address = server.address();
if (typeof address !== 'object' || address === null) throw new Error('no address');
const issuer = new URL(`http://127.0.0.1:${address.port}/`);
const resource = new URL('/mcp', issuer);

let directory: string | undefined;
let provider: OAuthServerProvider;
if (side === 'oauth-kv') {
  directory = mkdtempSync(join(tmpdir(), 'oauth-kv-conformance-'));
  const store = withEncryption(new FileStore({ directory }), { keys: [generateFernetKey()] });
  provider = new PersistentOAuthServerProvider({
    // Client ID Metadata Documents accepted next to registered clients, as docs/cimd.md sets up.
    state: new OAuthStateStore(store, { clientMetadataDocuments: new ClientMetadataDocuments(store) }),
    approve: () => ({ subject: 'conformance-user' }), // auto-approve: a headless test
    resource,
    ...(line === 'legacy' ? { errors: legacyAuth } : {}),
  });
} else {
  provider = new DemoInMemoryAuthProvider();
}
if (side === 'oauth-kv') {
  // The routers do not advertise Client ID Metadata Documents: serve the metadata with the flag first.
  const options = { provider, issuerUrl: issuer };
  const metadata = advertiseClientIdMetadataDocuments(
    line === 'v1' ? createOAuthMetadata(options) : legacyAuth.createOAuthMetadata(options as never),
  );
  app.get('/.well-known/oauth-authorization-server', (_req: unknown, res: { json(body: unknown): void }) => {
    res.json(metadata);
  });
}
// The two routers' provider types differ only nominally (each SDK line's own copy of the types).
const router =
  line === 'v1'
    ? v1Router({ provider, issuerUrl: issuer })
    : legacyAuth.mcpAuthRouter({ provider: provider as never, issuerUrl: issuer });
app.use(router);

const client: OAuthClientInformationFull = {
  client_id: 'conformance-client',
  client_id_issued_at: Math.floor(Date.now() / 1000),
  client_name: 'MCP conformance suite',
  redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
await provider.clientsStore.registerClient?.(client);

const shutdown = () => {
  server.closeAllConnections();
  server.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
console.log(JSON.stringify({ issuer: issuer.href, clientId: client.client_id, resource: resource.href }));
