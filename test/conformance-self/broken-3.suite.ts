// Run only by test/conformance-self.test.ts, through its own vitest config: every store here is
// broken on purpose and the suite is expected to fail on it (one third of the cases, so the child
// run spreads them over its workers).
import { describeConformance } from '../../src/conformance/index.js';
import { CASES } from './cases.js';

for (const [i, c] of CASES.entries()) if (i % 3 === 2) describeConformance(c.name, c.options);
