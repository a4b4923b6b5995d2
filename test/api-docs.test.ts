/** Every public export has a doc comment with an example, and docs/api.md shows all of them. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { API_DOC, collectExports, renderApi } from '../scripts/api-docs.js';

describe('API documentation', () => {
  const exports = collectExports();

  test('there are exports in every entry (the collector works)', () => {
    expect(exports.length).toBeGreaterThan(100);
    expect(new Set(exports.map((e) => e.entry)).size).toBeGreaterThanOrEqual(10);
  });

  test('every export has a doc comment and an example', () => {
    const missing = exports
      .filter((e) => !e.summary || e.examples.length === 0)
      .map((e) => `${e.entry} ${e.name}`);
    expect(missing).toEqual([]);
  });

  test('docs/api.md is current (run `npm run docs:api` after changing a public doc comment)', () => {
    expect(readFileSync(API_DOC, 'utf8')).toBe(renderApi(exports));
  });
}, 60_000);
