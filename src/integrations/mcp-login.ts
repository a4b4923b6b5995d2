/**
 * A ready login for CLI and desktop MCP clients: an `OAuthClientProvider` whose state lives in
 * oauth-kv (an encrypted FileStore by default), a loopback callback server on a free port, the
 * browser opened (or the URL printed), and a `connect()` that logs in when the server asks and
 * registers again when the stored registration went stale. The MCP-SDK-specific part is only the
 * provider interface; connecting uses nothing but `client.connect(transport)` and
 * `transport.finishAuth(code)`.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AsyncKeyValue } from '../contract.js';
import { createStore } from '../create-store.js';
import { generateFernetKey } from '../crypto/keys.js';
import { StoreSetupError } from '../errors.js';
import { PersistentOAuthClientProvider } from './mcp-client.js';

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
export interface McpLoginOptions {
  /** The MCP server URL. */
  serverUrl: string | URL;
  /** `client_name` sent with Dynamic Client Registration (default `"oauth-kv MCP client"`). */
  clientName?: string | undefined;
  /**
   * Where the login lives. Default: an encrypted FileStore in `directory`, keyed by the
   * `OAUTH_KV_KEY` environment variable or else by a key file `login.key` (mode 0600) created there.
   */
  store?: AsyncKeyValue | undefined;
  /** Directory of the default store (default `$XDG_CONFIG_HOME/oauth-kv/mcp-login`, i.e. `~/.config/…`). */
  directory?: string | undefined;
  /**
   * How the user reaches the authorization page: `true` (default) opens the system browser when
   * there is a display and prints the URL either way, `false` only prints it, a function receives the
   * URL (tests and GUIs).
   */
  openBrowser?: boolean | ((authorizationUrl: URL) => void | Promise<void>) | undefined;
  /** Where messages for the user go (default: standard error). */
  print?: ((line: string) => void) | undefined;
  /** Loopback port of the callback (default: the one used last time if free, else any free port). */
  port?: number | undefined;
  /** Longest wait for the user to finish in the browser, in ms (default 300 000). */
  timeoutMs?: number | undefined;
  /** Extra client metadata (`scope`, `logo_uri`, ...). */
  clientMetadata?: Partial<OAuthClientMetadata> | undefined;
  /** Separates several logins to one server in one store. */
  session?: string | undefined;
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

/**
 * The provider of a login: a stored registration made for another redirect URI (the callback port
 * changed) is still used while tokens are stored (refreshing them needs that client), and is
 * ignored once they are gone, so the SDK registers again with the current redirect URI before it
 * sends the user to sign in.
 */
class LoginProvider extends PersistentOAuthClientProvider {
  override async clientInformation() {
    const info = await super.clientInformation();
    const uris = (info as { redirect_uris?: unknown } | undefined)?.redirect_uris;
    const current = String(this.redirectUrl);
    if (info === undefined || !Array.isArray(uris) || uris.includes(current)) return info;
    return (await this.tokens()) === undefined ? undefined : info;
  }
}

/** Collection of the small record that remembers the callback port per server. */
const LOGIN_COLLECTION = 'mcp-client-login';
const CALLBACK_PATH = '/callback';

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
export class McpLogin {
  /** The `OAuthClientProvider` to give the transport. */
  readonly provider: PersistentOAuthClientProvider;
  /** The MCP server URL. */
  readonly serverUrl: URL;
  /** The loopback redirect URI (`http://127.0.0.1:<port>/callback`). */
  readonly redirectUrl: URL;
  readonly #server: Server;
  readonly #store: AsyncKeyValue;
  readonly #ownsStore: boolean;
  readonly #timeoutMs: number;
  readonly #states = new Set<string>();
  #waiter: { resolve: (code: string) => void; reject: (err: Error) => void } | undefined;
  #pending: Promise<string> | undefined;

  /** @internal Use {@link createMcpLogin}. */
  constructor(parts: {
    server: Server;
    port: number;
    store: AsyncKeyValue;
    ownsStore: boolean;
    options: McpLoginOptions;
  }) {
    const { server, port, store, ownsStore, options } = parts;
    this.#server = server;
    this.#store = store;
    this.#ownsStore = ownsStore;
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.serverUrl = new URL(options.serverUrl);
    this.redirectUrl = new URL(`http://127.0.0.1:${port}${CALLBACK_PATH}`);
    const open = opener(options);
    this.provider = new LoginProvider({
      store,
      serverUrl: this.serverUrl,
      session: options.session,
      redirectUrl: this.redirectUrl.href,
      clientMetadata: {
        client_name: options.clientName ?? 'oauth-kv MCP client',
        redirect_uris: [this.redirectUrl.href],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        ...options.clientMetadata,
      },
      state: () => {
        const state = randomBytes(16).toString('base64url');
        this.#states.add(state);
        return state;
      },
      onRedirect: async (url) => {
        this.#expectCode();
        await open(url);
      },
    });
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', this.redirectUrl);
      if (url.pathname !== CALLBACK_PATH) {
        res.writeHead(404).end();
        return;
      }
      const state = url.searchParams.get('state') ?? '';
      const code = url.searchParams.get('code');
      const page = (status: number, text: string) =>
        res
          .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
          .end(`<!doctype html><title>${text}</title><p>${text}</p>`);
      if (!this.#states.delete(state)) {
        page(400, 'This sign-in link is not the one this application started. Start again.');
        return;
      }
      if (code === null) {
        const error = (url.searchParams.get('error') ?? 'no code').replace(/[^\w .-]/g, '');
        page(400, `Sign-in failed (${error}). You can close this window.`);
        this.#settle(new StoreSetupError(`The authorization server refused the sign-in: ${error}`));
        return;
      }
      page(200, 'Signed in. You can close this window and return to the application.');
      this.#settle(code);
    });
  }

  /**
   * Connects `client` through a transport from `makeTransport(provider)`. When the server asks for
   * a login (the SDK calls the provider's redirect), it waits for the browser to come back to the
   * loopback callback, hands the code to `transport.finishAuth`, and connects again with a new
   * transport. Stale stored credentials are forgotten and the client registers again (the SDK's
   * `invalidateCredentials`). Returns the connected transport.
   *
   * @example
   * ```ts
   * const transport = await login.connect(client, (authProvider) =>
   *   new StreamableHTTPClientTransport(login.serverUrl, { authProvider }));
   * ```
   */
  async connect<
    C extends { connect(transport: never): Promise<void> },
    T extends LoginTransport & Parameters<C['connect']>[0],
  >(client: C, makeTransport: (authProvider: PersistentOAuthClientProvider) => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const transport = makeTransport(this.provider);
      this.#pending = undefined;
      try {
        await client.connect(transport as never);
        return transport;
      } catch (err) {
        const pending = this.#pending as Promise<string> | undefined;
        if (pending === undefined || attempt >= 2) throw err;
        await (transport as LoginTransport).finishAuth(await pending);
      }
    }
  }

  /**
   * Forgets the stored tokens (and with `'all'` the registration too): the next `connect()` logs in.
   *
   * @example
   * ```ts
   * await login.logout();
   * ```
   */
  async logout(scope: 'tokens' | 'all' = 'tokens'): Promise<void> {
    await this.provider.invalidateCredentials(scope);
  }

  /**
   * Stops the callback server and closes the store if this login opened it.
   *
   * @example
   * ```ts
   * await login.close();
   * ```
   */
  async close(): Promise<void> {
    this.#settle(new StoreSetupError('The login was closed before the browser came back'));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections?.();
    if (this.#ownsStore) await this.#store.close();
  }

  #expectCode(): void {
    if (this.#waiter !== undefined && this.#pending !== undefined) return;
    this.#pending = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreSetupError('Timed out waiting for the sign-in to finish in the browser')),
        this.#timeoutMs,
      );
      timer.unref();
      this.#waiter = {
        resolve: (code) => {
          clearTimeout(timer);
          resolve(code);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    this.#pending.catch(() => {});
  }

  #settle(outcome: string | Error): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (typeof outcome === 'string') waiter.resolve(outcome);
    else waiter.reject(outcome);
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
export async function createMcpLogin(options: McpLoginOptions): Promise<McpLogin> {
  if (typeof options !== 'object' || options === null)
    throw new StoreSetupError('createMcpLogin needs options');
  try {
    new URL(options.serverUrl);
  } catch {
    throw new StoreSetupError('createMcpLogin serverUrl must be an absolute URL');
  }
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await defaultStore(options.directory));
  try {
    const serverKey = `${new URL(options.serverUrl).href}${options.session === undefined ? '' : `#${options.session}`}`;
    const saved = await store.get(serverKey, { collection: LOGIN_COLLECTION });
    const wanted = options.port ?? (typeof saved?.port === 'number' ? saved.port : 0);
    const { server, port } = await listen(wanted).catch(async (err: unknown) => {
      if (options.port !== undefined) throw err;
      return listen(0);
    });
    if (saved?.port !== port) await store.put(serverKey, { port }, { collection: LOGIN_COLLECTION });
    return new McpLogin({ server, port, store, ownsStore, options });
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}

function listen(port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}

async function defaultStore(directory: string | undefined): Promise<AsyncKeyValue> {
  const dir =
    directory ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'oauth-kv', 'mcp-login');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let keys = (process.env.OAUTH_KV_KEY ?? '').split(',').filter((k) => k.trim().length > 0);
  if (keys.length === 0) {
    const file = join(dir, 'login.key');
    try {
      keys = [readFileSync(file, 'utf8').trim()];
    } catch {
      writeFileSync(file, `${generateFernetKey()}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      keys = [readFileSync(file, 'utf8').trim()];
    }
  }
  return createStore(`file:${join(dir, 'store')}`, { keys, env: {} });
}

/** What to do with the authorization URL. */
function opener(options: McpLoginOptions): (url: URL) => Promise<void> {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const choice = options.openBrowser ?? true;
  if (typeof choice === 'function') return async (url) => choice(url);
  return async (url) => {
    print(`Sign in to ${new URL(url).origin} in your browser: ${url.href}`);
    if (choice && hasDisplay()) openSystemBrowser(url.href);
  };
}

function hasDisplay(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/** Best effort: the URL is printed anyway. */
function openSystemBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener: the printed URL is the fallback
  }
}
