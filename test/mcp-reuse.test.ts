/**
 * Refresh rotation races across replicas, counted on every real backend: 4 store instances (each
 * under its own encryption wrapper, as 4 replicas would run), 10 concurrent rotations of the same
 * refresh token on each, 20 repetitions. Exactly one rotation may win every time; with
 * `revokeOnRefreshReuse` every race must end with the grant revoked (the winner's new tokens
 * included), without it the winner's tokens must work on every replica. The counts are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AsyncKeyValue } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { OAuthStateStore } from '../src/integrations/mcp.js';
import { FileStore } from '../src/stores/file/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { emulatorProject } from './helpers/firestore-emulator.js';

const INSTANCES = 4;
const PER_INSTANCE = 10;
const REPETITIONS = 20;
const KEY = generateFernetKey();
const TIMEOUT_MS = 600_000;

interface Counts {
  runs: number;
  exactlyOneWinner: number;
  winners: number;
  losersInvalidGrant: number;
  grantRevoked: number;
  winnerTokensDead: number;
  winnerTokensLive: number;
}

async function race(
  stores: AsyncKeyValue[],
  revokeOnRefreshReuse: boolean,
  collections: object,
): Promise<Counts> {
  const states = stores.map(
    (store) =>
      new OAuthStateStore(withEncryption(store, { keys: [KEY] }), { revokeOnRefreshReuse, collections }),
  );
  const counts: Counts = {
    runs: 0,
    exactlyOneWinner: 0,
    winners: 0,
    losersInvalidGrant: 0,
    grantRevoked: 0,
    winnerTokensDead: 0,
    winnerTokensLive: 0,
  };
  for (let run = 0; run < REPETITIONS; run++) {
    const first = states[0]!;
    const code = await first.createAuthorizationCode({
      client_id: 'client-1',
      redirect_uri: 'http://127.0.0.1:9/cb',
      code_challenge: 'c',
      scopes: ['read'],
    });
    const issued = await first.exchangeAuthorizationCode(code, { client_id: 'client-1' });
    if (!issued.ok) throw new Error(issued.reason);
    const refresh = issued.tokens.refresh_token as string;
    const results = await Promise.all(
      states.flatMap((state) =>
        Array.from({ length: PER_INSTANCE }, () =>
          state.rotateRefreshToken(refresh, { client_id: 'client-1' }),
        ),
      ),
    );
    const won = results.filter((r) => r.ok);
    counts.runs++;
    counts.winners += won.length;
    counts.losersInvalidGrant += results.filter((r) => !r.ok && r.error === 'invalid_grant').length;
    if (won.length === 1) counts.exactlyOneWinner++;
    const grantGone = (await Promise.all(states.map((s) => s.getGrant(issued.grant_id)))).every(
      (g) => g === undefined,
    );
    if (grantGone) counts.grantRevoked++;
    const winner = won[0];
    if (winner?.ok) {
      const seen = await Promise.all(states.map((s) => s.verifyAccessToken(winner.tokens.access_token)));
      const again = await states[1]!.rotateRefreshToken(winner.tokens.refresh_token as string, {
        client_id: 'client-1',
      });
      if (seen.every((info) => info === undefined) && !again.ok) counts.winnerTokensDead++;
      if (seen.every((info) => info !== undefined) && again.ok) counts.winnerTokensLive++;
    }
    expect(await states[2]!.verifyAccessToken(issued.tokens.access_token)).toBeUndefined();
  }
  return counts;
}

function describeRaces(
  name: string,
  open: () => Promise<AsyncKeyValue> | AsyncKeyValue,
  cleanup: () => Promise<void>,
) {
  describe(`refresh rotation races: ${name}, ${INSTANCES} instances x ${PER_INSTANCE} rotations x ${REPETITIONS} runs`, () => {
    const opened: AsyncKeyValue[] = [];
    const openAll = async () => {
      const stores: AsyncKeyValue[] = [];
      for (let i = 0; i < INSTANCES; i++) stores.push(await open());
      opened.push(...stores);
      return stores;
    };
    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await cleanup();
    });

    it(
      'revokeOnRefreshReuse: exactly one winner in every run and the grant revoked in every run',
      async () => {
        const counts = await race(await openAll(), true, { usedRefreshTokens: uniqueName('used') });
        console.log(`[reuse] ${name}, revokeOnRefreshReuse: ${JSON.stringify(counts)}`);
        expect(counts).toEqual({
          runs: REPETITIONS,
          exactlyOneWinner: REPETITIONS,
          winners: REPETITIONS,
          losersInvalidGrant: REPETITIONS * (INSTANCES * PER_INSTANCE - 1),
          grantRevoked: REPETITIONS,
          winnerTokensDead: REPETITIONS,
          winnerTokensLive: 0,
        });
      },
      TIMEOUT_MS,
    );

    it(
      'without reuse detection: exactly one winner in every run, whose tokens work on every instance',
      async () => {
        const counts = await race(await openAll(), false, {});
        console.log(`[reuse] ${name}, exactly once: ${JSON.stringify(counts)}`);
        expect(counts).toEqual({
          runs: REPETITIONS,
          exactlyOneWinner: REPETITIONS,
          winners: REPETITIONS,
          losersInvalidGrant: REPETITIONS * (INSTANCES * PER_INSTANCE - 1),
          grantRevoked: 0,
          winnerTokensDead: 0,
          winnerTokensLive: REPETITIONS,
        });
      },
      TIMEOUT_MS,
    );
  });
}

const directory = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-reuse-'));
describeRaces(
  'FileStore (4 instances on one directory)',
  () => new FileStore({ directory }),
  async () => rmSync(directory, { recursive: true, force: true }),
);

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
const firestore = await findBackend('firestore');
afterAll(async () => {
  await Promise.all([redis.stop(), postgres.stop(), firestore.stop()]);
});

if (redis.available) {
  const { RedisStore } = await import('../src/stores/redis/index.js');
  const keyPrefix = `${uniqueName('reuse')}:`;
  describeRaces(
    `RedisStore ${redis.description}`,
    () => new RedisStore({ url: redis.url, keyPrefix }),
    async () => {
      const store = new RedisStore({ url: redis.url, keyPrefix });
      for (const collection of await store.collections()) await store.destroyCollection(collection);
      await store.close();
    },
  );
} else {
  describe.skip(`refresh rotation races: RedisStore ${redis.description}`, () => {
    it('needs Redis', () => {});
  });
}

if (postgres.available) {
  const { PostgresStore } = await import('../src/stores/postgres/index.js');
  const pg = (await import('pg')).default;
  const schema = uniqueName('reuse');
  const setup = new pg.Client({ connectionString: postgres.url });
  await setup.connect();
  await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  describeRaces(
    `PostgresStore ${postgres.description}`,
    () => new PostgresStore({ url: postgres.url, schema }),
    async () => {
      await setup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await setup.end();
    },
  );
} else {
  describe.skip(`refresh rotation races: PostgresStore ${postgres.description}`, () => {
    it('needs PostgreSQL', () => {});
  });
}

if (firestore.available) {
  const { FirestoreStore } = await import('../src/stores/firestore/index.js');
  const project = emulatorProject(firestore.url, 'oakv-reuse');
  describeRaces(
    `FirestoreStore on the emulator ${firestore.description}`,
    () => new FirestoreStore({ projectId: project.projectId }),
    () => project.dispose(),
  );
} else {
  describe.skip(`refresh rotation races: FirestoreStore ${firestore.description}`, () => {
    it('needs the Firestore emulator', () => {});
  });
}
