/**
 * The packed package, installed as a user installs it (test/helpers/packed.ts): what the tarball
 * holds, that every subpath imports as ESM and as CommonJS, that its types resolve and compile for
 * a consumer under every module resolution TypeScript offers (node10, node16, nodenext, bundler),
 * which type packages each subpath needs, what `attw` says of it, and that the documentation links
 * in it lead somewhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { entries } from '../tsup.config.js';
import { type Packed, packed, repo, tsc } from './helpers/packed.js';

let pack: Packed;
beforeAll(async () => {
  pack = await packed();
}, 300_000);

const subpaths = Object.keys(entries).map((name) => (name === 'index' ? 'oauth-kv' : `oauth-kv/${name}`));
/** ESM only: the vitest route loads vitest, which cannot be require()d; the runner-agnostic core follows it. */
const esmOnly = new Set(['oauth-kv/conformance', 'oauth-kv/conformance/core']);
const REPO_URL = 'https://github.com/oauth-kv/oauth-kv';

function node(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the tarball', () => {
  test('ships the prepack build (dist/) for every entry, in both formats, with types', () => {
    for (const name of Object.keys(entries)) {
      for (const ext of name.startsWith('conformance') ? ['js', 'd.ts'] : ['js', 'cjs', 'd.ts', 'd.cts']) {
        expect(pack.files).toContain(`dist/${name}.${ext}`);
      }
    }
    expect(pack.files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'docs/api.md']),
    );
  });

  test('ships no source maps, tests, sources or examples', () => {
    expect(pack.files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(pack.files.filter((f) => /^(src|test|examples|bench|scripts)\//.test(f))).toEqual([]);
  });

  test('stays small: under 700 kB packed (627 kB with the machine-to-machine clients, the 2.x login and response cache, the paging indexes and the one-file core)', () => {
    const size = statSync(pack.tarball).size;
    console.log(`tarball: ${(size / 1024).toFixed(1)} kB packed, ${pack.files.length} files`);
    expect(size).toBeLessThan(700 * 1024);
  });

  test('names its repository, homepage and issue tracker', () => {
    const manifest = JSON.parse(
      readFileSync(join(pack.consumer, 'node_modules/oauth-kv/package.json'), 'utf8'),
    );
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPO_URL}.git` });
    expect(manifest.homepage).toBe(`${REPO_URL}#readme`);
    expect(manifest.bugs).toEqual({ url: `${REPO_URL}/issues` });
  });

  test('arethetypeswrong finds no problem under node10, node16 (ESM and CJS) and bundler', () => {
    const attw = join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const out = execFileSync(
      process.execPath,
      [
        attw,
        pack.tarball,
        '--format',
        'json',
        '--exclude-entrypoints',
        './conformance',
        './conformance/core',
      ],
      {
        encoding: 'utf8',
      },
    );
    const report = JSON.parse(out) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
  }, 120_000);
});

describe('installed from the tarball', () => {
  test('every subpath imports as ESM', () => {
    const script = subpaths
      .map(
        (s) =>
          `const m${subpaths.indexOf(s)} = await import('${s}'); if (Object.keys(m${subpaths.indexOf(s)}).length === 0) throw new Error('${s} is empty');`,
      )
      .join('\n');
    writeFileSync(join(pack.consumer, 'import-all.mjs'), `${script}\nconsole.log('ok');\n`);
    expect(node(['import-all.mjs'], pack.consumer).trim()).toBe('ok');
  });

  test('every subpath but the ESM-only conformance suites requires as CommonJS, sharing one error class', () => {
    const lines = subpaths
      .filter((s) => !esmOnly.has(s))
      .map((s) => `if (Object.keys(require('${s}')).length === 0) throw new Error('${s}');`);
    lines.push(
      "const core = require('oauth-kv'); const { FileStore } = require('oauth-kv/file');",
      "new FileStore({ directory: require('node:os').tmpdir() + '/oauth-kv-cjs-' + process.pid }).get('').catch((e) => console.log(e instanceof core.InvalidKeyError ? 'ok' : 'other class'));",
    );
    writeFileSync(join(pack.consumer, 'require-all.cjs'), `${lines.join('\n')}\n`);
    expect(node(['require-all.cjs'], pack.consumer).trim()).toBe('ok');
  });

  test('the root entry imports no Node built-in and no other package (it runs on Workers without nodejs_compat)', () => {
    const dist = join(pack.consumer, 'node_modules/oauth-kv/dist');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(join(dist, file), 'utf8');
      for (const [, spec] of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        expect(spec!.startsWith('./'), `${file} imports ${spec}`).toBe(true);
        visit(spec!.slice(2));
      }
      // A literal dynamic import or require is one a bundler resolves: only the package's own
      // files may be named that way. createStore loads backends and drivers on demand through
      // specifiers a bundler cannot read (a variable), which the workerd test proves bundle and run.
      const literal = /(?<![.#\w])(?:import|require)\s*\(\s*(?:\/\*[^*]*\*\/\s*)?(['"`])([^'"`]*)\1/g;
      for (const [, , spec] of code.matchAll(literal)) {
        expect(spec!.startsWith('./'), `${file} loads ${spec} dynamically`).toBe(true);
      }
    };
    visit('index.js');
    expect(seen.size).toBeGreaterThan(1);
  });
});

/**
 * A consumer project: its tsconfig and source files, compiled with this repository's tsc. Returns
 * the errors in the consumer's files and in oauth-kv's declarations; errors inside other packages'
 * declarations (with `skipLibCheck: false`) are theirs, not ours, and are left out.
 */
function compile(
  dir: string,
  compilerOptions: Record<string, unknown>,
  files: Record<string, string>,
): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const config = {
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', ...compilerOptions },
    files: Object.keys(files),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  return tsc(dir)
    .output.split('\n')
    .filter(
      (line) =>
        line.includes('error TS') &&
        (!line.includes('node_modules/') || line.includes('node_modules/oauth-kv/')),
    )
    .join('\n');
}

/** Uses every subpath (but postgres, see below) the way an application does. */
function consumerSource(options: { conformance: boolean }): string {
  return `
import * as root from 'oauth-kv';
import { MemoryStore, withEncryption, generateFernetKey, Fernet, type AsyncKeyValue } from 'oauth-kv';
import * as backend from 'oauth-kv/backend';
import { FileStore } from 'oauth-kv/file';
import { RedisStore } from 'oauth-kv/redis';
import { FirestoreStore } from 'oauth-kv/firestore';
import { KeyvStore } from 'oauth-kv/keyv';
import * as mcp from 'oauth-kv/mcp';
import * as fastmcp from 'oauth-kv/fastmcp';
import * as oidc from 'oauth-kv/oidc-provider';
${options.conformance ? "import { describeConformance } from 'oauth-kv/conformance';\nexport const suite: typeof describeConformance = describeConformance;" : ''}
export async function main(): Promise<void> {
  const store: AsyncKeyValue = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
  await store.put('k', { a: 1 });
  const text: string = await new Fernet(generateFernetKey()).decryptTextAsync('token').catch(() => '');
  const stores: AsyncKeyValue[] = [new FileStore({ directory: '/tmp/x' }), new RedisStore({ url: 'redis://x' }), new FirestoreStore({})];
  const keyv: typeof KeyvStore = KeyvStore;
  console.log(text, stores, keyv, root, backend, mcp, fastmcp, oidc);
}
`;
}

describe('types for a consumer (strict, @types/node installed)', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
    [
      'node10 (CommonJS)',
      { module: 'commonjs', moduleResolution: 'node10', types: ['node'] },
      { 'index.ts': consumerSource({ conformance: false }) },
    ],
    [
      'node16 (ESM and CommonJS files; skipLibCheck off: our declarations are checked too)',
      { module: 'node16', moduleResolution: 'node16', types: ['node'], skipLibCheck: false },
      { 'esm.mts': consumerSource({ conformance: true }), 'cjs.cts': consumerSource({ conformance: false }) },
    ],
    [
      'bundler',
      { module: 'esnext', moduleResolution: 'bundler', types: ['node'] },
      { 'index.ts': consumerSource({ conformance: true }) },
    ],
  ];
  for (const [name, options, files] of cases) {
    test(name, () => {
      expect(compile(join(pack.consumer, `types-${name.split(' ')[0]}`), options, files)).toBe('');
    }, 120_000);
  }

  test('await using on a store compiles with lib esnext.disposable', () => {
    const result = compile(
      join(pack.consumer, 'types-using'),
      {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        lib: ['ES2022', 'ESNext.Disposable'],
      },
      {
        'using.mts': `import { MemoryStore, withNamespace } from 'oauth-kv';
export async function run(): Promise<void> {
  await using store = withNamespace(new MemoryStore(), { prefix: 'p' });
  await store.put('k', { a: 1 });
}
`,
      },
    );
    expect(result).toBe('');
  }, 120_000);
});

describe('which type packages each subpath needs', () => {
  test('the root entry compiles with no @types package at all (a Worker without @types/node)', () => {
    const result = compile(
      join(pack.consumer, 'types-bare'),
      { module: 'esnext', moduleResolution: 'bundler', types: [], lib: ['ES2022'], skipLibCheck: false },
      {
        'index.ts': `import { MemoryStore, withEncryption, generateFernetKey, Fernet, reencrypt } from 'oauth-kv';
export async function handler(): Promise<string> {
  const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
  await store.put('k', { a: 1 });
  await reencrypt(store);
  await store[Symbol.asyncDispose]();
  return new Fernet(generateFernetKey()).encryptAsync('x');
}
`,
      },
    );
    expect(result).toBe('');
  }, 120_000);

  test('oauth-kv/postgres needs @types/pg (pg ships no types): with it, it compiles', () => {
    const result = compile(
      join(pack.consumer, 'types-postgres'),
      { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], skipLibCheck: false },
      {
        'index.mts': `import { PostgresStore } from 'oauth-kv/postgres';
await using store = new PostgresStore({ url: 'postgres://localhost/db', poolConfig: undefined });
export { store };
`,
      },
    );
    expect(existsSync(join(pack.consumer, 'node_modules/@types/pg'))).toBe(true);
    expect(result).toBe('');
  }, 120_000);

  test('without @types/pg, oauth-kv/postgres has the one error docs/postgres.md names (none with skipLibCheck)', () => {
    const source = {
      'index.mts': `import { PostgresStore } from 'oauth-kv/postgres';\nexport const store = new PostgresStore('postgres://localhost/db');\n`,
    };
    const options = { module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] };
    expect(existsSync(join(pack.noPgTypes, 'node_modules/@types/pg'))).toBe(false);
    const strict = compile(join(pack.noPgTypes, 'types-strict'), { ...options, skipLibCheck: false }, source);
    expect(strict).toMatch(
      /^\.\.\/node_modules\/oauth-kv\/dist\/postgres\.d\.ts.*error TS7016: Could not find a declaration file for module 'pg'/,
    );
    expect(strict.split('\n')).toHaveLength(1);
    expect(compile(join(pack.noPgTypes, 'types-skip'), options, source)).toBe('');
    expect(readFileSync(join(repo, 'docs/postgres.md'), 'utf8')).toMatch(/npm install -D @types\/pg/);
  }, 120_000);
});

describe('documentation links', () => {
  /** Markdown links of a shipped file: [text](target), skipping code blocks. */
  function links(file: string): string[] {
    const text = readFileSync(join(pack.consumer, 'node_modules/oauth-kv', file), 'utf8').replace(
      /```[\s\S]*?```/g,
      '',
    );
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  }
  const shipped = () => pack.files.filter((f) => f.endsWith('.md'));

  test('README links are absolute (they work from the npm page) and lead to files of the repository', () => {
    const readme = links('README.md');
    expect(readme.length).toBeGreaterThan(5);
    for (const link of readme) {
      expect(link, link).toMatch(/^(https?:|#)/);
      if (link.startsWith(`${REPO_URL}/blob/main/`)) {
        const path = link.slice(`${REPO_URL}/blob/main/`.length).split('#')[0]!;
        expect(existsSync(join(repo, path)), `${link} names a file of the repository`).toBe(true);
      }
    }
  });

  test('relative links in the shipped docs lead to shipped files; links to the rest are absolute', () => {
    for (const file of shipped()) {
      for (const link of links(file)) {
        if (/^(https?:|mailto:|#)/.test(link)) continue;
        const target = join(file, '..', link.split('#')[0]!);
        expect(pack.files, `${file} links to ${link}`).toContain(target);
      }
    }
  });
});
