// Run by test/conformance-runners.test.ts with `bun test` when bun is installed: both suites on
// MemoryStore through jestLikeRunner and bun's own test API.
// @ts-expect-error bun:test exists only under bun
import * as bunTest from 'bun:test';
import { describeConformance, describeOAuthConformance, jestLikeRunner } from '../../src/conformance/core.js';
import { MemoryStore } from '../../src/stores/memory.js';

const runner = jestLikeRunner(bunTest);
describeConformance('MemoryStore', { runner, createStore: () => new MemoryStore() });
describeOAuthConformance('MemoryStore', {
  runner,
  createStore: () => new MemoryStore(),
  sharedBacking: false,
});
