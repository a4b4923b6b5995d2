// Run only by test/conformance-self.test.ts: the store written from scratch on the raw contract
// passes the whole suite and the OAuth certification; the OAuth certification fails the broken
// stores of OAUTH_CASES.
import { describeConformance, describeOAuthConformance } from '../../src/conformance/index.js';
import { OAUTH_CASES, REFERENCE } from './cases.js';

describeConformance('RawStore (reference)', REFERENCE);
for (const c of OAUTH_CASES) describeOAuthConformance(c.name, c.options);
