/**
 * The list of every test the suites register, with the clauses each checks, without running them:
 * for the clause table of docs/conformance.md and the suite's own tests. Not part of the package's
 * entry points.
 * @module
 */
import { MemoryStore } from '../stores/memory.js';
import { CONFORMANCE_CLAUSES, OAUTH_CONFORMANCE_CLAUSES } from './clauses.js';
import { registerOAuthConformance } from './oauth.js';
import type { ConformanceRunner } from './runner.js';
import { registerConformance } from './suite.js';

/** One registered test. */
export interface CatalogEntry {
  suite: 'store' | 'oauth';
  name: string;
  clauses: readonly string[];
}

/** Every test of both suites (a persistent, shared store, so every test is registered). */
export function catalogTests(): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  for (const suite of ['store', 'oauth'] as const) {
    const runner: ConformanceRunner = {
      describe: (_name, body) => body(),
      test: () => undefined,
      skip: () => undefined,
      afterEach: () => undefined,
      beforeAll: () => undefined,
      afterAll: () => undefined,
    };
    const observe = (clauses: readonly string[], name: string) => entries.push({ suite, name, clauses });
    const createStore = () => new MemoryStore();
    if (suite === 'store') registerConformance(runner, 'catalog', { createStore, persistent: true }, observe);
    else registerOAuthConformance(runner, 'catalog', { createStore }, observe);
  }
  return entries;
}

/** The clause table of docs/conformance.md: each clause, what it requires, and the tests that check it. */
export function clauseTable(): string {
  const tests = catalogTests();
  const rows = (
    clauses: Record<string, { summary: string; elsewhere?: readonly string[] }>,
    suite: CatalogEntry['suite'],
  ) =>
    Object.entries(clauses).map(([id, clause]) => {
      const names = tests.filter((t) => t.suite === suite && t.clauses.includes(id)).map((t) => t.name);
      const where =
        names.length > 0
          ? names.join('<br>')
          : (clause.elsewhere ?? []).map((e) => `(project) ${e}`).join('<br>');
      return `| \`${id}\` | ${clause.summary} | ${where.replace(/\|/g, '\\|') || '**none**'} |`;
    });
  return [
    '| clause | requires | checked by |',
    '|---|---|---|',
    ...rows(CONFORMANCE_CLAUSES, 'store'),
    ...rows(OAUTH_CONFORMANCE_CLAUSES, 'oauth'),
  ].join('\n');
}
