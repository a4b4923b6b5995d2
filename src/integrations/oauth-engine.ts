/**
 * The token flows of `OAuthStateStore`: codes, grants, access and refresh tokens, at the round-trip
 * floor and without races.
 *
 * - Bearer values (codes, tokens) are keys only as their hash (`BearerHasher`); lookups read every
 *   candidate key (key rotation) in one bulk read.
 * - Tokens are `<grant id>.<256 random bits>`. Access tokens live in the grants collection next to
 *   their grant, so one `getMany` reads the token and checks that its grant still exists: revoking
 *   a grant (deleting its record) ends every token of it at once, on every replica.
 * - Steps that depend on a single-use claim (a code's `take`, a refresh token's `take` or reuse
 *   claim) write the new grant and tokens in the same round trip as the claim, and discard them
 *   when the claim is lost: only the winner ever hands tokens out.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { BearerHasher } from './bearer-hash.js';
import { dropUndefined, randomToken } from './mcp-json.js';
import type { OAuthStateCollections, OAuthStateLifetimes } from './mcp-state-options.js';
import type { RecordIO } from './oauth-record-io.js';
import {
  type AccessRecord,
  type AccessTokenInfo,
  type AuthorizationCodeRecord,
  type GrantRecord,
  type NewAuthorizationCode,
  RECORDS,
  type RefreshRecord,
  type TokenResult,
} from './oauth-records.js';

const GRANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The grant id a token names (`<grant id>.<random>`), or `undefined` for anything else. */
export function grantOf(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.length < 38 || token.charCodeAt(36) !== 46) return undefined;
  const id = token.slice(0, 36);
  return GRANT_ID.test(id) ? id : undefined;
}

const fail = (error: 'invalid_grant' | 'invalid_scope', reason: string): TokenResult => ({
  ok: false,
  error,
  reason,
});
const UNKNOWN_CODE = 'Unknown, expired or already used authorization code';
const UNKNOWN_REFRESH = 'Unknown, expired or already used refresh token';

/** Seconds since the epoch of `ms`, whole. */
const seconds = (ms: number): number => Math.floor(ms / 1000);
/** `true` once `expiresAt` (epoch seconds) has passed at `now` (ms). */
const expired = (expiresAt: number, now: number): boolean => expiresAt * 1000 <= now;

/** What the engine needs from `OAuthStateStore`. */
export interface EngineConfig {
  io: RecordIO;
  hasher: BearerHasher;
  collections: Readonly<OAuthStateCollections>;
  lifetimes: Readonly<OAuthStateLifetimes>;
  refreshTokens: boolean;
  reuse: boolean;
  clock: () => number;
}

/** A grant and the tokens about to be issued on it, not yet written. */
interface Plan {
  grant: GrantRecord;
  tokens: OAuthTokens;
  accessKey: string;
  access: AccessRecord;
  accessTtl: number;
  refresh?: { key: string; record: RefreshRecord; ttl: number } | undefined;
}

/** The code, grant and token flows. */
export class TokenEngine {
  readonly #io: RecordIO;
  readonly #hasher: BearerHasher;
  readonly #c: Readonly<OAuthStateCollections>;
  readonly #life: Readonly<OAuthStateLifetimes>;
  readonly #refresh: boolean;
  readonly #reuse: boolean;
  readonly #clock: () => number;

  constructor(config: EngineConfig) {
    this.#io = config.io;
    this.#hasher = config.hasher;
    this.#c = config.collections;
    this.#life = config.lifetimes;
    this.#refresh = config.refreshTokens;
    this.#reuse = config.reuse;
    this.#clock = config.clock;
  }

  /** Stores a new code (one write) and returns it. */
  async createCode(code: NewAuthorizationCode, ttl: number): Promise<string> {
    const now = this.#clock();
    const value = randomToken();
    const record = dropUndefined({
      ...code,
      created_at: seconds(now),
      expires_at: seconds(now + ttl * 1000),
    }) as unknown as AuthorizationCodeRecord;
    const key = this.#hasher.hash(value);
    if (!(await this.#io.putIfAbsent(RECORDS.code, this.#c.codes, key, record, ttl))) {
      throw new Error('Authorization code collision; the random source is broken');
    }
    return value;
  }

  /** A code's record without redeeming it (one read). */
  async peekCode(code: string): Promise<AuthorizationCodeRecord | undefined> {
    if (typeof code !== 'string' || code.length === 0) return undefined;
    const found = await this.#io.first(RECORDS.code, this.#c.codes, this.#hasher.candidates(code));
    return found === undefined || expired(found.record.expires_at, this.#clock()) ? undefined : found.record;
  }

  /**
   * Redeems a code. With `hint` (the record a `peekCode` just returned) the grant and tokens are
   * written in the same round trip as the `take`; otherwise take first, then write.
   */
  async exchange(
    code: string,
    check: { client_id: string; redirect_uri?: string | undefined; resource?: string | undefined },
    hint?: AuthorizationCodeRecord | undefined,
  ): Promise<TokenResult> {
    if (typeof code !== 'string' || code.length === 0) return fail('invalid_grant', UNKNOWN_CODE);
    const keys = this.#hasher.candidates(code);
    const c = this.#c;
    if (hint !== undefined && codeRefusal(hint, check, this.#clock()) === undefined) {
      const plan = this.#plan(grantFrom(hint, this.#clock(), this.#life.grant), hint.scopes);
      const [taken, written] = await Promise.allSettled([
        this.#io.take(RECORDS.code, c.codes, keys),
        Promise.all(this.#writes(plan, true)),
      ]);
      const same =
        taken.status === 'fulfilled' && taken.value !== undefined && sameCode(taken.value.record, hint);
      if (same && written.status === 'fulfilled')
        return { ok: true, grant_id: plan.grant.grant_id, tokens: plan.tokens };
      await this.#discard(plan, true);
      if (taken.status === 'rejected') throw taken.reason;
      if (taken.value === undefined) return fail('invalid_grant', UNKNOWN_CODE);
      if (same && written.status === 'rejected') throw written.reason;
      return this.#redeem(taken.value.record, check);
    }
    const taken = await this.#io.take(RECORDS.code, c.codes, keys);
    return taken === undefined ? fail('invalid_grant', UNKNOWN_CODE) : this.#redeem(taken.record, check);
  }

  /** What an access token stands for, in one read of the token and its grant. */
  async verify(token: string): Promise<AccessTokenInfo | undefined> {
    const grantId = grantOf(token);
    if (grantId === undefined) return undefined;
    const keys = this.#hasher.candidates(token);
    const collection = this.#c.grants;
    const raws = await this.#io.readRaw(collection, [...keys, grantId]);
    const access = this.#io.pick(RECORDS.access, collection, keys, raws)?.record;
    if (access === undefined || access.grant_id !== grantId) return undefined;
    const grant = this.#io.open(RECORDS.grant, collection, grantId, raws[keys.length]);
    const now = this.#clock();
    if (grant === undefined || grant.grant_id !== grantId || grant.client_id !== access.client_id)
      return undefined;
    if (expired(access.expires_at, now) || expired(grant.expires_at, now)) return undefined;
    return dropUndefined({
      client_id: access.client_id,
      scopes: access.scopes,
      expires_at: access.expires_at,
      grant_id: grantId,
      resource: grant.resource,
      subject: grant.subject,
      upstream_token_id: grant.upstream_token_id,
      extra: grant.extra,
    }) as unknown as AccessTokenInfo;
  }

  /**
   * Rotates a refresh token in two round trips: read the token and its grant; then claim the token
   * (a `take`, or with reuse detection a `putIfAbsent` of its "used" mark that every later
   * presenter runs into) while writing the new pair. A lost claim discards the new pair, and with
   * reuse detection revokes the grant.
   */
  async rotate(
    refreshToken: string,
    request: { client_id: string; scopes?: string[] | undefined; resource?: string | undefined },
  ): Promise<TokenResult> {
    const grantId = grantOf(refreshToken);
    if (grantId === undefined) return fail('invalid_grant', UNKNOWN_REFRESH);
    const keys = this.#hasher.candidates(refreshToken);
    const c = this.#c;
    const [raws, grantRaws] = await Promise.all([
      this.#io.readRaw(c.refreshTokens, keys),
      this.#io.readRaw(c.grants, [grantId]),
    ]);
    const found = this.#io.pick(RECORDS.refresh, c.refreshTokens, keys, raws);
    if (found === undefined || found.record.grant_id !== grantId)
      return fail('invalid_grant', UNKNOWN_REFRESH);
    const current = found.record;
    const grant = this.#io.open(RECORDS.grant, c.grants, grantId, grantRaws[0]);
    if (grant === undefined || grant.grant_id !== grantId)
      return fail('invalid_grant', 'The grant was revoked');
    const now = this.#clock();
    if (expired(current.expires_at, now) || expired(grant.expires_at, now)) {
      return fail('invalid_grant', 'The refresh token or its grant has expired');
    }
    if (current.client_id !== request.client_id || grant.client_id !== request.client_id) {
      return fail('invalid_grant', 'The refresh token was issued to another client');
    }
    const scopes = request.scopes?.filter((s) => s.length > 0);
    if (scopes !== undefined && scopes.length > 0 && !scopes.every((s) => grant.scopes.includes(s))) {
      return fail('invalid_scope', 'The requested scope exceeds the scope of the grant');
    }
    if (
      request.resource !== undefined &&
      grant.resource !== undefined &&
      request.resource !== grant.resource
    ) {
      return fail('invalid_grant', 'resource does not match the grant');
    }
    if (grant.expires_at - now / 1000 < 1) return fail('invalid_grant', 'The grant has expired');
    const plan = this.#plan(grant, scopes !== undefined && scopes.length > 0 ? scopes : grant.scopes);
    const claim = this.#reuse
      ? this.#io.putIfAbsent(
          RECORDS.used,
          c.usedRefreshTokens,
          found.key,
          { grant_id: grantId, client_id: current.client_id, rotated_at: seconds(now) },
          Math.max(1, current.expires_at - now / 1000) + 60,
        )
      : this.#io.take(RECORDS.refresh, c.refreshTokens, [found.key]).then((taken) => taken !== undefined);
    const [claimed, written] = await Promise.allSettled([
      claim,
      Promise.all([...this.#writes(plan, false), this.#io.delete(c.grants, [current.access_key])]),
    ]);
    const won = claimed.status === 'fulfilled' && claimed.value;
    if (won && written.status === 'fulfilled') return { ok: true, grant_id: grantId, tokens: plan.tokens };
    const lostWithReuse = this.#reuse && claimed.status === 'fulfilled' && !claimed.value;
    await Promise.all([this.#discard(plan, false), lostWithReuse ? this.#end(grant) : undefined]);
    if (claimed.status === 'rejected') throw claimed.reason;
    if (written.status === 'rejected') throw written.reason;
    return lostWithReuse
      ? fail('invalid_grant', 'The refresh token was already used; its grant is revoked')
      : fail('invalid_grant', UNKNOWN_REFRESH);
  }

  /**
   * RFC 7009 in two round trips: find the token (access or refresh) and its grant, then delete the
   * access token, or for a refresh token the whole grant.
   */
  async revokeToken(token: string, clientId: string | undefined): Promise<boolean> {
    const grantId = grantOf(token);
    if (grantId === undefined) return false;
    const keys = this.#hasher.candidates(token);
    const c = this.#c;
    const [raws, refreshRaws] = await Promise.all([
      this.#io.readRaw(c.grants, [...keys, grantId]),
      this.#io.readRaw(c.refreshTokens, keys),
    ]);
    const refresh = this.#io.pick(RECORDS.refresh, c.refreshTokens, keys, refreshRaws);
    const access = refresh === undefined ? this.#io.pick(RECORDS.access, c.grants, keys, raws) : undefined;
    const found = refresh ?? access;
    if (found === undefined || found.record.grant_id !== grantId) return false;
    if (clientId !== undefined && found.record.client_id !== clientId) return false;
    if (refresh === undefined) return (await this.#io.delete(c.grants, [found.key])) > 0;
    const grant = this.#io.open(RECORDS.grant, c.grants, grantId, raws[keys.length]);
    await Promise.all([
      this.#io.delete(c.grants, [grantId, refresh.record.access_key]),
      this.#io.delete(c.refreshTokens, [refresh.key]),
      grant?.upstream_token_id === undefined
        ? undefined
        : this.#io.delete(c.upstreamTokens, [grant.upstream_token_id]),
    ]);
    return true;
  }

  /** Deletes a grant (every token of it stops verifying) and the upstream tokens behind it. */
  async revokeGrant(grantId: string): Promise<boolean> {
    if (typeof grantId !== 'string' || grantId.length === 0) return false;
    const taken = await this.#io.take(RECORDS.grant, this.#c.grants, [grantId]);
    const upstream = taken?.record.upstream_token_id;
    if (upstream !== undefined) await this.#io.delete(this.#c.upstreamTokens, [upstream]);
    return taken !== undefined;
  }

  /** The live grant with this id. */
  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    if (typeof grantId !== 'string' || grantId.length === 0) return undefined;
    const found = await this.#io.first(RECORDS.grant, this.#c.grants, [grantId]);
    const grant = found?.record;
    return grant === undefined || grant.grant_id !== grantId || expired(grant.expires_at, this.#clock())
      ? undefined
      : grant;
  }

  async #redeem(
    record: AuthorizationCodeRecord,
    check: { client_id: string; redirect_uri?: string | undefined; resource?: string | undefined },
  ): Promise<TokenResult> {
    const refusal = codeRefusal(record, check, this.#clock());
    if (refusal !== undefined) return fail('invalid_grant', refusal);
    const plan = this.#plan(grantFrom(record, this.#clock(), this.#life.grant), record.scopes);
    await Promise.all(this.#writes(plan, true));
    return { ok: true, grant_id: plan.grant.grant_id, tokens: plan.tokens };
  }

  /** New tokens on `grant`, none outliving it; nothing written yet. */
  #plan(grant: GrantRecord, accessScopes: string[]): Plan {
    const now = this.#clock();
    const remaining = grant.expires_at - now / 1000;
    const accessTtl = Math.max(1, Math.min(this.#life.accessToken, remaining));
    const accessToken = `${grant.grant_id}.${randomToken()}`;
    const accessKey = this.#hasher.hash(accessToken);
    const common = { grant_id: grant.grant_id, client_id: grant.client_id, created_at: seconds(now) };
    const tokens: OAuthTokens = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: Math.max(1, Math.floor(accessTtl)),
      scope: accessScopes.join(' '),
    };
    const plan: Plan = {
      grant,
      tokens,
      accessKey,
      access: { ...common, scopes: accessScopes, expires_at: seconds(now + accessTtl * 1000) },
      accessTtl,
    };
    if (this.#refresh) {
      const ttl = Math.max(1, Math.min(this.#life.refreshToken, remaining));
      const refreshToken = `${grant.grant_id}.${randomToken()}`;
      tokens.refresh_token = refreshToken;
      plan.refresh = {
        key: this.#hasher.hash(refreshToken),
        record: { ...common, access_key: accessKey, expires_at: seconds(now + ttl * 1000) },
        ttl,
      };
    }
    return plan;
  }

  /** The writes of a plan (concurrent: one round trip). */
  #writes(plan: Plan, withGrant: boolean): Promise<unknown>[] {
    const c = this.#c;
    const io = this.#io;
    const writes: Promise<unknown>[] = [
      io.put(RECORDS.access, c.grants, plan.accessKey, plan.access, plan.accessTtl),
    ];
    if (withGrant) {
      const ttl = Math.max(1, plan.grant.expires_at - this.#clock() / 1000);
      writes.push(io.put(RECORDS.grant, c.grants, plan.grant.grant_id, plan.grant, ttl));
    }
    if (plan.refresh !== undefined) {
      const { key, record, ttl } = plan.refresh;
      writes.push(io.put(RECORDS.refresh, c.refreshTokens, key, record, ttl));
    }
    return writes;
  }

  /** Best-effort removal of what a lost claim wrote (nobody holds those tokens). */
  async #discard(plan: Plan, withGrant: boolean): Promise<void> {
    const grantKeys = withGrant ? [plan.accessKey, plan.grant.grant_id] : [plan.accessKey];
    await Promise.all([
      this.#io.delete(this.#c.grants, grantKeys),
      plan.refresh === undefined ? 0 : this.#io.delete(this.#c.refreshTokens, [plan.refresh.key]),
    ]).catch(() => undefined);
  }

  /** Deletes a grant already read, with its upstream tokens. */
  async #end(grant: GrantRecord): Promise<void> {
    await Promise.all([
      this.#io.delete(this.#c.grants, [grant.grant_id]),
      grant.upstream_token_id === undefined
        ? undefined
        : this.#io.delete(this.#c.upstreamTokens, [grant.upstream_token_id]),
    ]);
  }
}

function grantFrom(code: AuthorizationCodeRecord, now: number, lifetime: number): GrantRecord {
  return dropUndefined({
    grant_id: randomUUID(),
    client_id: code.client_id,
    scopes: code.scopes,
    resource: code.resource,
    subject: code.subject,
    upstream_token_id: code.upstream_token_id,
    extra: code.extra,
    created_at: seconds(now),
    expires_at: seconds(now + lifetime * 1000),
  }) as unknown as GrantRecord;
}

/** Why a code may not be redeemed by this request, or `undefined`. */
function codeRefusal(
  record: AuthorizationCodeRecord,
  check: { client_id: string; redirect_uri?: string | undefined; resource?: string | undefined },
  now: number,
): string | undefined {
  if (expired(record.expires_at, now)) return UNKNOWN_CODE;
  if (record.client_id !== check.client_id) return 'The authorization code was issued to another client';
  if (check.redirect_uri !== undefined && check.redirect_uri !== record.redirect_uri) {
    return 'redirect_uri does not match the authorization request';
  }
  if (check.resource !== undefined && record.resource !== undefined && check.resource !== record.resource) {
    return 'resource does not match the authorization request';
  }
  return undefined;
}

function sameCode(a: AuthorizationCodeRecord, b: AuthorizationCodeRecord): boolean {
  return JSON.stringify(RECORDS.code.check(a)) === JSON.stringify(RECORDS.code.check(b));
}
