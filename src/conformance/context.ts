/**
 * What every section of the conformance suite shares: test registration by clause (opt-outs,
 * `only`), the store factory (each store it makes is closed after the test and its writes are
 * recorded for the final cleanup), fresh collection names, and the options with defaults applied.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type AsyncKeyValue, DEFAULT_COLLECTION } from '../contract.js';
import { fail } from './assert.js';
import { type ClauseId, CONFORMANCE_CLAUSES, checkClauseIds } from './clauses.js';
import type { ConformanceOptions } from './options.js';
import { RecordingStore, removeRecorded, type WrittenNames } from './recording.js';
import type { ConformanceRunner, ConformanceTestContext } from './runner.js';

/** The options every suite shares (the store suite's and the OAuth suite's). */
export type SuiteOptions<Id extends string> = Omit<ConformanceOptions, 'skip' | 'only'> & {
  skip?: Partial<Record<Id, string>> | undefined;
  only?: readonly Id[] | undefined;
};

/** The body of one test. */
export type TestBody = (context: ConformanceTestContext) => Promise<void>;

/** The suite's options with defaults applied, and the fixtures each section needs. */
export interface SuiteContext<Id extends string = ClauseId> {
  /** Registers a test checking `clauses` (skipped with its reason when one is opted out). */
  test: (clauses: readonly Id[], name: string, body: TestBody, timeoutMs?: number) => void;
  /** Registers a test that does not apply to this store, shown as skipped with `reason`. */
  skipped: (clauses: readonly Id[], name: string, reason: string) => void;
  /** Groups tests. */
  describe: (name: string, body: () => void) => void;
  /** A store for this test (closed by the suite after it). */
  make: () => Promise<AsyncKeyValue>;
  /** A collection name no other test (or run) uses. */
  fresh: (label?: string) => string;
  /** A key no other test (or run) uses, for tests that share the default collection. */
  freshKey: (label: string) => string;
  /** Fails, naming `sharedBacking`, unless a write on `a` is seen at once on `b`. */
  expectShared: (a: AsyncKeyValue, b: AsyncKeyValue) => Promise<void>;
  persistent: boolean;
  shared: boolean;
  /** Milliseconds to wait past a TTL before checking that the entry expired. */
  slackMs: number;
  raceTimeout: number;
  timeout: number;
  largeValueBytes: number;
  bulkSize: number;
  modelRuns: number;
  modelSeed: number;
}

const CLAUSE_IDS = Object.keys(CONFORMANCE_CLAUSES);

/**
 * Builds the context of one suite. Call it inside the suite's `describe`: it registers the hooks
 * that close every store made during a test, run `setup`, and remove what the run wrote.
 */
export function createSuiteContext<Id extends string = ClauseId>(
  runner: ConformanceRunner,
  options: SuiteOptions<Id>,
  known: readonly string[] = CLAUSE_IDS,
  observe?: (clauses: readonly string[], name: string) => void,
): SuiteContext<Id> {
  const skip = new Map<string, unknown>(Object.entries(options.skip ?? {}));
  checkClauseIds(skip.keys(), 'skip', known);
  for (const [id, reason] of skip) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError(`skip[${JSON.stringify(id)}] must be the reason, a non-empty string`);
    }
  }
  const only = options.only === undefined ? undefined : new Set<string>(options.only);
  if (only) checkClauseIds(only, 'only', known);
  const persistent = options.persistent ?? false;
  const shared = options.sharedBacking ?? persistent;
  const timeout = options.timeoutMs ?? 30_000;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const open: AsyncKeyValue[] = [];
  const written: WrittenNames = new Map();

  if (options.setup) {
    const setup = options.setup;
    runner.beforeAll(async () => void (await setup()), 120_000);
  }
  runner.afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  runner.afterAll(async () => {
    if ((persistent || shared) && written.size > 0) {
      const store = await options.createStore();
      try {
        await removeRecorded(store, written);
      } finally {
        await store.close().catch(() => undefined);
      }
    }
    await options.cleanup?.();
  }, 300_000);

  // Registrations inside describe() are held until the group is complete, so a group left empty by
  // `only` or by the store's options is not registered at all (runners refuse empty groups).
  const groups: Array<Array<() => void>> = [];
  const register = (fn: () => void) => {
    const group = groups[groups.length - 1];
    if (group) group.push(fn);
    else fn();
  };

  return {
    test: (clauses, name, body, timeoutMs = timeout) => {
      if (only && !clauses.some((id) => only.has(id))) return;
      observe?.(clauses, name);
      const optedOut = clauses.find((id) => skip.has(id));
      if (optedOut !== undefined)
        register(() => runner.skip(name, `${optedOut}: ${String(skip.get(optedOut))}`));
      else register(() => runner.test(name, body, timeoutMs));
    },
    skipped: (clauses, name, reason) => {
      if (only && !clauses.some((id) => only.has(id))) return;
      observe?.(clauses, name);
      register(() => runner.skip(name, reason));
    },
    describe: (name, body) => {
      const group: Array<() => void> = [];
      groups.push(group);
      try {
        body();
      } finally {
        groups.pop();
      }
      if (group.length > 0) {
        register(() =>
          runner.describe(name, () => {
            for (const fn of group) fn();
          }),
        );
      }
    },
    make: async () => {
      const store = new RecordingStore(await options.createStore(), written);
      open.push(store);
      return store;
    },
    fresh: (label = 'c') => `conf-${run}-${label}-${++counter}`,
    freshKey: (label) => `${label}-${run}-${++counter}`,
    expectShared: async (a, b) => {
      const key = `shared-probe-${run}-${++counter}`;
      await a.put(key, { probe: true });
      const seen = await b.get(key, { collection: DEFAULT_COLLECTION });
      await a.delete(key);
      if (seen === undefined) {
        fail(
          'Two stores from createStore() do not share a backing: a write on one is not seen by the other. ' +
            `sharedBacking is true${options.sharedBacking === undefined ? ' (it follows persistent: true)' : ''}: ` +
            'if each createStore() call makes a separate store (an in-memory one, say), set sharedBacking: false ' +
            '(or persistent: false); the cross-instance tests then race callers on one instance.',
        );
      }
    },
    persistent,
    shared,
    slackMs: (options.ttlSlack ?? 0.25) * 1000,
    raceTimeout: options.raceTimeoutMs ?? 120_000,
    timeout,
    largeValueBytes: options.largeValueBytes ?? 1024 * 1024,
    bulkSize: options.bulkSize ?? 1100,
    modelRuns: options.modelRuns ?? 25,
    modelSeed: options.modelSeed ?? 20261122,
  };
}

/**
 * Collects every key of a collection through `keys()` paging, from the start or from `from` (a
 * cursor a page returned). Pages may be empty while more follow; a cursor answered with itself, or
 * paging that never ends, fails.
 */
export async function allKeys(
  store: AsyncKeyValue,
  collection: string,
  limit = 7,
  from?: string,
): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined = from;
  let guard = 0;
  do {
    const page = await store.keys(collection, { limit, cursor });
    keys.push(...page.keys);
    if (page.cursor !== undefined && page.cursor === cursor) {
      fail('keys() answered a page with the cursor it was given: the cursor is ignored, paging never ends');
    }
    cursor = page.cursor;
    if (++guard > 10_000) fail('keys() never returned a final page (cursor never undefined)');
  } while (cursor !== undefined);
  return keys;
}

/** "… past its TTL": the hint that names `ttlSlack`, for expiry failures. */
export function expiryHint(slackMs: number): string {
  return (
    ` (checked ${slackMs / 1000} s after the entry expired: an expired entry must be invisible whatever ` +
    'the backend evicts later; if the backend clock runs behind this one, raise ttlSlack)'
  );
}
