/**
 * Where the binaries of the runtimes under test are: the platform packages npm installs next to
 * `bun` and `deno` (their install scripts, which would link them into node_modules/.bin, do not run
 * under `npm ci --ignore-scripts`, and are not needed). Shared by test/runtimes.test.ts and
 * test/conformance-runners.test.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The executable inside the first of `packages` npm installed for this platform. */
export function binary(packages: string[], file: string): string {
  for (const name of packages) {
    try {
      const path = join(dirname(require.resolve(`${name}/package.json`)), file);
      if (existsSync(path)) return path;
    } catch {
      // not installed for this platform
    }
  }
  throw new Error(`none of ${packages.join(', ')} is installed (npm ci installs the one for this platform)`);
}

const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;

/** The bun executable of the `bun` devDependency. */
export const bunPath = (): string =>
  binary(
    [
      `@oven/bun-${process.platform}-${arch}`,
      `@oven/bun-${process.platform}-${arch}-baseline`,
      `@oven/bun-${process.platform}-${arch}-musl`,
    ],
    'bin/bun',
  );

/** The deno executable of the `deno` devDependency. */
export const denoPath = (): string =>
  binary(
    [
      `@deno/${process.platform}-${process.arch}-glibc`,
      `@deno/${process.platform}-${process.arch}-musl`,
      `@deno/${process.platform}-${process.arch}`,
    ],
    'deno',
  );
