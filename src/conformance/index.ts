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
import type { ConformanceOptions } from './options.js';
import { type ConformanceRunner, vitestRunner } from './runner.js';
import { registerConformance } from './suite.js';

export { type Clause, type ClauseId, CONFORMANCE_CLAUSES } from './clauses.js';
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
