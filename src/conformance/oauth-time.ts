/**
 * The OAuth certification's expiry check: an authorization code is valid until its TTL, on every
 * instance, and gone after it.
 * @module
 */
import { sleep } from '../backend/kit.js';
import { equal, ok } from './assert.js';
import { expiryHint } from './context.js';
import { CLIENT_ID, codeRequest, type OAuthContext } from './oauth-context.js';

/** Registers the expiry test. */
export function describeOAuthTime({
  test,
  describe,
  make,
  state,
  shared,
  slackMs,
  expectShared,
}: OAuthContext): void {
  describe('expiry', () => {
    test(
      ['oauth.code-expiry'],
      'an authorization code is valid until its TTL and gone after it, on every instance',
      async () => {
        const a = await make();
        const b = shared ? await make() : a;
        if (shared) await expectShared(a, b);
        const [sa, sb] = [state(a), state(b)];
        const kept = await sa.createAuthorizationCode(codeRequest('heidi'), { ttl: 2 });
        const lapsed = await sa.createAuthorizationCode(codeRequest('ivan'), { ttl: 2 });
        await sleep(500);
        ok(
          await sb.getAuthorizationCode(kept),
          'a code with a 2 s TTL read 0.5 s later on the other instance',
        );
        const early = await sb.exchangeAuthorizationCode(kept, { client_id: CLIENT_ID });
        ok(early.ok, 'a code with a 2 s TTL redeemed 0.5 s later on the other instance');
        await sleep(1500 + slackMs);
        const late = expiryHint(slackMs);
        equal(
          await sb.getAuthorizationCode(lapsed),
          undefined,
          `a code read past its TTL on the other instance${late}`,
        );
        const result = await sa.exchangeAuthorizationCode(lapsed, { client_id: CLIENT_ID });
        ok(!result.ok, `a code redeemed past its TTL got tokens${late}`);
        equal(
          result.ok ? undefined : result.error,
          'invalid_grant',
          'the error of a code redeemed past its TTL',
        );
      },
      30_000,
    );
  });
}
