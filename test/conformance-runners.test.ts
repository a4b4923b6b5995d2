/**
 * The conformance suites under other test runners. `node --test` runs test/runners/*.conformance.ts
 * (through oauth-kv/conformance/core, with a loader hook that fails the run if anything imports
 * vitest) on MemoryStore and PostgreSQL; jestLikeRunner (the adapter for bun test and jest) is run
 * here on vitest's jest-compatible API; `bun test` (the bun of the `bun` devDependency) runs the same
 * suites through it on bun:test, and real jest (test/runners/jest.config.cjs) on @jest/globals, each
 * on MemoryStore and PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import * as vitest from 'vitest';
import { beforeAll, describe, expect, test } from 'vitest';
import { describeConformance, jestLikeRunner } from '../src/conformance/core.js';
import { MemoryStore } from '../src/stores/memory.js';
import { bunPath } from './helpers/runtime-binaries.js';

const require = createRequire(import.meta.url);

const run = promisify(execFile);

/** Runs a child process to its end: its exit code and its output (stdout, then stderr). */
function runChild(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  return run(command, args, { env: { ...process.env, ...env }, maxBuffer: 32 * 1024 * 1024 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      out: err.stdout + err.stderr,
    }),
  );
}

interface Tap {
  code: number;
  out: string;
  count: (what: 'tests' | 'pass' | 'fail' | 'skipped') => number;
}

async function nodeTest(file: string): Promise<Tap> {
  const args = [
    '--import',
    './test/runners/no-vitest.mjs',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=tap',
    file,
  ];
  const result = await runChild(process.execPath, args, { CI: '' });
  return {
    ...result,
    count: (what) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(result.out)?.[1] ?? Number.NaN),
  };
}

const postgres = process.env.OAUTH_KV_TEST_POSTGRES_URL !== undefined;
let good: Tap;
let broken: Tap;
beforeAll(async () => {
  [good, broken] = await Promise.all([
    nodeTest('test/runners/node-test.conformance.ts'),
    nodeTest('test/runners/node-test-broken.conformance.ts'),
  ]);
}, 240_000);

describe('node:test (nodeTestRunner, through oauth-kv/conformance/core, vitest never loaded)', () => {
  test(`both suites pass on MemoryStore${postgres ? ' and the store suite on PostgreSQL' : ''}`, () => {
    expect(good.out).not.toContain('vitest was imported');
    expect(good.code).toBe(0);
    expect(good.count('fail')).toBe(0);
    // MemoryStore: the store suite (~100) and the OAuth certification (6); PostgreSQL: ~100 more.
    expect(good.count('pass')).toBeGreaterThan(postgres ? 190 : 95);
    expect(good.out).toMatch(/^ok \d+ - MemoryStore: OAuth certification$/m);
    if (postgres) {
      expect(good.out).toMatch(/^ok \d+ - PostgresStore: AsyncKeyValue conformance$/m);
      expect(good.out).toContain('rows left by the suite: 0');
    }
  });

  test('an opt-out is reported as a skip with its reason', () => {
    expect(good.out).toContain(
      'a sub-second TTL (0.6 s) expires on time # SKIP ttl.subsecond: an opt-out shown by the runner',
    );
  });

  test('a broken store fails there too, and a capability the store lacks is a skip with its reason', () => {
    expect(broken.out).not.toContain('vitest was imported');
    expect(broken.code).not.toBe(0);
    expect(broken.out).toMatch(
      /not ok \d+ - delete returns true for an existing entry and false for a missing one/,
    );
    expect(broken.out).toContain(
      'take is exactly-once under 50 concurrent callers per key across two store instances # SKIP the store announces capabilities.atomic = false',
    );
  });

  test('no module the runner-agnostic entry loads imports vitest', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Without comments: their examples show imports of vitest.
      const source = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const [, spec] of source.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^(vitest|@vitest\/)/);
        if (spec?.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit('src/conformance/core.ts');
    expect(seen.size).toBeGreaterThan(20);
  });
});

// jestLikeRunner is what bun test and jest use; vitest offers the same describe/test/hook API.
describeConformance('MemoryStore through jestLikeRunner', {
  runner: jestLikeRunner(vitest),
  createStore: () => new MemoryStore(),
  only: ['op.take', 'ttl.expiry', 'value.refused', 'cap.atomic'],
  skip: { 'value.refused': 'an opt-out, in the title of the skipped tests' },
});

// `bun test` with the bun of the `bun` devDependency (its platform package; the install script that
// links node_modules/.bin/bun does not run under `npm ci --ignore-scripts`).
async function bunTest(
  file: string,
): Promise<{ code: number; out: string; count: (what: string) => number }> {
  const result = await runChild(bunPath(), ['test', `./${file}`], { CI: '', NO_COLOR: '1' });
  return {
    ...result,
    count: (what) => Number(new RegExp(`^ (\\d+) ${what}$`, 'm').exec(result.out)?.[1] ?? Number.NaN),
  };
}

describe(`bun test ${require('bun/package.json').version} (jestLikeRunner over bun:test)`, () => {
  let bunGood: Awaited<ReturnType<typeof bunTest>>;
  let bunBroken: Awaited<ReturnType<typeof bunTest>>;
  beforeAll(async () => {
    [bunGood, bunBroken] = await Promise.all([
      bunTest('test/runners/bun.conformance.ts'),
      bunTest('test/runners/bun-broken.conformance.ts'),
    ]);
  }, 240_000);

  test(`both suites pass on MemoryStore${postgres ? ' and the store suite on PostgreSQL' : ''}`, () => {
    expect(bunGood.code, bunGood.out).toBe(0);
    expect(bunGood.count('fail')).toBe(0);
    // MemoryStore: the store suite (~100) and the OAuth certification (6); PostgreSQL: ~100 more.
    expect(bunGood.count('pass')).toBeGreaterThan(postgres ? 190 : 95);
    expect(bunGood.out).toMatch(/^\(pass\) MemoryStore: OAuth certification > /m);
    if (postgres) {
      expect(bunGood.out).toMatch(/^\(pass\) PostgresStore: AsyncKeyValue conformance > /m);
      expect(bunGood.out).toContain('rows left by the suite: 0');
    }
  });

  test('an opt-out is reported as a skip with its reason', () => {
    expect(bunGood.out).toContain(
      '(skip) MemoryStore: AsyncKeyValue conformance > time to live > a sub-second TTL (0.6 s) expires on time [skipped: ttl.subsecond: an opt-out shown by the runner]',
    );
  });

  test('a broken store fails there too; a capability the store lacks is logged with its reason', () => {
    expect(bunBroken.code).not.toBe(0);
    expect(bunBroken.out).toMatch(
      /^\(fail\) DeleteAlwaysTrue: AsyncKeyValue conformance > basic operations > delete returns true for an existing entry and false for a missing one/m,
    );
    // bun:test has no skip from inside a running test: jestLikeRunner logs the reason instead.
    expect(bunBroken.out).toContain(
      'take is exactly-once under 50 concurrent callers per key across two store instances: skipped: the store announces capabilities.atomic = false',
    );
  });
});

// Real jest (the `jest` devDependency), through jestLikeRunner over @jest/globals; its transform turns
// the TypeScript sources into CommonJS with esbuild (test/runners/jest.config.cjs).
async function jestRun(
  file: string,
): Promise<{ code: number; out: string; count: (what: string) => number }> {
  const jest = join(dirname(require.resolve('jest/package.json')), 'bin', 'jest.js');
  const args = [jest, '--config', 'test/runners/jest.config.cjs', '--verbose', '--ci', file];
  const result = await runChild(process.execPath, args, { CI: '', NO_COLOR: '1', FORCE_COLOR: '0' });
  const summary = /^Tests:\s+(.*)$/m.exec(result.out)?.[1] ?? '';
  return {
    ...result,
    count: (what) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1] ?? 0),
  };
}

describe(`jest ${require('jest/package.json').version} (jestLikeRunner over @jest/globals)`, () => {
  let jestGood: Awaited<ReturnType<typeof jestRun>>;
  let jestBroken: Awaited<ReturnType<typeof jestRun>>;
  beforeAll(async () => {
    [jestGood, jestBroken] = await Promise.all([
      jestRun('test/runners/jest.conformance.ts'),
      jestRun('test/runners/jest-broken.conformance.ts'),
    ]);
  }, 240_000);

  test(`both suites pass on MemoryStore${postgres ? ' and the store suite on PostgreSQL' : ''}`, () => {
    expect(jestGood.code, jestGood.out).toBe(0);
    expect(jestGood.count('failed')).toBe(0);
    // MemoryStore: the store suite (~100) and the OAuth certification (6); PostgreSQL: ~100 more.
    expect(jestGood.count('passed')).toBeGreaterThan(postgres ? 190 : 95);
    expect(jestGood.out).toMatch(/^ {2}MemoryStore: OAuth certification$/m);
    if (postgres) {
      expect(jestGood.out).toMatch(/^ {2}PostgresStore: AsyncKeyValue conformance$/m);
      expect(jestGood.out).toContain('rows left by the suite: 0');
    }
  });

  test('an opt-out is reported as a skip with its reason', () => {
    expect(jestGood.out).toContain(
      '○ skipped a sub-second TTL (0.6 s) expires on time [skipped: ttl.subsecond: an opt-out shown by the runner]',
    );
  });

  test('a broken store fails there too; a capability the store lacks is logged with its reason', () => {
    expect(jestBroken.code).not.toBe(0);
    expect(jestBroken.out).toContain(
      '✕ delete returns true for an existing entry and false for a missing one',
    );
    expect(jestBroken.out).toContain(
      'take is exactly-once under 50 concurrent callers per key across two store instances: skipped: the store announces capabilities.atomic = false',
    );
  });
});
