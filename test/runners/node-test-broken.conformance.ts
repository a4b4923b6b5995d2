// Run by test/conformance-runners.test.ts with `node --test`: a broken store fails under Node's
// runner too, and a store without atomic take is skipped there with its reason.
import * as nodeTest from 'node:test';
import { nodeTestRunner } from '../../src/conformance/core.js';
import { describeBrokenSuites } from './runner-suites.js';

describeBrokenSuites(nodeTestRunner(nodeTest));
