/**
 * The test-runner adapters of the conformance suite. The suite registers its tests through a
 * {@link ConformanceRunner}; adapters are built from the runner module the caller imported, so the
 * suite itself imports no test runner.
 * @module
 */

/**
 * What a test body receives: `skip(reason)` ends the test as skipped, with its reason shown.
 *
 * @example
 * ```ts
 * const body = async (ctx: ConformanceTestContext) => {
 *   if (!store.capabilities.atomic) ctx.skip('the store announces capabilities.atomic = false');
 * };
 * ```
 */
export interface ConformanceTestContext {
  /** Ends the test now and reports it as skipped, with `reason` in the output. */
  skip(reason: string): never;
}

/**
 * The few things the conformance suites need from a test runner. Build one with
 * {@link vitestRunner}, {@link nodeTestRunner} or {@link jestLikeRunner}, or write your own.
 *
 * @example
 * ```ts
 * import * as nodeTest from 'node:test';
 * import { nodeTestRunner, type ConformanceRunner } from 'oauth-kv/conformance/core';
 *
 * const runner: ConformanceRunner = nodeTestRunner(nodeTest);
 * ```
 */
export interface ConformanceRunner {
  /** Groups tests; `body` registers them synchronously. */
  describe(name: string, body: () => void): void;
  /** Registers one test with its time limit in ms. */
  test(name: string, body: (context: ConformanceTestContext) => Promise<void>, timeoutMs: number): void;
  /** Registers a test that is not run, with the reason shown in the runner's output. */
  skip(name: string, reason: string): void;
  /** Runs after each test of the enclosing `describe`. */
  afterEach(hook: () => Promise<void>): void;
  /** Runs once before the tests of the enclosing `describe`. */
  beforeAll(hook: () => Promise<void>, timeoutMs: number): void;
  /** Runs once after the tests of the enclosing `describe`. */
  afterAll(hook: () => Promise<void>, timeoutMs: number): void;
}

type Hook = () => unknown;
type Body = () => unknown;

/**
 * The part of vitest's API the adapter uses (`import * as vitest from 'vitest'` fits).
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * const api: VitestApi = vitest;
 * ```
 */
export interface VitestApi {
  describe: (name: string, body: () => void) => unknown;
  test: ((
    name: string,
    body: (ctx: { skip: (note?: string) => never }) => unknown,
    timeout?: number,
  ) => unknown) & {
    skip: (name: string, body: Body) => unknown;
  };
  afterEach: (hook: Hook) => unknown;
  beforeAll: (hook: Hook, timeout?: number) => unknown;
  afterAll: (hook: Hook, timeout?: number) => unknown;
}

/**
 * The adapter for vitest (3 or 4). `oauth-kv/conformance` uses it for you.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * import { describeConformance, vitestRunner } from 'oauth-kv/conformance/core';
 * import { MyStore } from './my-store.js'; // your backend
 *
 * describeConformance('MyStore', { runner: vitestRunner(vitest), createStore: () => new MyStore() });
 * ```
 */
export function vitestRunner(vitest: VitestApi): ConformanceRunner {
  return {
    describe: (name, body) => void vitest.describe(name, body),
    test: (name, body, timeoutMs) =>
      void vitest.test(name, (ctx) => body({ skip: (reason) => ctx.skip(reason) }), timeoutMs),
    skip: (name, reason) => void vitest.test.skip(`${name} [skipped: ${reason}]`, () => undefined),
    afterEach: (hook) => void vitest.afterEach(hook),
    beforeAll: (hook, timeoutMs) => void vitest.beforeAll(hook, timeoutMs),
    afterAll: (hook, timeoutMs) => void vitest.afterAll(hook, timeoutMs),
  };
}

/**
 * The part of `node:test` the adapter uses (`import * as nodeTest from 'node:test'` fits).
 *
 * @example
 * ```ts
 * import * as nodeTest from 'node:test';
 * const api: NodeTestApi = nodeTest;
 * ```
 */
export interface NodeTestApi {
  describe: (name: string, body: () => void) => unknown;
  /** `test(name, options, body)`; typed loosely because `node:test` declares it with overloads. */
  test: (...args: never[]) => unknown;
  afterEach: (hook: Hook) => unknown;
  before: (hook: Hook, options?: { timeout?: number }) => unknown;
  after: (hook: Hook, options?: { timeout?: number }) => unknown;
}

/** The overload of `node:test`'s `test` the adapter calls. */
type NodeTestFn = (
  name: string,
  options: { timeout?: number; skip?: string | boolean },
  body: (t: { skip: (message?: string) => void }) => unknown,
) => unknown;

/** Thrown by `skip()` under runners whose own skip does not end the test. */
class Skipped extends Error {}

/**
 * The adapter for Node's built-in runner, `node:test` (Node 20 and later). Skips print as
 * `# SKIP <reason>`.
 *
 * @example
 * ```ts
 * import * as nodeTest from 'node:test';
 * import { describeConformance, nodeTestRunner } from 'oauth-kv/conformance/core';
 * import { MyStore } from './my-store.js'; // your backend
 *
 * describeConformance('MyStore', { runner: nodeTestRunner(nodeTest), createStore: () => new MyStore() });
 * ```
 */
export function nodeTestRunner(nodeTest: NodeTestApi): ConformanceRunner {
  const test = nodeTest.test as unknown as NodeTestFn;
  return {
    describe: (name, body) => void nodeTest.describe(name, body),
    test: (name, body, timeoutMs) =>
      void test(name, { timeout: timeoutMs }, async (t) => {
        try {
          await body({
            skip: (reason) => {
              t.skip(reason);
              throw new Skipped(reason);
            },
          });
        } catch (err) {
          if (!(err instanceof Skipped)) throw err;
        }
      }),
    skip: (name, reason) => void test(name, { skip: reason }, () => undefined),
    afterEach: (hook) => void nodeTest.afterEach(hook),
    beforeAll: (hook, timeoutMs) => void nodeTest.before(hook, { timeout: timeoutMs }),
    afterAll: (hook, timeoutMs) => void nodeTest.after(hook, { timeout: timeoutMs }),
  };
}

/**
 * The part of jest's and `bun:test`'s API the adapter uses (their globals,
 * `import * as jestGlobals from '@jest/globals'`, or `import * as bunTest from 'bun:test'`).
 *
 * @example
 * ```ts
 * import * as bunTest from 'bun:test';
 * const api: JestLikeApi = bunTest;
 * ```
 */
export interface JestLikeApi {
  describe: (name: string, body: () => void) => unknown;
  // The callbacks are typed as the adapter makes them, so jest's stricter declarations fit too.
  test: ((name: string, body: () => Promise<void>, timeout?: number) => unknown) & {
    skip: (name: string, body: () => void) => unknown;
  };
  afterEach: (hook: () => Promise<void>) => unknown;
  beforeAll: (hook: () => Promise<void>, timeout?: number) => unknown;
  afterAll: (hook: () => Promise<void>, timeout?: number) => unknown;
}

/**
 * The adapter for `bun test` and jest. These runners cannot skip a test once it has started: a
 * test that finds the store lacks what it checks (`capabilities.atomic` false, say) logs
 * `skipped: <reason>` and passes. Opt-outs (`skip` option) are reported as skipped tests, the
 * reason in the title.
 *
 * @example
 * ```ts
 * import * as bunTest from 'bun:test';
 * import { describeConformance, jestLikeRunner } from 'oauth-kv/conformance/core';
 * import { MyStore } from './my-store.js'; // your backend
 *
 * describeConformance('MyStore', { runner: jestLikeRunner(bunTest), createStore: () => new MyStore() });
 * ```
 */
export function jestLikeRunner(api: JestLikeApi): ConformanceRunner {
  return {
    describe: (name, body) => void api.describe(name, body),
    test: (name, body, timeoutMs) =>
      void api.test(
        name,
        async () => {
          try {
            await body({
              skip: (reason) => {
                console.info(`${name}: skipped: ${reason}`);
                throw new Skipped(reason);
              },
            });
          } catch (err) {
            if (!(err instanceof Skipped)) throw err;
          }
        },
        timeoutMs,
      ),
    skip: (name, reason) => void api.test.skip(`${name} [skipped: ${reason}]`, () => undefined),
    afterEach: (hook) => void api.afterEach(hook),
    beforeAll: (hook, timeoutMs) => void api.beforeAll(hook, timeoutMs),
    afterAll: (hook, timeoutMs) => void api.afterAll(hook, timeoutMs),
  };
}
