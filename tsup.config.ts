import { defineConfig } from 'tsup';

/**
 * One entry per public subpath. package.json `exports` lists the same names
 * (test/package.test.ts keeps the two in step).
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  conformance: 'src/conformance/index.ts', // ESM only: vitest cannot be require()d
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // Shared chunks keep one copy of the core (and of each error class) across subpaths in both formats.
  splitting: true,
  treeshake: true,
});
