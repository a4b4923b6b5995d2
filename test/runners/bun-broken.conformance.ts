// Run by test/conformance-runners.test.ts with `bun test`: a broken store fails under bun's runner
// too, and a store without atomic take is skipped there with its reason.
// @ts-expect-error bun:test exists only under bun
import * as bunTest from 'bun:test';
import { jestLikeRunner } from '../../src/conformance/core.js';
import { describeBrokenSuites } from './runner-suites.js';

describeBrokenSuites(jestLikeRunner(bunTest));
