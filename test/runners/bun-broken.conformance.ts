// Run by test/conformance-runners.test.ts with `bun test`: a broken store fails under bun's runner
// too, and a store without atomic take is skipped there with its reason.
// @ts-expect-error bun:test exists only under bun
import * as bunTest from 'bun:test';
import { describeConformance, jestLikeRunner } from '../../src/conformance/core.js';
import { KeyvStore } from '../../src/stores/keyv/index.js';
import { DeleteAlwaysTrue } from '../conformance-self/broken-raw.js';

const runner = jestLikeRunner(bunTest);
describeConformance('DeleteAlwaysTrue', {
  runner,
  createStore: () => new DeleteAlwaysTrue(),
  only: ['op.delete'],
});
describeConformance('KeyvStore', {
  runner,
  createStore: () => new KeyvStore(new Map()),
  only: ['cap.atomic'],
});
