/**
 * The OAuth certification's cross-instance checks: the store announces atomicity, a code is
 * redeemed once and a refresh token rotated once by racing replicas, and revocation is seen at once
 * by every replica.
 * @module
 */
import type { TokenResult } from '../integrations/oauth-records.js';
import { equal, fail, ok } from './assert.js';
import { withinRace } from './atomic.js';
import { CLIENT_ID, codeRequest, type OAuthContext } from './oauth-context.js';

type Tokens = Extract<TokenResult, { ok: true }>['tokens'];

/** Registers the race and revocation tests. */
export function describeOAuthRaces(ctx: OAuthContext): void {
  const { test, describe, make, state, racers, shared, raceTimeout, expectShared } = ctx;
  const where = shared ? 'on two instances' : 'on one instance (sharedBacking: false)';

  /** Two replicas: `OAuthStateStore`s over two stores from createStore(), or one when not shared. */
  async function replicas() {
    const a = await make();
    const b = shared ? await make() : a;
    if (shared) await expectShared(a, b);
    return { a, b, sa: state(a), sb: state(b) };
  }

  /** Tokens for a new code redeemed once. */
  async function issue(s: ReturnType<typeof state>, subject: string): Promise<Tokens & { grant: string }> {
    const result = await s.exchangeAuthorizationCode(await s.createAuthorizationCode(codeRequest(subject)), {
      client_id: CLIENT_ID,
    });
    if (!result.ok) fail(`exchanging a fresh authorization code failed: ${result.reason}`);
    return { ...result.tokens, grant: result.grant_id };
  }

  describe('replicas racing', () => {
    test(
      ['oauth.atomic'],
      'the store announces atomic take and putIfAbsent (capabilities.atomic)',
      async () => {
        const s = await make();
        ok(
          s.capabilities.atomic,
          'capabilities.atomic is false: take() and putIfAbsent() may let two callers win, so two replicas could ' +
            'redeem one authorization code or rotate one refresh token twice. OAuthStateStore refuses such a ' +
            'store unless allowNonAtomic is set; keep OAuth state in a store with atomic take/putIfAbsent.',
        );
      },
    );

    test(
      ['oauth.code-once'],
      'an authorization code is redeemed exactly once by concurrent exchanges on two instances',
      async () => {
        const { sa, sb } = await replicas();
        const codes = await Promise.all(
          ['alice', 'bob', 'carol'].map((who) => sa.createAuthorizationCode(codeRequest(who))),
        );
        const perCode = await withinRace(
          Promise.all(
            codes.map((code) =>
              Promise.all(
                Array.from({ length: racers }, (_, i) =>
                  (i % 2 === 0 ? sa : sb).exchangeAuthorizationCode(code, { client_id: CLIENT_ID }),
                ),
              ),
            ),
          ),
          raceTimeout,
          `${codes.length * racers} concurrent code exchanges`,
        );
        for (const [i, results] of perCode.entries()) {
          const won = results.filter((r) => r.ok);
          if (won.length !== 1) {
            fail(
              `${won.length} of ${racers} concurrent exchanges of one authorization code ${where} got tokens. ` +
                (won.length > 1
                  ? "The store's take() is not atomic across instances: two callers read the code before either " +
                    'removed it, so an intercepted code can be redeemed twice (OAuth requires single use).'
                  : 'None did: the code was lost.'),
            );
          }
          for (const r of results)
            if (!r.ok) equal(r.error, 'invalid_grant', `a losing exchange of code ${i}`);
          const winner = won[0] as Extract<TokenResult, { ok: true }>;
          ok(
            await sb.verifyAccessToken(winner.tokens.access_token),
            'the winning access token verifies elsewhere',
          );
        }
      },
      raceTimeout + 10_000,
    );

    test(
      ['oauth.refresh-once'],
      'a refresh token rotates exactly once under concurrent refreshes on two instances',
      async () => {
        const { sa, sb } = await replicas();
        const first = await issue(sa, 'dave');
        const refresh = first.refresh_token as string;
        const results = await withinRace(
          Promise.all(
            Array.from({ length: racers }, (_, i) =>
              (i % 2 === 0 ? sa : sb).rotateRefreshToken(refresh, { client_id: CLIENT_ID }),
            ),
          ),
          raceTimeout,
          `${racers} concurrent refreshes`,
        );
        const won = results.filter((r) => r.ok);
        if (won.length !== 1) {
          fail(
            `${won.length} of ${racers} concurrent refreshes with one refresh token ${where} succeeded. ` +
              (won.length > 1
                ? "The store's take() is not atomic across instances, so a stolen refresh token can be rotated " +
                  'into two live token families.'
                : 'None did: the grant was lost.'),
          );
        }
        const next = (won[0] as Extract<TokenResult, { ok: true }>).tokens;
        equal(
          await sb.verifyAccessToken(first.access_token),
          undefined,
          'the access token the rotation replaced',
        );
        ok(await sa.verifyAccessToken(next.access_token), 'the new access token verifies');
        const again = await sb.rotateRefreshToken(next.refresh_token as string, { client_id: CLIENT_ID });
        ok(again.ok, 'the new refresh token rotates once more on the other instance');
        const stale = await sa.rotateRefreshToken(refresh, { client_id: CLIENT_ID });
        ok(!stale.ok, 'the first refresh token rotated again after its rotation');
      },
      raceTimeout + 10_000,
    );

    test(
      ['oauth.revocation'],
      'revoking a token or a grant on one instance is seen at once on the other',
      async () => {
        const { sa, sb } = await replicas();
        const one = await issue(sa, 'erin');
        ok(
          await sb.verifyAccessToken(one.access_token),
          'an access token issued on one instance verifies on the other',
        );
        equal(
          await sa.revokeToken(one.refresh_token as string, { client_id: CLIENT_ID }),
          true,
          'revokeToken(refresh)',
        );
        equal(
          await sb.verifyAccessToken(one.access_token),
          undefined,
          'an access token of a revoked grant, elsewhere',
        );
        const rotated = await sb.rotateRefreshToken(one.refresh_token as string, { client_id: CLIENT_ID });
        ok(!rotated.ok, 'a revoked refresh token rotated on the other instance');

        const two = await issue(sb, 'frank');
        equal(await sa.revokeGrant(two.grant), true, 'revokeGrant on the first instance');
        equal(
          await sb.verifyAccessToken(two.access_token),
          undefined,
          'an access token of a revoked grant, elsewhere',
        );
        equal(await sb.getGrant(two.grant), undefined, 'the revoked grant read on the other instance');

        const three = await issue(sa, 'grace');
        equal(await sb.revokeToken(three.access_token), true, 'revokeToken(access) on the second instance');
        equal(
          await sa.verifyAccessToken(three.access_token),
          undefined,
          'the revoked access token, elsewhere',
        );
        ok(await sa.getGrant(three.grant), 'revoking an access token alone keeps its grant');
      },
    );
  });
}
