// Run by test/conformance-runners.test.ts with `bun test` (the bun of the `bun` devDependency): the
// suites of ./runner-suites.ts through jestLikeRunner and bun's own test API.
// @ts-expect-error bun:test exists only under bun
import * as bunTest from 'bun:test';
import { jestLikeRunner } from '../../src/conformance/core.js';
import { describeRunnerSuites } from './runner-suites.js';

describeRunnerSuites(jestLikeRunner(bunTest), 'buntest');
