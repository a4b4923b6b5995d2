/**
 * Differential test: random sequences of adapter calls give the same observable results on the
 * oauth-kv adapter as on oidc-provider's own in-memory adapter (the reference implementation of
 * the Adapter contract).
 */
import fc from 'fast-check';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { describe, expect, it } from 'vitest';
import { createOidcAdapter, type OidcAdapter } from '../src/integrations/oidc-provider.js';
import { MemoryStore } from '../src/stores/memory.js';

const MODELS = [
  'Session',
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'Grant',
] as const;
type Model = (typeof MODELS)[number];
const IDS = ['a', 'b', 'c', 'd'];
const GRANTS = ['g1', 'g2'];
const CODES = ['U1', 'U2', 'U3'];

type Op =
  | { op: 'upsert'; model: Model; id: string; grantId?: string; uid?: string; userCode?: string; n: number }
  | { op: 'find' | 'destroy' | 'consume'; model: Model; id: string }
  | { op: 'findByUid'; uid: string }
  | { op: 'findByUserCode'; userCode: string }
  | { op: 'revoke'; model: Model; grantId: string };

const model = fc.constantFrom(...MODELS);
const id = fc.constantFrom(...IDS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        op: fc.constant('upsert' as const),
        model,
        id,
        grantId: fc.constantFrom(...GRANTS),
        uid: fc.constantFrom('u1', 'u2', 'u3'),
        userCode: fc.constantFrom(...CODES),
        n: fc.integer({ min: 0, max: 9 }),
      },
      { requiredKeys: ['op', 'model', 'id', 'n'] },
    ),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('find' as const), model, id }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('destroy' as const), model, id }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('consume' as const), model, id }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('findByUid' as const), uid: fc.constantFrom('u1', 'u2', 'u3') }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('findByUserCode' as const), userCode: fc.constantFrom(...CODES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('revoke' as const), model, grantId: fc.constantFrom(...GRANTS) }),
  },
);

/** What a caller observes: the payload without its consumption time, and whether it is consumed. */
function observe(payload: Record<string, unknown> | undefined) {
  if (payload === undefined) return undefined;
  const { consumed, ...rest } = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
  return { payload: rest, consumed: consumed !== undefined };
}

describe('oidc-provider adapter vs oidc-provider’s in-memory adapter', () => {
  it('agrees on every observable result of random call sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), async (ops) => {
        const reference = createMemoryAdapter();
        const store = new MemoryStore({ sweepIntervalMs: 0 });
        const Ours = createOidcAdapter(store, {
          exclusiveConsume: false,
          hashSecret: 'model-test-hash-secret-0123456789',
          sealSecret: 'model-test-seal-secret-0123456789',
        });
        const refs = new Map<string, ReturnType<typeof reference>>();
        const ours = new Map<string, OidcAdapter>();
        const pair = (m: string) => {
          if (!refs.has(m)) {
            refs.set(m, reference(m));
            ours.set(m, new Ours(m));
          }
          return [refs.get(m)!, ours.get(m)!] as const;
        };
        // Which ids exist per model (the reference throws on consume of a missing id).
        const live = async (m: Model, i: string) => (await pair(m)[0].find(i)) !== undefined;

        for (const step of ops) {
          switch (step.op) {
            case 'upsert': {
              const payload: Record<string, unknown> = { jti: step.id, kind: step.model, n: step.n };
              if (step.grantId !== undefined) payload.grantId = step.grantId;
              if (step.model === 'Session' && step.uid !== undefined) payload.uid = step.uid;
              if (step.model === 'DeviceCode' && step.userCode !== undefined)
                payload.userCode = step.userCode;
              const [r, o] = pair(step.model);
              await r.upsert(step.id, structuredClone(payload), 3600);
              await o.upsert(step.id, structuredClone(payload), 3600);
              break;
            }
            case 'find':
            case 'destroy': {
              const [r, o] = pair(step.model);
              if (step.op === 'find') {
                expect(observe(await o.find(step.id))).toEqual(observe(await r.find(step.id)));
              } else {
                await r.destroy(step.id);
                await o.destroy(step.id);
              }
              break;
            }
            case 'consume': {
              if (!(await live(step.model, step.id))) break;
              const [r, o] = pair(step.model);
              await r.consume(step.id);
              await o.consume(step.id);
              break;
            }
            case 'findByUid': {
              const [r, o] = pair('Session');
              expect(observe(await o.findByUid(step.uid))).toEqual(observe(await r.findByUid(step.uid)));
              break;
            }
            case 'findByUserCode': {
              const [r, o] = pair('DeviceCode');
              expect(observe(await o.findByUserCode(step.userCode))).toEqual(
                observe(await r.findByUserCode(step.userCode)),
              );
              break;
            }
            case 'revoke': {
              const [r, o] = pair(step.model);
              await r.revokeByGrantId(step.grantId);
              await o.revokeByGrantId(step.grantId);
              break;
            }
          }
        }
        // Finally every id of every model, and every lookup, agrees.
        const [refSessions, ourSessions] = pair('Session');
        for (const uid of ['u1', 'u2', 'u3']) {
          expect(observe(await ourSessions.findByUid(uid))).toEqual(
            observe(await refSessions.findByUid(uid)),
          );
        }
        const [refDevices, ourDevices] = pair('DeviceCode');
        for (const userCode of CODES) {
          expect(observe(await ourDevices.findByUserCode(userCode))).toEqual(
            observe(await refDevices.findByUserCode(userCode)),
          );
        }
        for (const m of MODELS) {
          for (const i of IDS) {
            const [r, o] = pair(m);
            expect(observe(await o.find(i))).toEqual(observe(await r.find(i)));
          }
        }
        await store.close();
      }),
      { numRuns: 150 },
    );
  });
});
