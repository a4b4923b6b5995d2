/**
 * Tests of the conformance suite itself: it must fail on stores that break the contract, on the
 * test of the clause each breaks, with a message that says why; and pass a correct store written
 * from scratch on the raw contract. Runs the suite on the broken stores of conformance-self/cases.ts
 * in a child vitest and reads its JSON report.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { CASES, OAUTH_CASES } from './conformance-self/cases.js';

interface Assertion {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}

let results: Assertion[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-self-'));
  const out = join(dir, 'report.json');
  try {
    await promisify(execFile)(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        '--config',
        'test/conformance-self/vitest.config.ts',
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { env: { ...process.env, CI: '' }, maxBuffer: 64 * 1024 * 1024 },
    ).catch(() => undefined); // the child fails by design; the report says how
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      testResults: Array<{ assertionResults: Assertion[] }>;
    };
    results = report.testResults.flatMap((f) => f.assertionResults);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

function of(suite: string): Assertion[] {
  return results.filter((r) => r.ancestorTitles[0] === suite);
}

describe('the conformance suite catches broken stores', () => {
  test('at least 40 hand-written broken stores, most written from scratch on the raw contract', () => {
    const broken = CASES.filter((c) => c.kind !== 'config');
    expect(broken.length).toBeGreaterThanOrEqual(40);
    expect(broken.filter((c) => c.kind === 'raw').length).toBeGreaterThan(broken.length / 2);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  test('a correct store written from scratch on the raw contract passes every test of both suites', () => {
    const store = of('RawStore (reference): AsyncKeyValue conformance');
    const oauth = of('RawStore (reference): OAuth certification');
    expect(store.length).toBeGreaterThan(90);
    expect(oauth.length).toBe(6);
    const notPassed = [...store, ...oauth].filter((r) => r.status !== 'passed');
    expect(notPassed.map((r) => `${r.title}: ${r.failureMessages[0]?.split('\n')[0]}`)).toEqual([]);
  });

  for (const c of CASES) {
    test(`${c.name} (${c.kind}) fails ${c.fails.length === 1 ? 'the test' : 'the tests'} of ${c.options.only.join(', ')}`, () => {
      const mine = of(`${c.name}: AsyncKeyValue conformance`);
      expect(mine.length).toBeGreaterThan(0);
      const failed = mine.filter((r) => r.status === 'failed').map((r) => r.title);
      for (const title of c.fails) expect(failed).toContain(title);
      if (c.message !== undefined) {
        const first = mine.find((r) => r.title === c.fails[0]);
        expect(first?.failureMessages.join('\n')).toContain(c.message);
      }
    });
  }

  for (const c of OAUTH_CASES.filter((o) => o.fails.length > 0)) {
    test(`the OAuth certification fails ${c.name}, saying why`, () => {
      const mine = of(`${c.name}: OAuth certification`);
      expect(mine.length).toBeGreaterThan(0);
      const failed = mine.filter((r) => r.status === 'failed');
      expect(failed.map((r) => r.title).sort()).toEqual([...c.fails].sort());
      if (c.message !== undefined) expect(failed[0]?.failureMessages.join('\n')).toContain(c.message);
    });
  }
});
