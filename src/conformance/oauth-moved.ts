/**
 * The OAuth certification's check of record binding: with encryption, a record copied by someone
 * with write access to the backend to another key or collection is refused, never served as the
 * record of another code or token.
 * @module
 */
import { equal, fail, ok } from './assert.js';
import { CLIENT_ID, codeRequest, type OAuthContext } from './oauth-context.js';
import { RecordingStore, type WrittenNames } from './recording.js';

/** Registers the moved-record test. */
export function describeOAuthMoved({ test, describe, make, state, encrypted, refused }: OAuthContext): void {
  describe('records at rest', () => {
    test(
      ['oauth.moved-refused'],
      'with encryption, a record moved to another key or collection is refused',
      async () => {
        const raw = await make();
        const log: WrittenNames = new Map();
        const s = state(encrypted(new RecordingStore(raw, log)));
        const codes = s.collections.codes;
        /** The raw key the next write to `collection` goes to. */
        const nextKey = async (collection: string, write: () => Promise<string>) => {
          const before = new Set(log.get(collection));
          const value = await write();
          const added = [...(log.get(collection) ?? [])].filter((k) => !before.has(k));
          if (added.length !== 1) fail(`expected one write to ${collection}, saw ${added.length}`);
          return { value, key: added[0] as string };
        };
        const alice = await nextKey(codes, () => s.createAuthorizationCode(codeRequest('alice')));
        const mallory = await nextKey(codes, () => s.createAuthorizationCode(codeRequest('mallory')));
        equal((await s.getAuthorizationCode(alice.value))?.subject, 'alice', "alice's code before the move");

        // Someone with write access to the backend copies alice's sealed record over mallory's code.
        const stolen = await raw.get(alice.key, { collection: codes });
        ok(stolen, "alice's record in the backend");
        await raw.put(mallory.key, stolen, { collection: codes, ttl: 300 });
        equal(
          await s.getAuthorizationCode(mallory.value),
          undefined,
          "mallory's code holding alice's moved record",
        );
        const exchanged = await s.exchangeAuthorizationCode(mallory.value, { client_id: CLIENT_ID });
        ok(!exchanged.ok, "mallory's code redeemed alice's moved record: records are not bound to their key");
        ok(
          refused.some((r) => r.error.code === 'RECORD_BINDING' && r.collection === codes),
          `the refusal must be reported as RecordBindingError; reported: ${refused.map((r) => r.error.code).join(', ') || 'nothing'}`,
        );

        // ... or into another collection under the same key.
        refused.splice(0);
        await raw.put(alice.key, stolen, { collection: s.collections.transactions, ttl: 300 });
        equal(
          await s.getTransaction(alice.value),
          undefined,
          "alice's code record read as a pending transaction",
        );
        ok(
          refused.some((r) => r.error.code === 'RECORD_BINDING'),
          `a record moved to another collection must be refused with RecordBindingError; reported: ${refused.map((r) => r.error.code).join(', ') || 'nothing'}`,
        );
        equal(
          (await s.getAuthorizationCode(alice.value))?.subject,
          'alice',
          "alice's own code, left in place",
        );
      },
    );
  });
}
