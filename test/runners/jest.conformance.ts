// Run by test/conformance-runners.test.ts with jest (test/runners/jest.config.cjs): the suites of
// ./runner-suites.ts through jestLikeRunner and jest's own API (@jest/globals).
import * as jestGlobals from '@jest/globals';
import { jestLikeRunner } from '../../src/conformance/core.js';
import { describeRunnerSuites } from './runner-suites.js';

describeRunnerSuites(jestLikeRunner(jestGlobals), 'jest');
