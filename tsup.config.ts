import { defineConfig } from 'tsup';

/**
 * One entry per public subpath. package.json `exports` lists the same names
 * (test/package.test.ts keeps the two in step).
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  backend: 'src/backend/index.ts',
  file: 'src/stores/file/index.ts',
  postgres: 'src/stores/postgres/index.ts',
  redis: 'src/stores/redis/index.ts',
  firestore: 'src/stores/firestore/index.ts',
  keyv: 'src/stores/keyv/index.ts',
  mcp: 'src/integrations/mcp.ts',
  'mcp-v2': 'src/integrations/mcp-v2.ts',
  fastmcp: 'src/integrations/fastmcp.ts',
  'oidc-provider': 'src/integrations/oidc-provider.ts',
  telemetry: 'src/wrappers/telemetry.ts',
  'better-auth': 'src/integrations/better-auth.ts',
  conformance: 'src/conformance/index.ts', // ESM only: vitest cannot be require()d
  'conformance/core': 'src/conformance/core.ts', // ESM only, like the vitest route; no test runner
};

/**
 * The `oauth-kv` command (package `bin`): built with the library but exported by no subpath, so the
 * CLI's own dependencies never enter the library's import graph.
 */
export const cliEntries: Record<string, string> = { cli: 'src/cli/main.ts' };

export default defineConfig({
  entry: { ...entries, ...cliEntries },
  format: ['esm', 'cjs'],
  // Inline the Standard Schema types so the published .d.ts needs no extra package.
  dts: { resolve: ['@standard-schema/spec'] },
  clean: true,
  // No source maps: the output is not minified (readable, with the source's names and comments
  // stripped only of types), and maps with their inlined sources were 1.5 MB of a 2.5 MB dist.
  sourcemap: false,
  // Keep `node:` in imports: Deno and Workers (nodejs_compat) resolve built-ins by that prefix.
  removeNodeProtocol: false,
  target: 'node20',
  platform: 'node',
  // Shared chunks keep one copy of the core (and of each error class) across subpaths in both formats.
  splitting: true,
  treeshake: true,
  // Lets a module load a peer's CommonJS build under require and its ES modules under import
  // (src/integrations/mcp-provider.ts: the MCP SDK checks its errors with instanceof).
  esbuildOptions(options, context) {
    options.define = { ...options.define, __OAUTH_KV_CJS__: context.format === 'cjs' ? 'true' : 'false' };
  },
});
