/**
 * A tiny upstream OAuth provider for FastMCP's OAuthProxy tests: a token endpoint on a free
 * loopback port that swaps any authorization code or refresh token for fresh opaque tokens, plus
 * helpers that walk a client through register → authorize → callback → token.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OAuthProxy, type OAuthProxyConfig, PKCEUtils } from 'fastmcp/auth';

export interface Upstream {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** How many token requests arrived (authorization_code, refresh_token). */
  readonly calls: { authorization_code: number; refresh_token: number };
  /** Every upstream token it issued and every PKCE verifier the proxy sent it (bearer values). */
  readonly issued: string[];
  close(): Promise<void>;
}

/** Starts the upstream token endpoint on 127.0.0.1 with a free port. */
export async function startUpstream(): Promise<Upstream> {
  const calls = { authorization_code: 0, refresh_token: 0 };
  const issued: string[] = [];
  let counter = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const grant = params.get('grant_type');
      if (
        req.method !== 'POST' ||
        req.url !== '/token' ||
        (grant !== 'authorization_code' && grant !== 'refresh_token')
      ) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_request' }));
        return;
      }
      calls[grant]++;
      counter++;
      const verifier = params.get('code_verifier');
      if (verifier) issued.push(verifier);
      // Numbered (tests check which one a mapping leads to) and random (scans look for them).
      const access = `upstream-access-${counter}-${randomBytes(12).toString('base64url')}`;
      const refresh = `upstream-refresh-${counter}-${randomBytes(12).toString('base64url')}`;
      issued.push(access, refresh);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: access,
          refresh_token: refresh,
          expires_in: 3600,
          token_type: 'Bearer',
          scope: 'openid profile',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    issued,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** OAuthProxy options shared by every replica in a test (same keys, same upstream). */
export function proxyConfig(upstream: Upstream, overrides: Partial<OAuthProxyConfig> = {}): OAuthProxyConfig {
  return {
    baseUrl: 'http://127.0.0.1:9',
    upstreamAuthorizationEndpoint: `${upstream.url}/authorize`,
    upstreamTokenEndpoint: `${upstream.url}/token`,
    upstreamClientId: 'upstream-client',
    upstreamClientSecret: 'upstream-secret',
    consentRequired: false,
    jwtSigningKey: 'test-jwt-signing-key-shared-by-all-replicas',
    consentSigningKey: 'test-consent-signing-key',
    encryptionKey: false,
    ...overrides,
  };
}

export const CLIENT_REDIRECT = 'http://127.0.0.1:7777/callback';

/** Registers a client through `proxy` (RFC 7591 DCR). */
export async function registerClient(proxy: OAuthProxy): Promise<{ clientId: string; clientSecret: string }> {
  const reg = await proxy.registerClient({ redirect_uris: [CLIENT_REDIRECT], client_name: 'Test client' });
  return { clientId: reg.client_id, clientSecret: reg.client_secret ?? '' };
}

/**
 * Runs authorize on `authorizeOn` and the upstream callback on `callbackOn`; returns the client's
 * authorization code and PKCE verifier, and the proxy's transaction id (the upstream `state`).
 */
export async function obtainCode(
  authorizeOn: OAuthProxy,
  callbackOn: OAuthProxy,
  clientId: string,
): Promise<{ code: string; verifier: string; transactionId: string }> {
  const pkce = PKCEUtils.generatePair('S256');
  const auth = await authorizeOn.authorize({
    client_id: clientId,
    redirect_uri: CLIENT_REDIRECT,
    response_type: 'code',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: 'client-state',
  });
  const upstreamRedirect = auth.headers.get('location');
  if (auth.status !== 302 || !upstreamRedirect) throw new Error(`authorize answered ${auth.status}`);
  const transactionId = new URL(upstreamRedirect).searchParams.get('state') ?? '';
  const callback = await callbackOn.handleCallback(
    new Request(`http://127.0.0.1:9/oauth/callback?code=upstream-code&state=${transactionId}`),
  );
  const clientRedirect = callback.headers.get('location');
  if (callback.status !== 302 || !clientRedirect) throw new Error(`callback answered ${callback.status}`);
  const url = new URL(clientRedirect);
  const code = url.searchParams.get('code');
  if (!code || url.searchParams.get('state') !== 'client-state') throw new Error('no code in the redirect');
  return { code, verifier: pkce.verifier, transactionId };
}

/** Exchanges an authorization code at `proxy`'s token endpoint. */
export function redeem(proxy: OAuthProxy, clientId: string, code: string, verifier: string) {
  return proxy.exchangeAuthorizationCode({
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    code_verifier: verifier,
    redirect_uri: CLIENT_REDIRECT,
  });
}
