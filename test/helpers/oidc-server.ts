/**
 * Runs a real oidc-provider on a free loopback port with a given adapter, and a few HTTP helpers
 * for its endpoints.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { OidcAdapterConstructor } from '../../src/integrations/oidc-provider.js';

/** One signing key for every replica in a test run. */
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWKS = {
  keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' }],
};

export interface OidcServer {
  readonly url: string;
  /** Server-side errors oidc-provider reported (a failing adapter shows up here). */
  readonly errors: unknown[];
  /** Access tokens issued so far by grant (`client_credentials`, `authorization_code`, ...). */
  readonly grants: Record<string, number>;
  close(): Promise<void>;
}

/** Starts a provider with client credentials, introspection, revocation and registration on. */
export async function startOidcServer(
  adapter: OidcAdapterConstructor,
  options: {
    clientCredentialsTtl?: number;
    /** Accepts RFC 8707 resource indicators this predicate allows (opaque tokens, scopes api:read/api:write). */
    resourceServer?: (resource: string) => boolean;
  } = {},
): Promise<OidcServer> {
  const errors: unknown[] = [];
  const grants: Record<string, number> = {};
  let handler:
    | ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void)
    | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(url, {
    adapter,
    jwks: JWKS,
    cookies: { keys: ['test-cookie-key-shared-by-replicas'] },
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    ttl: {
      AccessToken: 600,
      IdToken: 600,
      RefreshToken: 6000,
      ClientCredentials: options.clientCredentialsTtl ?? 600,
      DeviceCode: 600,
      Session: 600,
      Grant: 6000,
      Interaction: 600,
    },
    rotateRefreshToken: true,
    pkce: { required: () => true },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      registration: { enabled: true },
      deviceFlow: { enabled: true },
      ...(options.resourceServer === undefined
        ? {}
        : {
            resourceIndicators: {
              enabled: true,
              getResourceServerInfo: async (_ctx: unknown, resource: string) => {
                if (!options.resourceServer?.(resource)) throw new Error(`unknown resource ${resource}`);
                return { scope: 'api:read api:write', accessTokenFormat: 'opaque' as const };
              },
            },
          }),
      devInteractions: { enabled: true },
    },
  });
  for (const event of ['server_error', 'grant.error', 'introspection.error', 'registration_create.error']) {
    provider.on(event, (...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      if (event === 'server_error' || (err as { statusCode?: number } | undefined)?.statusCode === 500) {
        errors.push(err ?? args);
      }
    });
  }
  provider.on('grant.success', (ctx: unknown) => {
    const grant = String((ctx as { oidc: { params?: { grant_type?: unknown } } }).oidc.params?.grant_type);
    grants[grant] = (grants[grant] ?? 0) + 1;
  });
  handler = provider.callback();
  let closing: Promise<void> | undefined;
  return {
    url,
    errors,
    grants,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      return closing;
    },
  };
}

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
}

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function call(url: string, init: RequestInit): Promise<HttpResult> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface Registered {
  clientId: string;
  clientSecret: string;
  registrationAccessToken: string;
}

/** Dynamic client registration of a client_credentials client. */
export async function registerClient(
  server: OidcServer,
  metadata: Record<string, unknown> = {},
): Promise<Registered> {
  const { status, body } = await call(`${server.url}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'service',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'api:read api:write',
      ...metadata,
    }),
  });
  if (status !== 201) throw new Error(`registration answered ${status}: ${JSON.stringify(body)}`);
  return {
    clientId: body.client_id as string,
    clientSecret: (body.client_secret as string | undefined) ?? '',
    registrationAccessToken: body.registration_access_token as string,
  };
}

/** A client_credentials grant. */
export function clientCredentials(
  server: OidcServer,
  client: Registered,
  scope = 'api:read',
): Promise<HttpResult> {
  return call(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
}

/** Token introspection (RFC 7662). */
export function introspect(server: OidcServer, client: Registered, token: string): Promise<HttpResult> {
  return call(`${server.url}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
}

/** Token revocation (RFC 7009). */
export function revoke(server: OidcServer, client: Registered, token: string): Promise<HttpResult> {
  return call(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
}

/** Reads a registration back (RFC 7592) with its registration access token. */
export function readRegistration(server: OidcServer, client: Registered): Promise<HttpResult> {
  return call(`${server.url}/reg/${encodeURIComponent(client.clientId)}`, {
    headers: { authorization: `Bearer ${client.registrationAccessToken}` },
  });
}

/** Starts a device authorization (RFC 8628) for a public client. */
export function deviceAuthorization(server: OidcServer, clientId: string): Promise<HttpResult> {
  return call(`${server.url}/device/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, scope: 'openid' }),
  });
}

/** Polls the token endpoint with a device code. */
export function pollDeviceCode(
  server: OidcServer,
  clientId: string,
  deviceCode: string,
): Promise<HttpResult> {
  return call(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: clientId,
      device_code: deviceCode,
    }),
  });
}

/**
 * The device flow's user-code page: GET /device on `formFrom` (creates a session and its xsrf
 * secret), then POST the code to `submitTo` with that session's cookies. Returns the page.
 */
export async function submitUserCode(formFrom: OidcServer, submitTo: OidcServer, userCode: string) {
  const form = await fetch(`${formFrom.url}/device`);
  const html = await form.text();
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  if (!xsrf) throw new Error(`no xsrf in the device form (status ${form.status})`);
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const res = await fetch(`${submitTo.url}/device`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ xsrf, user_code: userCode }),
  });
  return { status: res.status, html: await res.text() };
}

export const CODE_REDIRECT = 'http://127.0.0.1:9/cb';

/** Metadata of a confidential authorization-code client with refresh tokens. */
export const CODE_CLIENT = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [CODE_REDIRECT],
  scope: undefined,
};

/**
 * A browser for oidc-provider's pages: keeps cookies, follows nothing itself, and records every
 * cookie value and interaction uid it sees (bearer-like values the at-rest tests look for).
 */
export class Browser {
  readonly jar = new Map<string, string>();
  readonly interactions = new Set<string>();
  readonly cookieValues = new Set<string>();

  /** GET (or POST `form`) `path` on `server`; returns the status, redirect target and body. */
  async request(server: OidcServer, path: string, form?: Record<string, string>) {
    const res = await fetch(new URL(path, server.url), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form) : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const value = pair!.slice(eq + 1);
      this.jar.set(pair!.slice(0, eq), value);
      if (value.length >= 16) this.cookieValues.add(value);
    }
    const html = await res.text();
    const location = res.headers.get('location') ?? undefined;
    const uid = location === undefined ? undefined : /\/interaction\/([^/?#]+)/.exec(location)?.[1];
    if (uid !== undefined) this.interactions.add(uid);
    return { status: res.status, location, html };
  }

  /** A redirect expected: its target. */
  async redirect(server: OidcServer, path: string, form?: Record<string, string>): Promise<string> {
    const { status, location } = await this.request(server, path, form);
    if (status < 300 || status >= 400 || !location) throw new Error(`${path} answered ${status}`);
    return location;
  }

  /**
   * Logs in as alice and consents through oidc-provider's development interactions, starting at
   * `location` (an interaction), each interaction on `b` and each resumption on `a`; returns the
   * answer of the last resumption (a redirect to the client, or the device flow's success page).
   */
  async interact(a: OidcServer, b: OidcServer, location: string) {
    let answer: { status: number; location: string | undefined; html: string } = {
      status: 303,
      location,
      html: '',
    };
    for (let step = 0; step < 6; step++) {
      const next = answer.location;
      if (next === undefined || !new URL(next, a.url).pathname.startsWith('/interaction/')) break;
      const uid = new URL(next, a.url).pathname.split('/')[2]!;
      const prompt = this.jar.has('_seen_login') ? 'consent' : 'login';
      this.jar.set('_seen_login', '1');
      const resume = await this.redirect(
        b,
        `/interaction/${uid}`,
        prompt === 'login' ? { prompt, login: 'alice' } : { prompt },
      );
      answer = await this.request(a, resume);
    }
    return answer;
  }
}

/**
 * The authorization code flow through oidc-provider's development interactions, hopping between
 * two replicas at every step (authorization on `a`, login and consent on `b`): returns the code,
 * the PKCE verifier and the browser (its cookies and interaction uids).
 */
export async function authorizationCode(
  a: OidcServer,
  b: OidcServer,
  client: Registered,
): Promise<{ code: string; verifier: string; browser: Browser }> {
  const browser = new Browser();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: CODE_REDIRECT,
    scope: 'openid offline_access',
    prompt: 'consent',
    state: 'st',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const { location } = await browser.interact(a, b, await browser.redirect(a, `/auth?${auth}`));
  const url = new URL(location ?? '/', a.url);
  const code = url.searchParams.get('code');
  if (!code)
    throw new Error(`no code in ${url.origin}${url.pathname} (error=${url.searchParams.get('error')})`);
  return { code, verifier, browser };
}

/**
 * Approves a pending device authorization as alice: the user-code form on `a`, the code and the
 * confirmation on `b`, login and consent hopping between them. Returns the browser and the final
 * page.
 */
export async function approveDevice(a: OidcServer, b: OidcServer, userCode: string) {
  const browser = new Browser();
  const xsrfOf = (html: string) => {
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (!xsrf) throw new Error('no xsrf in the device form');
    return xsrf;
  };
  const form = await browser.request(a, '/device');
  const confirm = await browser.request(b, '/device', { xsrf: xsrfOf(form.html), user_code: userCode });
  if (!confirm.html.includes('name="confirm"')) throw new Error(`no confirmation page (${confirm.status})`);
  const started = await browser.redirect(a, '/device', {
    xsrf: xsrfOf(confirm.html),
    user_code: userCode,
    confirm: 'yes',
  });
  const done = await browser.interact(a, b, started);
  return { browser, status: done.status, html: done.html };
}

/** Redeems an authorization code. */
export function redeemCode(server: OidcServer, client: Registered, code: string, verifier: string) {
  return call(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: CODE_REDIRECT,
    }),
  });
}

/** Uses a refresh token. */
export function refresh(server: OidcServer, client: Registered, refreshToken: string) {
  return call(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(client.clientId, client.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}
