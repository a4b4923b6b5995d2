/**
 * Runs a real oidc-provider on a free loopback port with a given adapter, and a few HTTP helpers
 * for its endpoints.
 */
import { generateKeyPairSync } from 'node:crypto';
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
  close(): Promise<void>;
}

/** Starts a provider with client credentials, introspection, revocation and registration on. */
export async function startOidcServer(adapter: OidcAdapterConstructor): Promise<OidcServer> {
  const errors: unknown[] = [];
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
    scopes: ['api:read', 'api:write'],
    ttl: { ClientCredentials: 600, DeviceCode: 600, Session: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      registration: { enabled: true },
      deviceFlow: { enabled: true },
      devInteractions: { enabled: false },
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
  handler = provider.callback();
  let closing: Promise<void> | undefined;
  return {
    url,
    errors,
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
