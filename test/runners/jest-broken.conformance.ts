// Run by test/conformance-runners.test.ts with jest: a broken store fails under jest too, and a
// store without atomic take is skipped there with its reason.
import * as jestGlobals from '@jest/globals';
import { jestLikeRunner } from '../../src/conformance/core.js';
import { describeBrokenSuites } from './runner-suites.js';

describeBrokenSuites(jestLikeRunner(jestGlobals));
