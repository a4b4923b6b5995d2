/**
 * The names code examples in README.md and docs/ may use without declaring them: objects a real
 * program has made a few lines earlier (a store, a key, a URL). docs/README.md lists them under
 * "About the code examples"; test/docs-snippets.test.ts type-checks every `ts` block with this file
 * in scope, and checks that docs/README.md names every one of them.
 */
import type { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import type { AsyncKeyValue, Fernet } from 'oauth-kv';
import type { FirestoreStore } from 'oauth-kv/firestore';
import type { OAuthStateStore } from 'oauth-kv/mcp';
import type { PostgresStore } from 'oauth-kv/postgres';
import type { RedisStore } from 'oauth-kv/redis';

declare global {
  /** Any store or stack of wrappers: the one the example works on. */
  const store: AsyncKeyValue & AsyncDisposable;
  /** The store a wrapper in the example wraps. */
  const inner: AsyncKeyValue & AsyncDisposable;
  /** Backends made as their own docs show. */
  const redisStore: RedisStore;
  const postgresStore: PostgresStore;
  const firestoreStore: FirestoreStore;
  /** A second store (a read replica, another region) for the fallback wrapper. */
  const replicaStore: AsyncKeyValue;
  /** A Fernet key set, one of its tokens, and Fernet keys (url-safe base64 text). */
  const fernet: Fernet;
  const token: string;
  const key: string;
  const newKey: string;
  const oldKey: string;
  /** The MCP integration's OAuth state store (docs/mcp.md). */
  const state: OAuthStateStore;
  /** The MCP server's public URLs, and the MCP client's OAuth callback. */
  const issuerUrl: URL;
  const mcpUrl: URL;
  const serverUrl: URL;
  const redirectUrl: string;
  /** The MCP server's express app (the MCP SDK's `createMcpExpressApp()`). */
  const app: ReturnType<typeof createMcpExpressApp>;
  /** The parameters of the OAuth request being handled, and an authorization code. */
  const client_id: string;
  const redirect_uri: string;
  const code_challenge: string;
  const code: string;
}
