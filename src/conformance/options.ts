/**
 * The options of the conformance suite.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import type { ClauseId } from './clauses.js';

/**
 * What the suite needs to know about the store under test.
 *
 * @example
 * ```ts
 * import { MyStore } from './my-store.js'; // your backend
 *
 * const options: ConformanceOptions = {
 *   createStore: () => new MyStore({ url: process.env.MY_URL }),
 *   persistent: true,
 *   skip: { 'op.close-timers': 'the driver keeps a keep-alive interval we cannot stop' },
 * };
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
  /** Keys in the large bulk test, above a backend's internal batch size (default 1100). */
  bulkSize?: number | undefined;
  /**
   * Time limit in ms of each exactly-once race (150 concurrent calls; default 120 000). Raise it
   * for backends that serialize contending transactions slowly, such as the Firestore emulator.
   */
  raceTimeoutMs?: number | undefined;
  /** Time limit in ms of every other test (default 30 000). */
  timeoutMs?: number | undefined;
  /**
   * Clauses not to check, each with the reason, which the runner shows beside the skipped test.
   * Ids are those of `CONFORMANCE_CLAUSES`; an unknown id throws at registration.
   */
  skip?: Partial<Record<ClauseId, string>> | undefined;
  /** Only register the tests of these clauses (while working on one). Default: all. */
  only?: readonly ClauseId[] | undefined;
  /** Runs once before the suite (create a schema, start a server). */
  setup?: (() => void | Promise<void>) | undefined;
  /**
   * Runs once after the suite, after the suite removed every entry it wrote (for a persistent or
   * shared backing): drop what `setup` created.
   */
  cleanup?: (() => void | Promise<void>) | undefined;
}
