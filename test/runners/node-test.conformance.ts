// Run by test/conformance-runners.test.ts with `node --test` (not by vitest): the suites of
// ./runner-suites.ts under Node's own runner, through oauth-kv/conformance/core (the PostgreSQL pool
// ended by node:test's `after`).
import * as nodeTest from 'node:test';
import { nodeTestRunner } from '../../src/conformance/core.js';
import { describeRunnerSuites } from './runner-suites.js';

describeRunnerSuites(nodeTestRunner(nodeTest), 'nodetest', nodeTest.after);
