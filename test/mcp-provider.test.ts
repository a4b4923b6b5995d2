import {
  InvalidGrantError,
  InvalidScopeError,
  InvalidTokenError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { describe, expect, it } from 'vitest';
import { type Approval, OAuthStateStore, PersistentOAuthServerProvider } from '../src/integrations/mcp.js';
import { MemoryStore } from '../src/stores/memory.js';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const RESOURCE = new URL('http://127.0.0.1:3000/mcp');

async function setup(
  approve: () => Approval = () => ({ subject: 'alice', extra: { tenant: 't1' } }),
  resource?: URL,
) {
  const state = new OAuthStateStore(new MemoryStore());
  const provider = new PersistentOAuthServerProvider({ state, approve, resource });
  const register = provider.clientsStore.registerClient;
  if (!register) throw new Error('registration must be supported');
  const client = await register.call(provider.clientsStore, {
    client_id: 'client-1',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
  });
  return { state, provider, client };
}

/** Runs `authorize` and returns the URL it redirected to. */
async function authorize(
  provider: PersistentOAuthServerProvider,
  client: OAuthClientInformationFull,
  params: Partial<AuthorizationParams> = {},
): Promise<URL> {
  let location: string | undefined;
  await provider.authorize(
    client,
    { codeChallenge: 'challenge-1', redirectUri: REDIRECT, scopes: ['mcp'], state: 'st-1', ...params },
    {
      redirect(url: string) {
        location = url;
      },
    },
  );
  if (location === undefined) throw new Error('authorize did not redirect');
  return new URL(location);
}

describe('PersistentOAuthServerProvider', () => {
  it('redirects back with a code and the state, and the code carries the PKCE challenge', async () => {
    const { provider, client } = await setup();
    const back = await authorize(provider, client);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code') as string;
    expect(await provider.challengeForAuthorizationCode(client, code)).toBe('challenge-1');
  });

  it('redirects with access_denied when approve says no', async () => {
    const { provider, client } = await setup(() => undefined);
    const back = await authorize(provider, client);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('issues tokens once per code and answers reuse with the SDK InvalidGrantError (a 400, not a 500)', async () => {
    const { provider, client } = await setup();
    const code = (await authorize(provider, client)).searchParams.get('code') as string;
    const tokens = await provider.exchangeAuthorizationCode(client, code, undefined, REDIRECT);
    expect(tokens.token_type).toBe('Bearer');
    await expect(provider.exchangeAuthorizationCode(client, code)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(provider.challengeForAuthorizationCode(client, code)).rejects.toBeInstanceOf(
      InvalidGrantError,
    );
  });

  it('verifies tokens into AuthInfo with subject and extra, and rejects unknown ones with InvalidTokenError', async () => {
    const { provider, client } = await setup();
    const code = (await authorize(provider, client)).searchParams.get('code') as string;
    const tokens = await provider.exchangeAuthorizationCode(client, code);
    const auth = await provider.verifyAccessToken(tokens.access_token);
    expect(auth).toMatchObject({ token: tokens.access_token, clientId: 'client-1', scopes: ['mcp'] });
    expect(auth.extra).toMatchObject({ subject: 'alice', tenant: 't1' });
    expect(auth.expiresAt).toBeGreaterThan(Date.now() / 1000);
    await expect(provider.verifyAccessToken('forged')).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rotates refresh tokens once and maps errors to the SDK classes', async () => {
    const { provider, client } = await setup();
    const code = (await authorize(provider, client)).searchParams.get('code') as string;
    const first = await provider.exchangeAuthorizationCode(client, code);
    const refresh = first.refresh_token as string;
    await expect(provider.exchangeRefreshToken(client, refresh, ['admin'])).rejects.toBeInstanceOf(
      InvalidScopeError,
    );
    const second = await provider.exchangeRefreshToken(client, refresh);
    expect(second.access_token).not.toBe(first.access_token);
    await expect(provider.exchangeRefreshToken(client, refresh)).rejects.toBeInstanceOf(InvalidGrantError);
  });

  it('revokes a refresh token together with its grant', async () => {
    const { provider, client } = await setup();
    const code = (await authorize(provider, client)).searchParams.get('code') as string;
    const tokens = await provider.exchangeAuthorizationCode(client, code);
    await provider.revokeToken(client, { token: tokens.refresh_token as string });
    await expect(provider.verifyAccessToken(tokens.access_token)).rejects.toBeInstanceOf(InvalidTokenError);
    await provider.revokeToken(client, { token: 'unknown' }); // ignored, as RFC 7009 asks
  });

  it('lets approve redirect to a login page and finish later, exactly once', async () => {
    const seen: { cookie?: string | undefined; txn?: string } = {};
    const state = new OAuthStateStore(new MemoryStore());
    const provider = new PersistentOAuthServerProvider({
      state,
      approve: async (_client, _params, { request, redirect, defer }) => {
        seen.cookie = request?.headers.cookie;
        seen.txn = await defer();
        redirect(`/login?txn=${seen.txn}`);
        return { subject: 'ignored once redirected' };
      },
    });
    const client = await state.clients.registerClient({ client_id: 'c', redirect_uris: [REDIRECT] });
    const redirects: string[] = [];
    await provider.authorize(
      client,
      { codeChallenge: 'challenge-2', redirectUri: REDIRECT, scopes: ['mcp'], state: 'st-2' },
      {
        redirect: (url: string) => void redirects.push(url),
        req: { headers: { cookie: 'session=abc' } } as never,
      },
    );
    expect(redirects).toEqual([`/login?txn=${seen.txn}`]);
    expect(seen.cookie).toBe('session=abc');

    const [first, second] = await Promise.all([
      provider.completeAuthorization(seen.txn as string, { subject: 'bob' }),
      provider.completeAuthorization(seen.txn as string, { subject: 'mallory' }),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const back = new URL((first ?? second) as string);
    expect(back.searchParams.get('state')).toBe('st-2');
    const code = back.searchParams.get('code') as string;
    expect(await provider.challengeForAuthorizationCode(client, code)).toBe('challenge-2');
    const tokens = await provider.exchangeAuthorizationCode(client, code);
    expect((await provider.verifyAccessToken(tokens.access_token)).extra?.subject).toMatch(/^(bob|mallory)$/);
  });

  it('completeAuthorization without approval sends access_denied; unknown transactions give undefined', async () => {
    const state = new OAuthStateStore(new MemoryStore());
    const provider = new PersistentOAuthServerProvider({ state, approve: () => ({}) });
    const txn = await state.saveTransaction({
      client_id: 'c',
      redirect_uri: REDIRECT,
      code_challenge: 'x',
      scopes: [],
      state: 's',
    });
    const denied = new URL((await provider.completeAuthorization(txn, undefined)) as string);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('s');
    expect(await provider.completeAuthorization('unknown', { subject: 'x' })).toBeUndefined();
  });

  it('binds tokens to the configured resource', async () => {
    const { provider, client } = await setup(undefined, RESOURCE);
    const wrong = await authorize(provider, client, { resource: new URL('http://127.0.0.1:3000/other') });
    expect(wrong.searchParams.get('error')).toBe('invalid_target');
    const code = (await authorize(provider, client, { resource: RESOURCE })).searchParams.get(
      'code',
    ) as string;
    const tokens = await provider.exchangeAuthorizationCode(client, code, undefined, REDIRECT, RESOURCE);
    expect((await provider.verifyAccessToken(tokens.access_token)).resource?.href).toBe(RESOURCE.href);

    // A token of the same store minted for another resource does not verify here.
    const { state, client: other } = await setup();
    const foreign = new PersistentOAuthServerProvider({ state, approve: () => ({}) });
    const foreignCode = (
      await authorize(foreign, other, { resource: new URL('http://elsewhere.example/mcp') })
    ).searchParams.get('code') as string;
    const foreignTokens = await foreign.exchangeAuthorizationCode(other, foreignCode);
    const strict = new PersistentOAuthServerProvider({ state, approve: () => ({}), resource: RESOURCE });
    await expect(strict.verifyAccessToken(foreignTokens.access_token)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });
});
