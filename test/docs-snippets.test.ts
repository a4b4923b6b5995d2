/**
 * Every `ts` code block in README.md and docs/ compiles (strict, module and moduleResolution
 * nodenext, ES modules) against the packed package installed as a user installs it
 * (test/helpers/packed.ts). Each block is its own module; the only names in scope that it does not
 * declare are those of test/docs/prelude.d.ts (listed in docs/README.md) and, for the API
 * reference's excerpts only, the exports of `oauth-kv` and of the subpath the entry documents.
 * Blocks meant to run run here too, as written, from the packed package: the README quickstart
 * and the PostgreSQL guide's (against the real server); docs/mcp.md's flows run in
 * mcp-docs.test.ts and docs/runtimes.md's Worker in runtimes.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateFernetKey } from '../src/index.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { type Packed, packed, repo, tsc } from './helpers/packed.js';

interface Block {
  /** `docs/mcp.md:30`: the file and the line the code starts on. */
  where: string;
  code: string;
  /** For docs/api.md: the subpath whose section the block is in. */
  entry?: string | undefined;
}

const docs = [
  'README.md',
  ...readdirSync(join(repo, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

function blocks(): Block[] {
  const out: Block[] = [];
  for (const file of docs) {
    const lines = readFileSync(join(repo, file), 'utf8').split('\n');
    let entry: string | undefined;
    for (let i = 0; i < lines.length; i++) {
      const heading = /^## `(oauth-kv[^`]*)`/.exec(lines[i]!);
      if (heading) entry = heading[1];
      if (!/^```ts\s*$/.test(lines[i]!)) continue;
      const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
      out.push({
        where: `${file}:${i + 2}`,
        code: lines.slice(i + 1, end).join('\n'),
        entry: file === 'docs/api.md' ? entry : undefined,
      });
      i = end;
    }
  }
  return out;
}

/** Exports per subpath, from the API reference's headings (`### \`Name\` (kind)`). */
function apiExports(): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let entry = '';
  for (const line of readFileSync(join(repo, 'docs/api.md'), 'utf8').split('\n')) {
    const section = /^## `(oauth-kv[^`]*)`/.exec(line);
    if (section) {
      entry = section[1]!;
      map.set(entry, []);
    }
    const item = /^### `([A-Za-z_$][\w$]*)`/.exec(line);
    if (item && entry) map.get(entry)!.push(item[1]!);
  }
  return map;
}

/** Names a block declares or imports at its top level. */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const bind = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.add(e.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) bind(d.name);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** The API reference's implicit imports for a block: its subpath's exports, then the root's. */
function implicitImports(block: Block, exports: Map<string, string[]>): string {
  if (block.entry === undefined) return '';
  const taken = declaredNames(block.code);
  const lines: string[] = [];
  for (const entry of block.entry === 'oauth-kv' ? ['oauth-kv'] : [block.entry, 'oauth-kv']) {
    const names = (exports.get(entry) ?? []).filter((name) => !taken.has(name));
    for (const name of names) taken.add(name);
    if (names.length > 0) lines.push(`import { ${names.join(', ')} } from '${entry}';`);
  }
  // On one line, so the block's own line numbers stay those of the docs plus one.
  return `${lines.join(' ')}\n`;
}

const postgres = await findBackend('postgres');
let pack: Packed;
const all = blocks();
beforeAll(async () => {
  pack = await packed();
}, 300_000);

describe('code blocks in README.md and docs/', () => {
  test('there are blocks in every guide that has code, and in the API reference', () => {
    expect(all.filter((b) => b.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(2);
    expect(all.filter((b) => b.entry !== undefined).length).toBeGreaterThan(150);
  });

  test('every ts block compiles (strict, nodenext) against the packed package', () => {
    const dir = join(pack.consumer, 'docs-snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    copyFileSync(join(repo, 'test/docs/prelude.d.ts'), join(dir, 'prelude.d.ts'));
    // docs/conformance.md's examples import the reader's own store and the test runner's globals;
    // bun:test and @jest/globals are not installed here, so their shape is declared.
    writeFileSync(
      join(dir, 'my-store.ts'),
      "import { MemoryStore } from 'oauth-kv';\nexport class MyStore extends MemoryStore {\n  constructor(_options?: { url?: string | undefined }) {\n    super();\n  }\n}\n",
    );
    const jestLike = `  export const describe: (name: string, body: () => void) => void;
  export const test: ((name: string, body: () => unknown, timeout?: number) => void) & { skip: (name: string, body: () => unknown) => void };
  export const afterEach: (hook: () => unknown) => void;
  export const beforeAll: (hook: () => unknown, timeout?: number) => void;
  export const afterAll: (hook: () => unknown, timeout?: number) => void;`;
    writeFileSync(
      join(dir, 'runners.d.ts'),
      `declare module 'bun:test' {\n${jestLike}\n}\ndeclare module '@jest/globals' {\n${jestLike}\n}\n`,
    );
    const exports = apiExports();
    const files = new Map<string, Block>();
    all.forEach((block, i) => {
      const name = `block-${String(i).padStart(3, '0')}.ts`;
      files.set(name, block);
      writeFileSync(join(dir, name), `${implicitImports(block, exports) || '\n'}${block.code}\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          lib: ['ES2023', 'ESNext.Disposable'],
          types: ['node'],
          moduleDetection: 'force',
          noEmit: true,
          skipLibCheck: true,
        },
        include: ['*.ts'],
      }),
    );
    const { output } = tsc(dir);
    // Point each error at the docs: "docs/mcp.md:31:5 error TS...".
    const errors = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => {
        const m = /^(block-\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
        const block = m && files.get(m[1]!);
        if (!m || !block) return line;
        const [file, start] = block.where.split(':');
        return `${file}:${Number(start) + Number(m[2]) - 2}:${m[3]} ${m[4]}`;
      });
    expect(errors).toEqual([]);
  }, 120_000);

  test('docs/README.md names every free variable the examples may use', () => {
    const prelude = readFileSync(join(repo, 'test/docs/prelude.d.ts'), 'utf8');
    const names = [...prelude.matchAll(/^\s*const (\w+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(5);
    const index = readFileSync(join(repo, 'docs/README.md'), 'utf8');
    const section = index.slice(index.indexOf('## About the code examples'));
    for (const name of names) expect(section, name).toContain(`\`${name}\``);
  });
});

describe('blocks meant to run, run as written against the packed package', () => {
  /** Runs the block that starts on `where`'s line as an ES module with tsx, in a fresh directory. */
  function runBlock(where: string, env: Record<string, string>): string {
    const block = all.find((b) => b.where === where);
    if (!block)
      throw new Error(`no ts block starts at ${where}; known: ${all.map((b) => b.where).join(', ')}`);
    const dir = join(pack.consumer, `run-${where.replace(/[^\w]/g, '-')}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'block.mts'), `${block.code}\n`);
    return execFileSync(process.execPath, ['--import', 'tsx', 'block.mts'], {
      cwd: dir,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  test('README.md: the quickstart (encrypted FileStore, single-use code)', () => {
    runBlock(all.find((b) => b.where.startsWith('README.md:'))!.where, { OAUTH_KV_KEY: generateFernetKey() });
  });

  test.skipIf(!postgres.available)('docs/postgres.md: the first example, on the real server', async () => {
    const schema = uniqueName('oakv_docs');
    const admin = new pg.Pool({ connectionString: postgres.url });
    await admin.query(`CREATE SCHEMA "${schema}"`);
    try {
      const url = new URL(postgres.url);
      url.searchParams.set('options', `-c search_path=${schema}`); // the block's table lands in its own schema
      runBlock(all.find((b) => b.where.startsWith('docs/postgres.md:'))!.where, {
        DATABASE_URL: url.href,
        OAUTH_KV_KEY: generateFernetKey(),
      });
      const rows = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".kv_store`);
      expect(rows.rows[0].n).toBe(0); // put, then the single-use take removed it
    } finally {
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
