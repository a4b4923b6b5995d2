/**
 * The OAuth certification: what an MCP author needs from a backend before trusting it with OAuth
 * state, checked with the real `OAuthStateStore` on two instances (two replicas) of the store.
 * @module
 */

import type { AsyncKeyValue } from '../contract.js';
import { generateFernetKey } from '../crypto/keys.js';
import { OAuthStateStore } from '../integrations/mcp-state.js';
import { withEncryption } from '../wrappers/encryption.js';
import { OAUTH_CONFORMANCE_CLAUSES, type OAuthClauseId } from './clauses.js';
import { createSuiteContext } from './context.js';
import type { OAuthContext } from './oauth-context.js';
import { describeOAuthMoved } from './oauth-moved.js';
import { describeOAuthRaces } from './oauth-races.js';
import { describeOAuthTime } from './oauth-time.js';
import type { ConformanceOptions } from './options.js';
import type { ConformanceRunner } from './runner.js';

/**
 * Options of the OAuth certification.
 *
 * @example
 * ```ts
 * import { MyStore } from './my-store.js'; // your backend
 *
 * const options: OAuthConformanceOptions = { createStore: () => new MyStore({ url: process.env.MY_URL }) };
 * ```
 */
export interface OAuthConformanceOptions {
  /**
   * Creates a store; two of them stand for two replicas of a server. For a shared backend every
   * call returns a store on the same backing. Every store is closed after its test.
   */
  createStore: () => AsyncKeyValue | Promise<AsyncKeyValue>;
  /**
   * Two stores from `createStore()` share one backing (default `true`). Set `false` for an
   * in-process store: the races then run on one instance.
   */
  sharedBacking?: boolean | undefined;
  /** Concurrent callers in each race (default 20). */
  racers?: number | undefined;
  /** Extra seconds to wait past a TTL before checking that a code expired (default 0.25). */
  ttlSlack?: number | undefined;
  /** Time limit in ms of each race (default 120 000). */
  raceTimeoutMs?: number | undefined;
  /** Time limit in ms of every other test (default 30 000). */
  timeoutMs?: number | undefined;
  /** Clauses not to check, each with its reason (shown beside the skipped test). */
  skip?: Partial<Record<OAuthClauseId, string>> | undefined;
  /** Only register the tests of these clauses. */
  only?: readonly OAuthClauseId[] | undefined;
  /** Runs once before the tests. */
  setup?: (() => void | Promise<void>) | undefined;
  /** Runs once after the tests, after the suite removed every entry they wrote. */
  cleanup?: (() => void | Promise<void>) | undefined;
}

/** Registers the OAuth certification on `runner`. */
export function registerOAuthConformance(
  runner: ConformanceRunner,
  name: string,
  options: OAuthConformanceOptions,
  observe?: (clauses: readonly string[], name: string) => void,
): void {
  if (typeof options?.createStore !== 'function') {
    throw new TypeError(
      'describeOAuthConformance needs options.createStore, a function returning a new store',
    );
  }
  runner.describe(`${name}: OAuth certification`, () => {
    const suiteOptions: ConformanceOptions & { skip?: never; only?: never } = {
      createStore: options.createStore,
      sharedBacking: options.sharedBacking ?? true,
      ttlSlack: options.ttlSlack,
      raceTimeoutMs: options.raceTimeoutMs,
      timeoutMs: options.timeoutMs,
      setup: options.setup,
      cleanup: options.cleanup,
    };
    const base = createSuiteContext<OAuthClauseId>(
      runner,
      { ...suiteOptions, skip: options.skip, only: options.only },
      Object.keys(OAUTH_CONFORMANCE_CLAUSES),
      observe,
    );
    const key = generateFernetKey();
    const refused: OAuthContext['refused'] = [];
    runner.afterEach(async () => void refused.splice(0));
    const context: OAuthContext = {
      ...base,
      racers: options.racers ?? 20,
      refused,
      state: (store, stateOptions = {}) =>
        new OAuthStateStore(store, {
          allowNonAtomic: true, // the races show what a non-atomic store does; oauth.atomic fails it
          onRecordRefused: (error, where) => void refused.push({ error, collection: where.collection }),
          ...stateOptions,
        }),
      encrypted: (store) => withEncryption(store, { keys: key }),
    };
    describeOAuthRaces(context);
    describeOAuthTime(context);
    describeOAuthMoved(context);
  });
}
