/** A second client process: the 2.x client on the store another process logged in with (DIR, KEY, MCP_URL). */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpOAuthClientProvider } from '../../src/integrations/mcp-v2.js';
import { FileStore } from '../../src/stores/file/index.js';
import { withEncryption } from '../../src/wrappers/encryption.js';

const store = withEncryption(new FileStore({ directory: process.env.DIR as string }), {
  keys: [process.env.KEY as string],
});
const url = new URL(process.env.MCP_URL as string);
const authProvider = new McpOAuthClientProvider({
  store,
  serverUrl: url,
  redirectUrl: 'http://127.0.0.1:8765/callback',
  clientMetadata: { client_name: 'v2 test', redirect_uris: ['http://127.0.0.1:8765/callback'] },
  onRedirect: () => {
    throw new Error('the second process must not log in again');
  },
});
const client = new Client({ name: 'child', version: '1' });
await client.connect(new StreamableHTTPClientTransport(url, { authProvider }));
const result = await client.callTool({ name: 'whoami', arguments: {} });
await client.close();
await store.close();
console.log((result.content as { text: string }[])[0]?.text);
