// Run by test/conformance-runners.test.ts with `node --test`: a broken store fails under Node's
// runner too, and a store without atomic take is skipped there with its reason.
import * as nodeTest from 'node:test';
import { describeConformance, nodeTestRunner } from '../../src/conformance/core.js';
import { KeyvStore } from '../../src/stores/keyv/index.js';
import { DeleteAlwaysTrue } from '../conformance-self/broken-raw.js';

const runner = nodeTestRunner(nodeTest);
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
