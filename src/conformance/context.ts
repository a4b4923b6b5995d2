/**
 * What every section of the conformance suite shares: the store factory (each store it makes is
 * closed after the test), fresh collection names, and the suite's options with their defaults
 * applied.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import type { AsyncKeyValue } from '../contract.js';
import type { ConformanceOptions } from './index.js';

/** The suite's options with defaults applied, and the fixtures each section needs. */
export interface SuiteContext {
  /** A store for this test (closed by the suite after it). */
  make: () => Promise<AsyncKeyValue>;
  /** A collection name no other test (or run) uses. */
  fresh: (label?: string) => string;
  /** A key no other test (or run) uses, for tests that share the default collection. */
  freshKey: (label: string) => string;
  /** Data written survives `close()` and is read by the next store. */
  persistent: boolean;
  /** Two live stores see each other's writes. */
  shared: boolean;
  /** Milliseconds to wait past a TTL before checking that the entry expired. */
  slackMs: number;
  /** Time limit in ms of each exactly-once race. */
  raceTimeout: number;
  /** Size of the large-value test in bytes. */
  largeValueBytes: number;
  /** Number of randomized operation sequences in the model test. */
  modelRuns: number;
  /** Seed of the model test. */
  modelSeed: number;
}

/**
 * Builds the context of one suite. Call it inside the suite's `describe`: it registers the
 * `afterEach` that closes every store made during the test.
 */
export function createSuiteContext(options: ConformanceOptions): SuiteContext {
  const persistent = options.persistent ?? false;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const open: AsyncKeyValue[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  return {
    make: async () => {
      const store = await options.createStore();
      open.push(store);
      return store;
    },
    fresh: (label = 'c') => `conf-${run}-${label}-${++counter}`,
    freshKey: (label) => `${label}-${run}-${++counter}`,
    persistent,
    shared: options.sharedBacking ?? persistent,
    slackMs: (options.ttlSlack ?? 0.25) * 1000,
    raceTimeout: options.raceTimeoutMs ?? 120_000,
    largeValueBytes: options.largeValueBytes ?? 1024 * 1024,
    modelRuns: options.modelRuns ?? 25,
    modelSeed: options.modelSeed ?? 20261122,
  };
}

/** Collects every key of a collection through `keys()` paging. */
export async function allKeys(store: AsyncKeyValue, collection: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  let guard = 0;
  do {
    const page = await store.keys(collection, { limit: 7, cursor });
    keys.push(...page.keys);
    cursor = page.cursor;
    if (++guard > 10_000) throw new Error('keys() never returned a final page');
  } while (cursor !== undefined);
  return keys;
}
