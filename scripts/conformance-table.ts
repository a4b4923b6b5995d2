/**
 * Writes the clause table of docs/conformance.md (between its clause-table markers) from the
 * suites' own registry: `npm run docs:conformance`. test/conformance-clauses.test.ts checks it is
 * current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { clauseTable } from '../src/conformance/catalog.js';

const START = '<!-- clause-table:start -->';
const END = '<!-- clause-table:end -->';
const file = new URL('../docs/conformance.md', import.meta.url);
const doc = readFileSync(file, 'utf8');
const from = doc.indexOf(START);
const to = doc.indexOf(END);
if (from < 0 || to < from) throw new Error(`docs/conformance.md needs ${START} and ${END}`);
writeFileSync(file, `${doc.slice(0, from + START.length)}\n${clauseTable()}\n${doc.slice(to)}`);
