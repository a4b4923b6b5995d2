/**
 * A ready login for CLI and desktop MCP clients (SDK 1.x; `mcp-login-v2.ts` is the 2.x adapter of the same core): an `OAuthClientProvider` whose state lives in
 * oauth-kv (an encrypted FileStore by default), a loopback callback server on a free port, the
 * browser opened (or the URL printed), and a `connect()` that logs in when the server asks and
 * registers again when the stored registration went stale. The MCP-SDK-specific part is only the
 * provider interface; connecting uses nothing but `client.connect(transport)` and
 * `transport.finishAuth(code)`.
 * @module
 */
import type { OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { PersistentOAuthClientProvider } from './mcp-client.js';
import {
  LoginCore,
  type LoginCoreOptions,
  loginProviderOptions,
  openLogin,
  registrationForRedirect,
} from './mcp-login-core.js';

/**
 * Options of {@link createMcpLogin}.
 *
 * @example
 * ```ts
 * const options: McpLoginOptions = {
 *   serverUrl: 'https://mcp.example.com/mcp',
 *   clientName: 'My CLI',
 *   openBrowser: true, // or (url) => ..., or false to print the URL only
 * };
 * ```
 */
export interface McpLoginOptions extends LoginCoreOptions {
  /** Extra client metadata (`scope`, `logo_uri`, ...). */
  clientMetadata?: Partial<OAuthClientMetadata> | undefined;
}

/**
 * What {@link McpLogin.connect} needs of an MCP SDK transport (the SDK's
 * `StreamableHTTPClientTransport` and `SSEClientTransport` have it).
 *
 * @example
 * ```ts
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { createMcpLogin, type LoginTransport } from 'oauth-kv/mcp';
 *
 * declare const login: Awaited<ReturnType<typeof createMcpLogin>>;
 * const transport: LoginTransport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: login.provider });
 * ```
 */
export interface LoginTransport {
  /** Exchanges the authorization code (SDK: `StreamableHTTPClientTransport.finishAuth`). */
  finishAuth(authorizationCode: string): Promise<void>;
}

/** The provider of a login: see {@link registrationForRedirect}. */
class LoginProvider extends PersistentOAuthClientProvider {
  override async clientInformation() {
    return registrationForRedirect(
      await super.clientInformation(),
      this.redirectUrl,
      async () => (await this.tokens()) !== undefined,
    );
  }
}

/**
 * A login to one MCP server: the provider to give the transport, the loopback callback server, and
 * {@link McpLogin.connect}. Create it with {@link createMcpLogin}; `close()` it when done.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { createMcpLogin } from 'oauth-kv/mcp';
 *
 * const login = await createMcpLogin({ serverUrl: 'https://mcp.example.com/mcp', clientName: 'My CLI' });
 * const client = new Client({ name: 'my-cli', version: '1.0.0' });
 * await login.connect(client, (authProvider) => new StreamableHTTPClientTransport(login.serverUrl, { authProvider }));
 * ```
 */
export class McpLogin extends LoginCore<PersistentOAuthClientProvider, LoginTransport> {
  /** @internal Use {@link createMcpLogin}. */
  constructor(parts: ConstructorParameters<typeof LoginCore>[0] & { options: McpLoginOptions }) {
    super(parts, (p) => new LoginProvider(loginProviderOptions(p, parts.options.clientMetadata)));
  }

  protected override finish(transport: LoginTransport, callback: URLSearchParams): Promise<void> {
    return transport.finishAuth(callback.get('code') ?? '');
  }
}

/**
 * Opens (or creates) the login of one MCP server: the store, the loopback callback server on a
 * free port (the same port as last time when it is free; after a change of port the client registers
 * again with the new redirect URI when it next has to sign in), and the provider. See {@link McpLogin}.
 *
 * @example
 * ```ts
 * import { createMcpLogin } from 'oauth-kv/mcp';
 * const login = await createMcpLogin({ serverUrl: 'http://127.0.0.1:3000/mcp', openBrowser: false });
 * console.log(login.redirectUrl.href); // http://127.0.0.1:<port>/callback
 * ```
 */
export function createMcpLogin(options: McpLoginOptions): Promise<McpLogin> {
  return openLogin('createMcpLogin', options, (parts) => new McpLogin({ ...parts, options }));
}
