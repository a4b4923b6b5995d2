/**
 * The ready login for CLI and desktop MCP clients on the MCP TypeScript SDK 2.x
 * (`@modelcontextprotocol/client`): the same helper as `oauth-kv/mcp`'s `createMcpLogin` (encrypted
 * FileStore by default, loopback callback on a free port, browser or printed URL, registering again
 * when the stored registration went stale), with the 2.x provider ({@link McpOAuthClientProvider}:
 * tokens and registrations per authorization server) and the 2.x `finishAuth(callbackParams)`, so the
 * SDK checks the callback's `iss` (RFC 9207) before it redeems the code.
 * @module
 */
import type { OAuthClientMetadata, StoredOAuthClientInformation } from '@modelcontextprotocol/client';
import { McpOAuthClientProvider } from './mcp-client-v2.js';
import {
  LoginCore,
  type LoginCoreOptions,
  type LoginParts,
  loginProviderOptions,
  openLogin,
  registrationForRedirect,
} from './mcp-login-core.js';

/**
 * Options of the 2.x {@link createMcpLogin}.
 *
 * @example
 * ```ts
 * import type { McpLoginOptions } from 'oauth-kv/mcp-v2';
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
  /** Accept a given `store` without encryption (see `McpClientStorageOptions.allowUnprotectedSecrets`). */
  allowUnprotectedSecrets?: boolean | undefined;
}

/**
 * What the 2.x {@link McpLogin.connect} needs of a transport (the 2.x SDK's
 * `StreamableHTTPClientTransport` and `SSEClientTransport` have it).
 *
 * @example
 * ```ts
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
 * import { createMcpLogin, type LoginTransport } from 'oauth-kv/mcp-v2';
 *
 * declare const login: Awaited<ReturnType<typeof createMcpLogin>>;
 * const transport: LoginTransport = new StreamableHTTPClientTransport(login.serverUrl, { authProvider: login.provider });
 * ```
 */
export interface LoginTransport {
  /** Checks the callback's `iss` and exchanges its code (SDK 2.x: `StreamableHTTPClientTransport.finishAuth`). */
  finishAuth(callbackParams: URLSearchParams): Promise<void>;
}

/** The provider of a 2.x login: see `registrationForRedirect`. */
class LoginProvider extends McpOAuthClientProvider {
  override async clientInformation(ctx?: {
    issuer: string;
  }): Promise<StoredOAuthClientInformation | undefined> {
    return registrationForRedirect(
      await super.clientInformation(ctx),
      this.redirectUrl,
      async () => (await this.tokens(ctx)) !== undefined,
    );
  }
}

/**
 * A login to one MCP server through the 2.x SDK: the provider to give the transport, the loopback
 * callback server, and {@link McpLogin.connect}. Create it with {@link createMcpLogin}; `close()` it
 * when done.
 *
 * @example
 * ```ts
 * import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
 * import { createMcpLogin } from 'oauth-kv/mcp-v2';
 *
 * const login = await createMcpLogin({ serverUrl: 'https://mcp.example.com/mcp', clientName: 'My CLI' });
 * const client = new Client({ name: 'my-cli', version: '1.0.0' });
 * await login.connect(client, (authProvider) => new StreamableHTTPClientTransport(login.serverUrl, { authProvider }));
 * ```
 */
export class McpLogin extends LoginCore<McpOAuthClientProvider, LoginTransport> {
  /** @internal Use {@link createMcpLogin}. */
  constructor(parts: LoginParts & { options: McpLoginOptions }) {
    super(
      parts,
      (p) =>
        new LoginProvider({
          ...loginProviderOptions(p, parts.options.clientMetadata),
          allowUnprotectedSecrets: parts.options.allowUnprotectedSecrets,
        }),
    );
  }

  protected override finish(transport: LoginTransport, callback: URLSearchParams): Promise<void> {
    return transport.finishAuth(callback);
  }
}

/**
 * Opens (or creates) the 2.x login of one MCP server: the store (an encrypted FileStore by
 * default), the loopback callback server on a free port (the same port as last time when free), and
 * the provider. See {@link McpLogin}.
 *
 * @example
 * ```ts
 * import { createMcpLogin } from 'oauth-kv/mcp-v2';
 * const login = await createMcpLogin({ serverUrl: 'http://127.0.0.1:3000/mcp', openBrowser: false });
 * console.log(login.redirectUrl.href); // http://127.0.0.1:<port>/callback
 * ```
 */
export function createMcpLogin(options: McpLoginOptions): Promise<McpLogin> {
  return openLogin('createMcpLogin', options, (parts) => new McpLogin({ ...parts, options }));
}
