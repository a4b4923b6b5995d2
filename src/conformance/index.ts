/**
 * The oauth-kv conformance suite: the whole `AsyncKeyValue` contract as vitest tests. Authors of
 * custom backends and wrappers run it against their store to prove it correct.
 *
 * @example
 * ```ts
 * // my-store.test.ts
 * import { describeConformance } from 'oauth-kv/conformance';
 * import { MyStore } from './my-store.js';
 *
 * describeConformance('MyStore', {
 *   createStore: () => new MyStore({ url: process.env.MY_URL }),
 *   persistent: true,
 * });
 * ```
 * @module
 */
import { describe } from 'vitest';
import type { AsyncKeyValue } from '../contract.js';
import { describeAtomic } from './atomic.js';
import { describeBadInput } from './bad-input.js';
import { describeBasic } from './basic.js';
import { describeBulk } from './bulk.js';
import { createSuiteContext } from './context.js';
import { describeCopy } from './copy.js';
import { describeIncrement } from './increment.js';
import { describeLargeValue } from './large-value.js';
import { describeModel } from './model.js';
import { describeNames } from './names.js';
import { describeOptional } from './optional.js';
import { describePersistence } from './persistence.js';
import { describeTtl } from './ttl.js';
import { describeValidation } from './validation.js';

/**
 * What the suite needs to know about the store under test.
 *
 * @example
 * ```ts
 * const options: ConformanceOptions = { createStore: () => new MemoryStore(), persistent: false };
 * ```
 */
export interface ConformanceOptions {
  /**
   * Creates a store. Called for each test, and twice in the tests that use two instances. Every
   * store it returns is closed by the suite after the test. For a persistent or shared backend,
   * each call must return a store on the same backing (same directory, database, key prefix).
   */
  createStore: () => AsyncKeyValue | Promise<AsyncKeyValue>;
  /** Data written survives `close()` and is read by the next `createStore()` (default `false`). */
  persistent?: boolean | undefined;
  /** Two live stores from `createStore()` see each other's writes (default: `persistent`). */
  sharedBacking?: boolean | undefined;
  /** Extra seconds to wait past a TTL before checking that the entry expired (default 0.25). */
  ttlSlack?: number | undefined;
  /** Number of randomized operation sequences in the model test (default 25). */
  modelRuns?: number | undefined;
  /** Seed of the model test, fixed so failures reproduce (default 20261122). */
  modelSeed?: number | undefined;
  /** Size of the large-value test in bytes (default 1 MiB). */
  largeValueBytes?: number | undefined;
  /**
   * Time limit in ms of each exactly-once race (150 concurrent calls; default 120 000). Raise it
   * for backends that serialize contending transactions slowly, such as the Firestore emulator.
   */
  raceTimeoutMs?: number | undefined;
}

/**
 * Registers the conformance suite for one store as a vitest `describe` block. Errors are checked by
 * their stable `code`, so a store built on the CommonJS build of oauth-kv passes too.
 *
 * @example
 * ```ts
 * import { describeConformance } from 'oauth-kv/conformance';
 * import { MemoryStore } from 'oauth-kv';
 *
 * describeConformance('MemoryStore', { createStore: () => new MemoryStore() });
 * ```
 */
export function describeConformance(name: string, options: ConformanceOptions): void {
  describe(`${name}: AsyncKeyValue conformance`, () => {
    const context = createSuiteContext(options);
    describeBasic(context);
    describeBulk(context);
    describeCopy(context);
    describeBadInput(context);
    describeValidation(context);
    describeNames(context);
    describeLargeValue(context);
    describeTtl(context);
    describeAtomic(context);
    describeIncrement(context);
    describePersistence(context);
    describeOptional(context);
    describeModel(context);
  });
}
