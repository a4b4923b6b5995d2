/**
 * Cold start: `import('oauth-kv')` against `import('keyv')`, each in a fresh Node process, the two
 * alternating (paired), 20 pairs per repetition. Two figures: the time the `import()` itself takes
 * inside the child (measured there with performance.now()), and the whole child process (spawn to
 * exit) as the parent sees it. Both import the package by name, ESM, from the built dist (oauth-kv
 * resolves itself through package.json `exports`): run `npx tsup --silent` first.
 * Target: oauth-kv no slower than keyv (ratio <= 1).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { comparePaired, type Side } from './lib.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function childCode(specifier: string): string {
  return `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String((performance.now() - t) * 1000));`;
}

async function child(specifier: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', childCode(specifier)], {
    cwd: root,
    encoding: 'utf8',
  });
  return stdout;
}

function importSide(specifier: string): Side {
  return {
    name: `import('${specifier}') inside a fresh process`,
    run: () => {},
    timed: async () => Number(await child(specifier)),
  };
}

function processSide(specifier: string): Side {
  return { name: `node -e "await import('${specifier}')" (whole process)`, run: () => child(specifier) };
}

export default async function runBench(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('build first: npx tsup --silent');
  await comparePaired('import', [
    {
      label: "import('oauth-kv') / import('keyv'), in-process time",
      target: '<= 1',
      a: importSide('oauth-kv'),
      b: importSide('keyv'),
      iterations: 20,
      warmup: 2,
    },
    {
      label: "process with import('oauth-kv') / with import('keyv')",
      target: '<= 1',
      a: processSide('oauth-kv'),
      b: processSide('keyv'),
      iterations: 20,
      warmup: 2,
    },
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) await runBench();
