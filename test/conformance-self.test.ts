/**
 * Tests of the conformance suite itself: it must fail on stores that break the contract.
 * Runs the suite on deliberately broken stores in a child vitest and reads its JSON report.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';

interface Assertion {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
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
}, 120_000);

function failed(store: string): string[] {
  return results
    .filter((r) => r.ancestorTitles[0]?.startsWith(`${store}:`) && r.status === 'failed')
    .map((r) => r.title);
}

describe('the conformance suite catches broken stores', () => {
  test('the child run produced results for every broken store', () => {
    for (const store of [
      'AlwaysTrueDeleteStore',
      'IgnoresTtlStore',
      'NonAtomicTakeStore',
      'AliasingStore',
      'SharesReferencesStore',
    ]) {
      expect(results.filter((r) => r.ancestorTitles[0]?.startsWith(`${store}:`)).length).toBeGreaterThan(50);
    }
  });

  test('a delete that always returns true (the model-based test catches it too)', () => {
    const f = failed('AlwaysTrueDeleteStore');
    expect(f).toContain('delete returns true for an existing entry and false for a missing one');
    expect(f).toContain('random operation sequences agree with a reference model (fixed seed)');
  });

  test('a store that ignores TTLs', () => {
    const f = failed('IgnoresTtlStore');
    expect(f).toContain('an expired entry is invisible to every read and counts as absent');
    expect(f).toContain('ttl() reports the remaining seconds of the stored expiry; fractions are accepted');
  });

  test('a take that is not atomic', () => {
    expect(failed('NonAtomicTakeStore')).toContain(
      'take is exactly-once under 50 concurrent callers per key across two store instances',
    );
  });

  test('a store whose names alias through a separator', () => {
    expect(failed('AliasingStore')).toContain('no two different (collection, key) pairs alias');
  });

  test('a store that shares object references with callers', () => {
    const f = failed('SharesReferencesStore');
    expect(f).toContain(
      'mutating the object passed to put, or returned by a read, never changes what is stored',
    );
  });
});
