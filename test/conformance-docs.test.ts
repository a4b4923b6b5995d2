/**
 * Every `ts` block of docs/conformance.md compiles against this checkout (package imports pointed
 * at the sources; `./my-store.js`, `bun:test` and `@jest/globals`, which this project does not
 * install, replaced by small declarations of their shape).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const dir = mkdtempSync(join(process.cwd(), '.conformance-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const src = (file: string) => relative(dir, join(process.cwd(), 'src', file)).replace(/\.ts$/, '.js');

test('every ts block of docs/conformance.md compiles', () => {
  const doc = readFileSync('docs/conformance.md', 'utf8');
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  writeFileSync(
    join(dir, 'my-store.ts'),
    `import { MemoryStore } from '${src('stores/memory.ts')}';\nexport class MyStore extends MemoryStore {\n  constructor(_options: { url?: string | undefined }) {\n    super();\n  }\n}\n`,
  );
  const jestLike = `export const describe: (name: string, body: () => void) => void;
  export const test: ((name: string, body: () => unknown, timeout?: number) => void) & { skip: (name: string, body: () => unknown) => void };
  export const afterEach: (hook: () => unknown) => void;
  export const beforeAll: (hook: () => unknown, timeout?: number) => void;
  export const afterAll: (hook: () => unknown, timeout?: number) => void;`;
  writeFileSync(
    join(dir, 'runners.d.ts'),
    `declare module 'bun:test' {\n${jestLike}\n}\ndeclare module '@jest/globals' {\n${jestLike}\n}\n`,
  );
  const files = blocks.map((code, i) => {
    const file = join(dir, `block-${i}.ts`);
    writeFileSync(
      file,
      code
        .replaceAll("'oauth-kv/conformance/core'", `'${src('conformance/core.ts')}'`)
        .replaceAll("'oauth-kv/conformance'", `'${src('conformance/index.ts')}'`),
    );
    return file;
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: relative(dir, join(process.cwd(), 'tsconfig.json')),
      compilerOptions: { noEmit: true, rootDir: '..' },
      include: ['*.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', dir], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`${(err as { stdout: string }).stdout}\n(in ${files.length} blocks)`);
  }
}, 120_000);
