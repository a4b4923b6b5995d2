/** Semantics of the oidc-provider adapter on a MemoryStore with a controllable clock. */
import { describe, expect, it } from 'vitest';
import type { StoreCapabilities } from '../src/contract.js';
import {
  InvalidKeyError,
  InvalidTTLError,
  NotSupportedError,
  SerializationError,
  StoreSetupError,
} from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import { createOidcAdapter, OidcAlreadyConsumedError } from '../src/integrations/oidc-provider.js';
import { MemoryStore } from '../src/stores/memory.js';
import { WrapperStore } from '../src/wrappers/base.js';

/** A plain store with explicit hashing and sealing secrets (bearer values and client secrets protected). */
const SECRET = 'adapter-test-hash-secret-0123456789';
const SEAL_SECRET = 'adapter-test-seal-secret-0123456789';
const hashed = (value: string) => new BearerHasher([SECRET]).hash(value);

function setup(options: Parameters<typeof createOidcAdapter>[1] = {}) {
  const time = { now: 1_700_000_000_000 };
  const store = new MemoryStore({ clock: () => time.now, sweepIntervalMs: 0 });
  const Adapter = createOidcAdapter(store, { hashSecret: SECRET, sealSecret: SEAL_SECRET, ...options });
  return { time, store, Adapter };
}

describe('createOidcAdapter', () => {
  it('returns a constructor oidc-provider can use (new Adapter(name))', () => {
    const { Adapter } = setup();
    const adapter = new Adapter('AccessToken');
    expect(typeof Adapter.prototype).toBe('object');
    expect((adapter as unknown as { name: string }).name).toBe('AccessToken');
  });

  it('upsert then find returns the payload; models are separate collections', async () => {
    const { Adapter, store } = setup();
    const at = new Adapter('AccessToken');
    const rt = new Adapter('RefreshToken');
    await at.upsert('id1', { jti: 'id1', kind: 'AccessToken', accountId: 'alice', extra: undefined }, 3600);
    expect(await at.find('id1')).toEqual({ jti: 'id1', kind: 'AccessToken', accountId: 'alice' });
    expect(await rt.find('id1')).toBeUndefined();
    // Stored under the hash of the id, the payload sealed: neither the id nor the payload is readable.
    expect(await store.get('id1', { collection: 'oidc:AccessToken' })).toBeUndefined();
    const raw = await store.get(hashed('id1'), { collection: 'oidc:AccessToken' });
    expect(Object.keys(raw ?? {})).toEqual(['sealed']);
    expect(JSON.stringify(raw)).not.toContain('alice');
  });

  it('upsert replaces the payload', async () => {
    const { Adapter } = setup();
    const s = new Adapter('Session');
    await s.upsert('sid', { uid: 'u1', accountId: 'a' }, 60);
    await s.upsert('sid', { uid: 'u1', accountId: 'b' }, 60);
    expect(await s.find('sid')).toEqual({ uid: 'u1', accountId: 'b' });
  });

  it('entries and their lookups expire after expiresIn (+ clockTolerance) seconds', async () => {
    const { Adapter, time } = setup({ clockTolerance: 5 });
    const session = new Adapter('Session');
    const device = new Adapter('DeviceCode');
    await session.upsert('sid', { uid: 'uid-1' }, 10);
    await device.upsert('dc', { userCode: 'ABCD1234', grantId: 'g' }, 10);
    time.now += 14_000;
    expect(await session.findByUid('uid-1')).toEqual({ uid: 'uid-1' });
    expect(await device.findByUserCode('ABCD1234')).toMatchObject({ userCode: 'ABCD1234' });
    time.now += 1_000;
    expect(await session.find('sid')).toBeUndefined();
    expect(await session.findByUid('uid-1')).toBeUndefined();
    expect(await device.findByUserCode('ABCD1234')).toBeUndefined();
  });

  it('entries without expiresIn never expire (Client)', async () => {
    const { Adapter, time } = setup();
    const clients = new Adapter('Client');
    await clients.upsert('client-1', { client_id: 'client-1', client_secret: 'shh-client-secret' });
    time.now += 10 * 365 * 86_400_000;
    expect(await clients.find('client-1')).toMatchObject({
      client_id: 'client-1',
      client_secret: 'shh-client-secret',
    });
  });

  it('an expiresIn of 0 or less stores nothing and removes what was there', async () => {
    const { Adapter } = setup();
    const at = new Adapter('AccessToken');
    await at.upsert('x', { jti: 'x' }, 60);
    await at.upsert('x', { jti: 'x' }, 0);
    expect(await at.find('x')).toBeUndefined();
  });

  it('consume sets consumed (epoch seconds) and keeps the TTL', async () => {
    const { Adapter, time } = setup();
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('code1', { jti: 'code1', grantId: 'g1' }, 60);
    const before = Math.floor(Date.now() / 1000);
    await codes.consume('code1');
    const after = Math.floor(Date.now() / 1000);
    const found = await codes.find('code1');
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
    expect(found?.consumed).toBeLessThanOrEqual(after);
    time.now += 60_000;
    expect(await codes.find('code1')).toBeUndefined();
  });

  it('a second consume throws OidcAlreadyConsumedError, shaped as oidc-provider’s invalid_grant', async () => {
    const { Adapter } = setup();
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('code1', { jti: 'code1' }, 60);
    await codes.consume('code1');
    const first = (await codes.find('code1'))?.consumed;
    const err = await codes.consume('code1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OidcAlreadyConsumedError);
    expect(err).toMatchObject({ expose: true, statusCode: 400, message: 'invalid_grant' });
    expect((await codes.find('code1'))?.consumed).toBe(first);
  });

  it('with exclusiveConsume: false a second consume keeps the first time quietly', async () => {
    const { Adapter } = setup({ exclusiveConsume: false });
    const codes = new Adapter('RefreshToken');
    await codes.upsert('r1', { jti: 'r1' }, 60);
    await codes.consume('r1');
    const first = (await codes.find('r1'))?.consumed;
    await expect(codes.consume('r1')).resolves.toBeUndefined();
    expect((await codes.find('r1'))?.consumed).toBe(first);
  });

  it('exactly one of 30 concurrent consumes on two replicas wins', async () => {
    const { store } = setup();
    const replicas = [
      new (createOidcAdapter(store))('AuthorizationCode'),
      new (createOidcAdapter(store))('AuthorizationCode'),
    ];
    await replicas[0]!.upsert('race', { jti: 'race' }, 60);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => replicas[i % 2]!.consume('race')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OidcAlreadyConsumedError);
    }
  });

  it('consume of a missing entry throws (it was destroyed or revoked) and creates nothing', async () => {
    const { Adapter } = setup();
    const codes = new Adapter('AuthorizationCode');
    await expect(codes.consume('nope')).rejects.toBeInstanceOf(OidcAlreadyConsumedError);
    expect(await codes.find('nope')).toBeUndefined();
    await codes.upsert('nope', { jti: 'nope' }, 60);
    expect((await codes.find('nope'))?.consumed).toBeUndefined();
  });

  it('with exclusiveConsume: false, consume of a missing entry is a no-op', async () => {
    const { Adapter } = setup({ exclusiveConsume: false });
    const codes = new Adapter('AuthorizationCode');
    await codes.consume('nope');
    expect(await codes.find('nope')).toBeUndefined();
    await codes.upsert('nope', { jti: 'nope' }, 60);
    expect((await codes.find('nope'))?.consumed).toBeUndefined();
  });

  it('consume after destroy never brings the entry back', async () => {
    const { Adapter } = setup();
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c', { jti: 'c' }, 60);
    await Promise.all([codes.consume('c'), codes.destroy('c')]);
    expect(await codes.find('c')).toBeUndefined();
  });

  it('a replaced consumable payload starts unconsumed', async () => {
    const { Adapter } = setup();
    const codes = new Adapter('RefreshToken');
    await codes.upsert('r', { jti: 'r' }, 60);
    await codes.consume('r');
    await codes.upsert('r', { jti: 'r', rotated: true }, 60);
    expect(await codes.find('r')).toEqual({ jti: 'r', rotated: true });
  });

  it('consume works on models oidc-provider does not consume today (stored in the payload)', async () => {
    const { Adapter } = setup();
    const other = new Adapter('Interaction');
    await other.upsert('i', { uid: 'i' }, 60);
    await other.consume('i');
    expect((await other.find('i'))?.consumed).toBeTypeOf('number');
  });

  it('findByUid finds the session and ignores a stale lookup', async () => {
    const { Adapter } = setup();
    const sessions = new Adapter('Session');
    await sessions.upsert('sid-1', { uid: 'uid-a', accountId: 'alice' }, 600);
    expect(await sessions.findByUid('uid-a')).toMatchObject({ accountId: 'alice' });
    // The session gets a new uid: the old lookup still exists but names a session that moved on.
    await sessions.upsert('sid-1', { uid: 'uid-b', accountId: 'alice' }, 600);
    expect(await sessions.findByUid('uid-a')).toBeUndefined();
    expect(await sessions.findByUid('uid-b')).toMatchObject({ uid: 'uid-b' });
    expect(await sessions.findByUid('never')).toBeUndefined();
  });

  it('findByUserCode finds the device code; destroy removes the lookup', async () => {
    const { Adapter, store } = setup();
    const devices = new Adapter('DeviceCode');
    await devices.upsert('dc-1', { userCode: 'WXYZ9876', grantId: 'g' }, 600);
    expect(await devices.findByUserCode('WXYZ9876')).toMatchObject({ userCode: 'WXYZ9876' });
    await devices.destroy('dc-1');
    expect(await devices.findByUserCode('WXYZ9876')).toBeUndefined();
    expect(await store.get(hashed('WXYZ9876'), { collection: 'oidc:DeviceCode:userCode' })).toBeUndefined();
  });

  it('destroy removes the entry, its uid lookup and its grant membership', async () => {
    const { Adapter, store } = setup();
    const sessions = new Adapter('Session');
    await sessions.upsert('sid', { uid: 'u' }, 600);
    await sessions.destroy('sid');
    expect(await sessions.find('sid')).toBeUndefined();
    expect(await store.get(hashed('u'), { collection: 'oidc:Session:uid' })).toBeUndefined();
    expect(await store.collections()).not.toContain('oidc:Session');

    const at = new Adapter('AccessToken');
    await at.upsert('t', { grantId: 'g1' }, 600);
    await at.destroy('t');
    expect((await store.keys('oidc:grant:g1')).keys).toEqual([]);
    await at.destroy('t'); // twice is fine
  });

  it('destroy keeps a lookup that now belongs to another entry', async () => {
    const { Adapter } = setup();
    const sessions = new Adapter('Session');
    await sessions.upsert('old', { uid: 'shared-uid' }, 600);
    await sessions.upsert('new', { uid: 'shared-uid' }, 600);
    await sessions.destroy('old');
    expect(await sessions.findByUid('shared-uid')).toMatchObject({ uid: 'shared-uid' });
  });

  it('revokeByGrantId deletes every member of the grant across models, and only that grant', async () => {
    const { Adapter, store } = setup();
    const at = new Adapter('AccessToken');
    const rt = new Adapter('RefreshToken');
    const code = new Adapter('AuthorizationCode');
    const device = new Adapter('DeviceCode');
    await at.upsert('at1', { grantId: 'G' }, 600);
    await at.upsert('at2', { grantId: 'G' }, 600);
    await rt.upsert('rt1', { grantId: 'G' }, 6000);
    await code.upsert('c1', { grantId: 'G' }, 60);
    await code.consume('c1');
    await device.upsert('d1', { grantId: 'G', userCode: 'UC1' }, 600);
    await at.upsert('other', { grantId: 'H' }, 600);

    await rt.revokeByGrantId('G');

    for (const [adapter, id] of [
      [at, 'at1'],
      [at, 'at2'],
      [rt, 'rt1'],
      [code, 'c1'],
      [device, 'd1'],
    ] as const) {
      expect(await adapter.find(id)).toBeUndefined();
    }
    expect(await device.findByUserCode('UC1')).toBeUndefined();
    expect(await at.find('other')).toEqual({ grantId: 'H' });
    expect(await store.collections()).not.toContain('oidc:grant:G');
    // A request that found a member before the revocation cannot consume it afterwards.
    await expect(rt.consume('rt1')).rejects.toBeInstanceOf(OidcAlreadyConsumedError);
  });

  it('a consumption survives destroy: a request that found the entry before cannot consume it again', async () => {
    const { Adapter, store } = setup();
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c', { jti: 'c' }, 60);
    await codes.consume('c');
    await codes.destroy('c');
    // The record stays, with the payload's lifetime, so consumption cannot be re-opened.
    expect(
      (await store.ttl(hashed('c'), { collection: 'oidc:AuthorizationCode:consumed' })).ttl,
    ).toBeGreaterThan(0);
    await expect(codes.consume('c')).rejects.toBeInstanceOf(OidcAlreadyConsumedError);
  });

  it('revokeByGrantId leaves an id that moved to another grant', async () => {
    const { Adapter } = setup();
    const at = new Adapter('AccessToken');
    await at.upsert('moved', { grantId: 'old' }, 600);
    await at.upsert('moved', { grantId: 'new' }, 600);
    await at.revokeByGrantId('old');
    expect(await at.find('moved')).toEqual({ grantId: 'new' });
    await at.revokeByGrantId('new');
    expect(await at.find('moved')).toBeUndefined();
  });

  it('revokeByGrantId pages through large grants', async () => {
    const { Adapter } = setup();
    const at = new Adapter('AccessToken');
    const ids = Array.from({ length: 1200 }, (_, i) => `t${i}`);
    for (const id of ids) await at.upsert(id, { grantId: 'big' }, 600);
    await at.revokeByGrantId('big');
    const left = await Promise.all(ids.map((id) => at.find(id)));
    expect(left.filter((p) => p !== undefined)).toHaveLength(0);
  });

  it('revokeByGrantId of an unknown grant is a no-op; non-grantable models are not tracked', async () => {
    const { Adapter, store } = setup();
    const sessions = new Adapter('Session');
    await sessions.upsert('s', { uid: 'u', grantId: 'G' }, 600);
    await sessions.revokeByGrantId('G');
    await sessions.revokeByGrantId('unknown');
    expect(await sessions.find('s')).toMatchObject({ uid: 'u' });
    expect(await store.collections()).not.toContain('oidc:grant:G');
  });

  it('uses the collection prefix', async () => {
    const { Adapter, store } = setup({ collectionPrefix: 'idp-a:' });
    await new Adapter('Grant').upsert('g', { accountId: 'a' }, 60);
    expect(await store.get('g', { collection: 'idp-a:Grant' })).toEqual({ accountId: 'a' });
  });

  it('lookups with ids no store can hold find nothing instead of throwing', async () => {
    const { Adapter } = setup();
    const at = new Adapter('AccessToken');
    const lone = '\ud800';
    expect(await at.find('')).toBeUndefined();
    expect(await at.find(lone)).toBeUndefined();
    expect(await at.findByUid('')).toBeUndefined();
    expect(await at.findByUserCode(lone)).toBeUndefined();
    await expect(at.consume('')).resolves.toBeUndefined();
    await expect(at.destroy('')).resolves.toBeUndefined();
    await expect(at.revokeByGrantId('')).resolves.toBeUndefined();
  });

  it('rejects bad writes with typed errors and writes nothing', async () => {
    const { Adapter, store } = setup();
    const at = new Adapter('AccessToken');
    await expect(at.upsert('', { a: 1 }, 60)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(at.upsert('x', { a: 1 }, Number.NaN)).rejects.toBeInstanceOf(InvalidTTLError);
    await expect(at.upsert('x', { a: 1 }, '60' as unknown as number)).rejects.toBeInstanceOf(InvalidTTLError);
    await expect(at.upsert('x', [] as unknown as Record<string, unknown>, 60)).rejects.toBeInstanceOf(
      SerializationError,
    );
    const err = await at.upsert('x', { secret: 'hunter2', n: 1n }, 60).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).not.toContain('hunter2');
    expect(await store.collections()).toEqual([]);
  });

  it('validates its options and the store', () => {
    const store = new MemoryStore({ sweepIntervalMs: 0 });
    expect(() => createOidcAdapter(store, { clockTolerance: -1 })).toThrow(StoreSetupError);
    expect(() => createOidcAdapter({} as MemoryStore)).toThrow(StoreSetupError);
    class NoKeys extends WrapperStore {
      override get capabilities(): StoreCapabilities {
        return { ...this.inner.capabilities, keys: false };
      }
    }
    expect(() => createOidcAdapter(new NoKeys(store))).toThrow(NotSupportedError);
    const Adapter = createOidcAdapter(store);
    expect(() => new Adapter('')).toThrow(InvalidKeyError);
  });
});
