/**
 * The MCP SDK's own OAuth authorization server (`mcpAuthRouter` + `requireBearerAuth` on
 * `/protected`) on loopback, and a minimal OAuth client that talks to it with `fetch` the way an
 * MCP client does: Dynamic Client Registration, authorization with PKCE (following the redirect by
 * hand: no browser), code exchange, refresh, revocation, and a bearer-protected request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export interface AuthServer {
  readonly base: URL;
  close(): Promise<void>;
}

/** Starts the SDK's router for `provider` on a free loopback port (rate limits off for tests). */
export async function startAuthServer(provider: OAuthServerProvider): Promise<AuthServer> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  let listener: Server | undefined;
  await new Promise<void>((resolve) => {
    listener = app.listen(0, '127.0.0.1', () => resolve()) as Server;
  });
  const server = listener as Server;
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const base = new URL(`http://127.0.0.1:${address.port}/`);
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: base,
      authorizationOptions: { rateLimit: false },
      clientRegistrationOptions: { rateLimit: false },
      revocationOptions: { rateLimit: false },
      tokenOptions: { rateLimit: false },
    }),
  );
  app.get(
    '/protected',
    requireBearerAuth({ verifier: provider }),
    (req: { auth?: { clientId?: string } }, res: { json(body: unknown): void }) => {
      res.json({ ok: true, clientId: req.auth?.clientId });
    },
  );
  return {
    base,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Registered {
  client_id: string;
  client_secret?: string | undefined;
}

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
  wwwAuthenticate: string | null;
}

/** A client of one authorization server, speaking plain HTTP. */
export class FlowClient {
  readonly base: URL;

  constructor(base: URL) {
    this.base = base;
  }

  /** Dynamic Client Registration; confidential (`client_secret_post`) unless `public`. */
  async register(kind: 'public' | 'confidential' = 'confidential'): Promise<Registered> {
    const answer = await this.#send('/register', {
      json: {
        client_name: `flow ${kind}`,
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: kind === 'public' ? 'none' : 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
      },
    });
    if (answer.status !== 201)
      throw new Error(`registration failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as unknown as Registered;
  }

  /** Asks for authorization with PKCE and returns the code from the redirect (no browser). */
  async authorize(
    client: Registered,
    options: { scope?: string; state?: string } = {},
  ): Promise<{ code: string; verifier: string; location: URL }> {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL('/authorize', this.base);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: options.state ?? 'st',
      ...(options.scope === undefined ? {} : { scope: options.scope }),
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? 'about:blank');
    const code = location.searchParams.get('code');
    if (response.status !== 302 || code === null) {
      throw new Error(`authorization failed: ${response.status} ${location.href}`);
    }
    return { code, verifier, location };
  }

  exchange(client: Registered, code: string, verifier: string): Promise<HttpAnswer> {
    return this.#send('/token', {
      form: {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
        ...credentials(client),
      },
    });
  }

  refresh(client: Registered, refreshToken: string): Promise<HttpAnswer> {
    return this.#send('/token', {
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...credentials(client) },
    });
  }

  revoke(client: Registered, token: string): Promise<HttpAnswer> {
    return this.#send('/revoke', { form: { token, ...credentials(client) } });
  }

  /** A form POST to `path` (`/token`, `/revoke`) with exactly these fields. */
  send(path: string, form: Record<string, string>): Promise<HttpAnswer> {
    return this.#send(path, { form });
  }

  /** A request to the bearer-protected route. */
  async call(accessToken: string): Promise<HttpAnswer> {
    const response = await fetch(new URL('/protected', this.base), {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return answer(response);
  }

  async #send(path: string, body: { form?: Record<string, string>; json?: unknown }): Promise<HttpAnswer> {
    const response = await fetch(new URL(path, this.base), {
      method: 'POST',
      headers: { 'content-type': body.form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: body.form ? new URLSearchParams(body.form) : JSON.stringify(body.json),
    });
    return answer(response);
  }
}

function credentials(client: Registered): Record<string, string> {
  return client.client_secret === undefined
    ? { client_id: client.client_id }
    : { client_id: client.client_id, client_secret: client.client_secret };
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    body = { text };
  }
  return { status: response.status, body, wwwAuthenticate: response.headers.get('www-authenticate') };
}
