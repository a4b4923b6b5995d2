/**
 * The conformance suites without a test runner of their own: pass the adapter of yours
 * (`node:test`, `bun test`, jest, vitest). `oauth-kv/conformance` is the same with vitest built in.
 *
 * @example
 * ```ts
 * // my-store.test.ts, run with `node --test`
 * import * as nodeTest from 'node:test';
 * import { describeConformance, nodeTestRunner } from 'oauth-kv/conformance/core';
 * import { MyStore } from './my-store.js';
 *
 * describeConformance('MyStore', {
 *   runner: nodeTestRunner(nodeTest),
 *   createStore: () => new MyStore({ url: process.env.MY_URL }),
 *   persistent: true,
 * });
 * ```
 * @module
 */
import { type OAuthConformanceOptions, registerOAuthConformance } from './oauth.js';
import type { ConformanceOptions } from './options.js';
import type { ConformanceRunner } from './runner.js';
import { registerConformance } from './suite.js';

export {
  type Clause,
  type ClauseId,
  CONFORMANCE_CLAUSES,
  OAUTH_CONFORMANCE_CLAUSES,
  type OAuthClauseId,
} from './clauses.js';
export type { OAuthConformanceOptions } from './oauth.js';
export type { ConformanceOptions } from './options.js';
export {
  type ConformanceRunner,
  type ConformanceTestContext,
  type JestLikeApi,
  jestLikeRunner,
  type NodeTestApi,
  nodeTestRunner,
  type VitestApi,
  vitestRunner,
} from './runner.js';

/**
 * Registers the conformance suite for one store on the given test runner. Errors are checked by
 * their stable `code`, so a store built on the CommonJS build of oauth-kv passes too.
 *
 * @example
 * ```ts
 * import * as bunTest from 'bun:test';
 * import { describeConformance, jestLikeRunner } from 'oauth-kv/conformance/core';
 * import { MemoryStore } from 'oauth-kv';
 *
 * describeConformance('MemoryStore', { runner: jestLikeRunner(bunTest), createStore: () => new MemoryStore() });
 * ```
 */
export function describeConformance(
  name: string,
  options: ConformanceOptions & { runner: ConformanceRunner },
): void {
  if (options?.runner === undefined) {
    throw new TypeError(
      "oauth-kv/conformance/core needs options.runner (nodeTestRunner, jestLikeRunner, vitestRunner); under vitest, import from 'oauth-kv/conformance'",
    );
  }
  registerConformance(options.runner, name, options);
}

/**
 * Registers the OAuth certification on the given test runner: with the real `OAuthStateStore` on
 * two instances of the store, an authorization code is redeemed exactly once and a refresh token
 * rotated exactly once by racing replicas, revocation is seen at once everywhere, codes expire on
 * time, and (with encryption) records moved to another key or collection are refused.
 *
 * @example
 * ```ts
 * import * as nodeTest from 'node:test';
 * import { describeOAuthConformance, nodeTestRunner } from 'oauth-kv/conformance/core';
 * import { RedisStore } from 'oauth-kv/redis';
 *
 * describeOAuthConformance('RedisStore', {
 *   runner: nodeTestRunner(nodeTest),
 *   createStore: () => new RedisStore({ url: process.env.REDIS_URL }),
 * });
 * ```
 */
export function describeOAuthConformance(
  name: string,
  options: OAuthConformanceOptions & { runner: ConformanceRunner },
): void {
  if (options?.runner === undefined) {
    throw new TypeError(
      "oauth-kv/conformance/core needs options.runner (nodeTestRunner, jestLikeRunner, vitestRunner); under vitest, import from 'oauth-kv/conformance'",
    );
  }
  registerOAuthConformance(options.runner, name, options);
}
