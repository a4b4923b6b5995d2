/**
 * The clause table: every rule of docs/contract.md is quoted by a clause, every clause has a test
 * (or names the project test that checks what no store test can), and docs/conformance.md shows the
 * table as the suites register it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { catalogTests, clauseTable } from '../src/conformance/catalog.js';
import { CONFORMANCE_CLAUSES, OAUTH_CONFORMANCE_CLAUSES } from '../src/conformance/clauses.js';

const clauses: Record<string, { quotes: readonly string[]; elsewhere?: readonly string[] }> = {
  ...CONFORMANCE_CLAUSES,
  ...OAUTH_CONFORMANCE_CLAUSES,
};
const contract = readFileSync('docs/contract.md', 'utf8');
const tests = catalogTests();

/** The rules of contract.md: bullets, table rows and paragraphs of its normative sections. */
function rules(): string[] {
  const out: string[] = [];
  for (const section of ['## Entries', '## Operations', '## Health check', '## Time to live', '## Errors']) {
    const start = contract.indexOf(section);
    const end = contract.indexOf('\n## ', start + 1);
    const body = contract.slice(start + section.length, end < 0 ? undefined : end);
    let current: string[] = [];
    const flush = () => {
      if (current.length > 0) out.push(current.join(' '));
      current = [];
    };
    for (const line of body.split('\n')) {
      if (line.trim() === '') flush();
      else if (line.startsWith('|')) {
        flush();
        if (!/^\|[-| ]+\|$/.test(line) && !/^\| (operation|class|store) \|/.test(line)) out.push(line);
      } else if (line.startsWith('- ')) {
        flush();
        current.push(line.slice(2));
      } else current.push(line.trim());
    }
    flush();
  }
  return out;
}

describe('the clause table', () => {
  test('every rule of docs/contract.md is quoted by at least one clause', () => {
    const found = rules();
    expect(found.length).toBeGreaterThan(35);
    const quotes = Object.values(clauses).flatMap((c) => c.quotes);
    const unquoted = found.filter((rule) => !quotes.some((q) => rule.includes(q)));
    expect(unquoted).toEqual([]);
  });

  test('every quote is verbatim in docs/contract.md', () => {
    for (const [id, clause] of Object.entries(clauses)) {
      const flat = contract.replace(/\s+/g, ' ');
      for (const quote of clause.quotes) expect(flat, `${id}: ${quote}`).toContain(quote);
    }
  });

  test('every clause has a test, or names the project test that checks it', () => {
    for (const [id, clause] of Object.entries(clauses)) {
      const checked = tests.filter((t) => t.clauses.includes(id));
      if (checked.length > 0) continue;
      expect(clause.elsewhere?.length, `${id} has no test`).toBeGreaterThan(0);
      for (const ref of clause.elsewhere ?? []) {
        const [file, title] = ref.split(' › ') as [string, string];
        expect(existsSync(file), ref).toBe(true);
        expect(readFileSync(file, 'utf8'), ref).toContain(title);
      }
    }
  });

  test('every test names at least one clause, and only known ones', () => {
    expect(tests.length).toBeGreaterThan(100);
    for (const t of tests) {
      expect(t.clauses.length, t.name).toBeGreaterThan(0);
      for (const id of t.clauses) expect(Object.keys(clauses), `${t.name}: ${id}`).toContain(id);
    }
  });

  test('docs/conformance.md shows the current table (npm run docs:conformance)', () => {
    const doc = readFileSync('docs/conformance.md', 'utf8');
    const start = '<!-- clause-table:start -->\n';
    const shown = doc.slice(doc.indexOf(start) + start.length, doc.indexOf('\n<!-- clause-table:end -->'));
    expect(shown).toBe(clauseTable());
  });
});
