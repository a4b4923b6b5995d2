// Run by test/conformance-runners.test.ts with jest: a broken store fails under jest too, and a
// store without atomic take is skipped there with its reason.
import * as jestGlobals from '@jest/globals';
import { describeConformance, jestLikeRunner } from '../../src/conformance/core.js';
import { KeyvStore } from '../../src/stores/keyv/index.js';
import { DeleteAlwaysTrue } from '../conformance-self/broken-raw.js';

const runner = jestLikeRunner(jestGlobals);
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
