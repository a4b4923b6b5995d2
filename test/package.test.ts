/**
 * Package shape: every tsup entry is exported (and the other way round), and importing the core or
 * a subpath never loads a database driver it does not need.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliEntries, entries } from '../tsup.config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
};

/** The command line's own runtime dependencies: the library never loads them. */
const CLI_DEPENDENCIES = ['commander', 'cli-progress'];

const DRIVERS = [
  'pg',
  'ioredis',
  '@google-cloud/firestore',
  'keyv',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/client',
  'oidc-provider',
  'fastmcp',
  'better-auth',
];

/** Bare packages resolved while importing `file` (a source module) in a fresh Node process. */
function packagesLoadedBy(file: string): string[] {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/helpers/import-spy.mjs',
      '-e',
      `await import(${JSON.stringify(file)})`,
    ],
    { encoding: 'utf8', input: '' },
  );
  const line = out.split('\n').find((l) => l.startsWith('IMPORTS '));
  return JSON.parse(line?.slice('IMPORTS '.length) ?? '[]') as string[];
}

describe('package.json', () => {
  test('every tsup entry has an export and every export (but package.json) has an entry', () => {
    const exported = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    const built = Object.keys(entries).map((name) => (name === 'index' ? '.' : `./${name}`));
    expect(exported.sort()).toEqual(built.sort());
    for (const source of Object.values(entries)) expect(existsSync(source)).toBe(true);
  });

  test("the only runtime dependencies are the CLI's, pinned; drivers are optional peer dependencies", () => {
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...CLI_DEPENDENCIES].sort());
    for (const version of Object.values(pkg.dependencies ?? {})) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name] of Object.entries(pkg.peerDependencies)) {
      expect(pkg.peerDependenciesMeta[name]?.optional).toBe(true);
    }
  });
});

describe('the oauth-kv command', () => {
  test('package bin points at the built CLI entry, which no subpath exports', () => {
    expect(pkg.bin).toEqual({ 'oauth-kv': './dist/cli.js' });
    expect(Object.keys(cliEntries)).toEqual(['cli']);
    expect(Object.keys(entries)).not.toContain('cli');
    expect(readFileSync(cliEntries.cli as string, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  test('no library source imports the CLI or its dependencies', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path !== join('src', 'cli')) walk(path);
          continue;
        }
        const text = readFileSync(path, 'utf8');
        const bad =
          /from ['"](?:\.\.?\/)+cli\/|from ['"](?:commander|cli-progress)['"]|import\(['"](?:commander|cli-progress)['"]\)/;
        if (bad.test(text)) offenders.push(path);
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});

describe('importing never loads a driver it does not use', () => {
  test('the import spy sees packages that are loaded (control)', () => {
    expect(packagesLoadedBy('./src/conformance/index.ts')).toEqual(
      expect.arrayContaining(['fast-check', 'vitest']),
    );
  });

  test('oauth-kv/conformance/core loads no test runner (fast-check only)', () => {
    const loaded = packagesLoadedBy('./src/conformance/core.ts');
    expect(loaded).toContain('fast-check');
    expect(loaded.filter((p) => p === 'vitest' || p.startsWith('@vitest/') || DRIVERS.includes(p))).toEqual(
      [],
    );
  });

  test('the root entry loads no third-party package at all', () => {
    expect(packagesLoadedBy('./src/index.ts')).toEqual([]);
  });

  for (const [name, source] of Object.entries(entries)) {
    if (name === 'index' || name.startsWith('conformance')) continue;
    test(`oauth-kv/${name} loads no database driver (and nothing of the CLI) on import`, () => {
      const loaded = packagesLoadedBy(`./${source}`);
      expect(loaded.filter((p) => DRIVERS.includes(p) && !allowedAtImport(name, p))).toEqual([]);
      expect(loaded.filter((p) => CLI_DEPENDENCIES.includes(p))).toEqual([]);
    });
  }
});

/** Integrations may import the SDK they integrate with; stores load their driver lazily. */
function allowedAtImport(entry: string, pkgName: string): boolean {
  return (
    (entry === 'mcp' && pkgName === '@modelcontextprotocol/sdk') ||
    (entry === 'fastmcp' && pkgName === 'fastmcp') ||
    (entry === 'oidc-provider' && pkgName === 'oidc-provider')
  );
}
