/**
 * A runnable MCP client that stays logged in across restarts: its registration, tokens, PKCE
 * verifier and discovery state live in an encrypted oauth-kv store.
 *
 *   OAUTH_KV_KEYS=<fernet key> npx tsx examples/mcp-client/client.ts http://127.0.0.1:3000/mcp
 *
 * The first run prints an authorization URL: open it in a browser. The server redirects back to
 * http://127.0.0.1:8765/callback, where this process is listening. Run it again: no login.
 *
 * Environment: OAUTH_KV_KEYS (Fernet keys, newest first; required), OAUTH_KV_DIR (default
 * ./.oauth-kv-example/client).
 *
 * In your project, import from 'oauth-kv', 'oauth-kv/mcp', 'oauth-kv/file', ... instead of ../../src.
 */
import { createServer } from 'node:http';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PersistentOAuthClientProvider } from '../../src/integrations/mcp.js';
import { FileStore } from '../../src/stores/file/index.js';
import { withEncryption } from '../../src/wrappers/encryption.js';

const serverUrl = process.argv[2] ?? 'http://127.0.0.1:3000/mcp';
const keys = (process.env.OAUTH_KV_KEYS ?? '').split(',').filter(Boolean);
if (keys.length === 0) {
  console.error(
    'Set OAUTH_KV_KEYS to one or more Fernet keys (generateFernetKey() from oauth-kv makes one).',
  );
  process.exit(2);
}
const redirectUrl = 'http://127.0.0.1:8765/callback';

/** Waits for the browser to come back to the redirect URI; resolves with the code. */
function waitForCallback(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', redirectUrl);
      const code = url.searchParams.get('code');
      res.end(code ? 'Logged in. You can close this tab.' : 'Authorization failed.');
      server.close();
      if (code) resolve(code);
      else reject(new Error(`Authorization failed: ${url.searchParams.get('error') ?? 'no code'}`));
    });
    server.listen(8765, '127.0.0.1');
  });
}

// The three lines: store, provider, transport.
const store = withEncryption(
  new FileStore({ directory: process.env.OAUTH_KV_DIR ?? './.oauth-kv-example/client' }),
  { keys },
);
let callback: Promise<string> | undefined;
const authProvider = new PersistentOAuthClientProvider({
  store,
  serverUrl,
  redirectUrl,
  clientMetadata: {
    client_name: 'oauth-kv example client',
    redirect_uris: [redirectUrl],
    token_endpoint_auth_method: 'none',
  },
  onRedirect: (url) => {
    callback = waitForCallback();
    console.log(`Open this URL to log in:\n  ${url.href}`);
  },
});

const client = new Client({ name: 'oauth-kv-example-client', version: '1.0.0' });
for (let attempt = 0; ; attempt++) {
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider });
  try {
    await client.connect(transport);
    break;
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || callback === undefined || attempt > 0) throw err;
    await transport.finishAuth(await callback);
  }
}
console.log((await client.callTool({ name: 'whoami', arguments: {} })).content);
console.log(`Client ${(await authProvider.clientInformation())?.client_id}; run me again: no login needed.`);
await client.close();
await store.close();
