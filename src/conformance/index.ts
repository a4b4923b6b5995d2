/**
 * The oauth-kv conformance suite as vitest tests: the whole `AsyncKeyValue` contract, and the
 * OAuth certification. Authors of custom backends and wrappers run it against their store to prove
 * it correct. For `node:test`, `bun test` or jest, use `oauth-kv/conformance/core`.
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
import * as vitest from 'vitest';
import { type OAuthConformanceOptions, registerOAuthConformance } from './oauth.js';
import type { ConformanceOptions } from './options.js';
import { type ConformanceRunner, vitestRunner } from './runner.js';
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
export type { ConformanceRunner, ConformanceTestContext } from './runner.js';

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
export function describeConformance(
  name: string,
  options: ConformanceOptions & { runner?: ConformanceRunner | undefined },
): void {
  registerConformance(options?.runner ?? vitestRunner(vitest), name, options);
}

/**
 * Registers the OAuth certification as a vitest `describe` block: with the real `OAuthStateStore`
 * on two instances of the store, an authorization code is redeemed exactly once and a refresh token
 * rotated exactly once by racing replicas, revocation is seen at once everywhere, codes expire on
 * time, and (with encryption) records moved to another key or collection are refused.
 *
 * @example
 * ```ts
 * import { describeOAuthConformance } from 'oauth-kv/conformance';
 * import { PostgresStore } from 'oauth-kv/postgres';
 *
 * describeOAuthConformance('PostgresStore', {
 *   createStore: () => new PostgresStore({ url: process.env.DATABASE_URL }),
 * });
 * ```
 */
export function describeOAuthConformance(
  name: string,
  options: OAuthConformanceOptions & { runner?: ConformanceRunner | undefined },
): void {
  registerOAuthConformance(options?.runner ?? vitestRunner(vitest), name, options);
}
