/**
 * The SDK-independent core of the MCP client login helper, shared by the 1.x (`oauth-kv/mcp`) and
 * 2.x (`oauth-kv/mcp-v2`) adapters: the default encrypted FileStore, the loopback callback server
 * on a free port (the port remembered per server), the `state` check, opening the browser or
 * printing the URL, and the connect loop (connect, wait for the browser, finish, connect again).
 * Each adapter supplies its SDK's provider and how its transport's `finishAuth` takes the callback.
 * Internal.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AsyncKeyValue } from '../contract.js';
import { createStore } from '../create-store.js';
import { generateFernetKey } from '../crypto/keys.js';
import { StoreSetupError } from '../errors.js';

/** The options both SDK lines' login helpers take (each adapter adds its SDK's client metadata type). */
export interface LoginCoreOptions {
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
  /** Separates several logins to one server in one store. */
  session?: string | undefined;
}

/** What a login's provider is built from (the adapter makes its SDK's provider of it). */
export interface LoginProviderParts {
  store: AsyncKeyValue;
  serverUrl: URL;
  redirectUrl: string;
  session: string | undefined;
  /** The client metadata every login registers with (before the user's extra metadata). */
  baseMetadata: {
    client_name: string;
    redirect_uris: string[];
    token_endpoint_auth_method: 'none';
    grant_types: string[];
    response_types: string[];
  };
  state: () => string;
  onRedirect: (url: URL) => Promise<void>;
}

/**
 * The options of a login's provider that both SDK lines take: `parts` with the user's extra client
 * metadata over the base metadata.
 */
export function loginProviderOptions<Metadata extends object>(
  parts: LoginProviderParts,
  clientMetadata: Partial<Metadata> | undefined,
) {
  return {
    store: parts.store,
    serverUrl: parts.serverUrl,
    session: parts.session,
    redirectUrl: parts.redirectUrl,
    clientMetadata: { ...parts.baseMetadata, ...clientMetadata },
    state: parts.state,
    onRedirect: parts.onRedirect,
  };
}

/** What the core needs of a provider. */
export interface LoginProviderLike {
  invalidateCredentials(scope: 'tokens' | 'all'): Promise<void>;
}

/**
 * A stored registration made for another redirect URI (the callback port changed) is still used
 * while tokens are stored (refreshing them needs that client), and is ignored once they are gone,
 * so the SDK registers again with the current redirect URI before it sends the user to sign in.
 */
export async function registrationForRedirect<Info>(
  info: Info | undefined,
  redirectUrl: string | URL | undefined,
  hasTokens: () => Promise<boolean>,
): Promise<Info | undefined> {
  const uris = (info as { redirect_uris?: unknown } | undefined)?.redirect_uris;
  if (info === undefined || !Array.isArray(uris) || uris.includes(String(redirectUrl))) return info;
  return (await hasTokens()) ? info : undefined;
}

/** Collection of the small record that remembers the callback port per server. */
const LOGIN_COLLECTION = 'mcp-client-login';
const CALLBACK_PATH = '/callback';

/**
 * A login to one MCP server, for either SDK line: the provider to give the transport, the loopback
 * callback server, and `connect`. `Transport` is what `connect` needs of the SDK's transport.
 */
export abstract class LoginCore<Provider extends LoginProviderLike, Transport> {
  /** The `OAuthClientProvider` to give the transport. */
  readonly provider: Provider;
  /** The MCP server URL. */
  readonly serverUrl: URL;
  /** The loopback redirect URI (`http://127.0.0.1:<port>/callback`). */
  readonly redirectUrl: URL;
  readonly #server: Server;
  readonly #store: AsyncKeyValue;
  readonly #ownsStore: boolean;
  readonly #timeoutMs: number;
  readonly #states = new Set<string>();
  #waiter: { resolve: (params: URLSearchParams) => void; reject: (err: Error) => void } | undefined;
  #pending: Promise<URLSearchParams> | undefined;

  /** @internal */
  constructor(parts: LoginParts, makeProvider: (parts: LoginProviderParts) => Provider) {
    const { server, port, store, ownsStore, options } = parts;
    this.#server = server;
    this.#store = store;
    this.#ownsStore = ownsStore;
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.serverUrl = new URL(options.serverUrl);
    this.redirectUrl = new URL(`http://127.0.0.1:${port}${CALLBACK_PATH}`);
    const open = opener(options);
    this.provider = makeProvider({
      store,
      serverUrl: this.serverUrl,
      session: options.session,
      redirectUrl: this.redirectUrl.href,
      baseMetadata: {
        client_name: options.clientName ?? 'oauth-kv MCP client',
        redirect_uris: [this.redirectUrl.href],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      state: () => {
        const state = randomBytes(16).toString('base64url');
        this.#states.add(state);
        return state;
      },
      onRedirect: async (url) => {
        this.#expectCallback();
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
      this.#settle(url.searchParams);
    });
  }

  /** Hands the callback to the transport (1.x: the code; 2.x: the callback's parameters). */
  protected abstract finish(transport: Transport, callback: URLSearchParams): Promise<void>;

  /**
   * Connects `client` through a transport from `makeTransport(provider)`. When the server asks for
   * a login (the SDK calls the provider's redirect), it waits for the browser to come back to the
   * loopback callback, hands it to `transport.finishAuth` (SDK 1.x: the code; SDK 2.x: the
   * callback's parameters, so the SDK checks `iss` before it redeems the code), and connects again
   * with a new transport. Stale stored credentials are forgotten and the client registers again
   * (the SDK's `invalidateCredentials`). Returns the connected transport.
   *
   * @example
   * ```ts
   * const transport = await login.connect(client, (authProvider) =>
   *   new StreamableHTTPClientTransport(login.serverUrl, { authProvider }));
   * ```
   */
  async connect<
    C extends { connect(transport: never): Promise<void> },
    T extends Transport & Parameters<C['connect']>[0],
  >(client: C, makeTransport: (authProvider: Provider) => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const transport = makeTransport(this.provider);
      this.#pending = undefined;
      try {
        await client.connect(transport as never);
        return transport;
      } catch (err) {
        const pending = this.#pending as Promise<URLSearchParams> | undefined;
        if (pending === undefined || attempt >= 2) throw err;
        await this.finish(transport, await pending);
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

  #expectCallback(): void {
    if (this.#waiter !== undefined && this.#pending !== undefined) return;
    this.#pending = new Promise<URLSearchParams>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreSetupError('Timed out waiting for the sign-in to finish in the browser')),
        this.#timeoutMs,
      );
      timer.unref();
      this.#waiter = {
        resolve: (params) => {
          clearTimeout(timer);
          resolve(params);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    this.#pending.catch(() => {});
  }

  #settle(outcome: URLSearchParams | Error): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }
}

/** The store and listening callback server of a login, before its provider exists. */
export interface LoginParts {
  server: Server;
  port: number;
  store: AsyncKeyValue;
  ownsStore: boolean;
  options: LoginCoreOptions;
}

/**
 * Opens the store (the default encrypted FileStore unless given) and the loopback callback server
 * (the port used last time for this server when free), then builds the login with `make`.
 */
export async function openLogin<L>(
  name: string,
  options: LoginCoreOptions,
  make: (parts: LoginParts) => L,
): Promise<L> {
  if (typeof options !== 'object' || options === null) throw new StoreSetupError(`${name} needs options`);
  try {
    new URL(options.serverUrl);
  } catch {
    throw new StoreSetupError(`${name} serverUrl must be an absolute URL`);
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
    try {
      return make({ server, port, store, ownsStore, options });
    } catch (err) {
      server.close();
      throw err;
    }
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
function opener(options: LoginCoreOptions): (url: URL) => Promise<void> {
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
