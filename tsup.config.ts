import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildSync, type Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

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

/**
 * Internal files that no subpath exports, imported by the core on demand: `createStore`'s URL parsing
 * and backend table (src/open-store.ts, see lazyOpener), so `import('oauth-kv')` does not parse them
 * (docs/benchmarks.md, "Import (cold start)"). Built like the other non-root entries: what they
 * share with the root comes from the core file.
 */
export const internalEntries: Record<string, string> = { 'open-store': 'src/open-store.ts' };

/**
 * The root entry's whole import graph is ONE internal file, dist/core.js (dist/core.cjs), built from
 * src/core.ts without splitting; dist/index.js only re-exports its public names from it (two files
 * for `import('oauth-kv')`, where shared chunks made ten and cost twice Keyv's cold import). Every
 * other entry imports a module of that graph from the same core file (a plugin redirects it), so each
 * class still exists once across subpaths, in both formats. Modules outside the root graph are shared
 * between the other entries through chunks as before.
 */
const CORE = 'src/core.ts';
const CORE_PLACEHOLDER = '#oauth-kv-core';

/**
 * `createStore`'s work (src/open-store.ts) is an entry of its own that the core imports on the first
 * call (src/create-store.ts): it stays out of the root graph and out of the core file, and the
 * core's import of it keeps its literal path (`./open-store.js`, or `./open-store.cjs` in the
 * CommonJS build).
 */
const lazyOpener: Plugin = {
  name: 'oauth-kv-open-store',
  setup(build) {
    build.onResolve({ filter: /^\.\/open-store\.c?js$/ }, (args) =>
      resolve(args.importer) === resolve('src/create-store.ts')
        ? { path: args.path, external: true }
        : undefined,
    );
  },
};

/** Source files of the root entry's graph (src/index.ts included), absolute. */
function rootGraph(): Set<string> {
  const { metafile } = buildSync({
    entryPoints: ['src/index.ts'],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    outdir: 'dist',
    logLevel: 'silent',
    // What lazyOpener does, for this synchronous build (which cannot take plugins).
    external: ['./open-store.js', './open-store.cjs'],
  });
  const graph = new Set(Object.keys(metafile.inputs).map((f) => resolve(f)));
  // src/core.ts re-exports exactly that graph: a module missing there would be bundled twice.
  const listed = new Set(
    [...readFileSync(CORE, 'utf8').matchAll(/^export \* from '(.+)';$/gm)].map((m) =>
      resolve('src', (m[1] as string).replace(/\.js$/, '.ts')),
    ),
  );
  const expected = [...graph].filter((f) => f !== resolve('src/index.ts'));
  const missing = expected.filter((f) => !listed.has(f));
  const extra = [...listed].filter((f) => !graph.has(f));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${CORE} must re-export exactly the root entry's modules; missing: ${missing.join(', ') || '-'}; not in the graph: ${extra.join(', ') || '-'}`,
    );
  }
  return graph;
}

/**
 * Resolves every import of a root-graph module (but the entry being built) to the core file; with
 * `importer`, only the imports of that one module.
 */
function toCore(graph: ReadonlySet<string>, importer?: string): Plugin {
  return {
    name: 'oauth-kv-core',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData === 'oauth-kv-core' || args.kind === 'entry-point') return undefined;
        if (importer !== undefined && resolve(args.importer) !== importer) return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'oauth-kv-core',
        });
        if (found.errors.length > 0 || !graph.has(found.path)) return undefined;
        return { path: CORE_PLACEHOLDER, external: true };
      });
    },
  };
}

const shared: Options = {
  format: ['esm', 'cjs'],
  // No source maps: the output keeps the source's names (only the core's whitespace is minified, see
  // below), and maps with their inlined sources were 1.5 MB of a 2.5 MB dist.
  sourcemap: false,
  // Keep `node:` in imports: Deno and Workers (nodejs_compat) resolve built-ins by that prefix.
  removeNodeProtocol: false,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  // Lets a module load a peer's CommonJS build under require and its ES modules under import
  // (src/integrations/mcp-provider.ts: the MCP SDK checks its errors with instanceof).
  esbuildOptions(options, context) {
    options.define = { ...options.define, __OAUTH_KV_CJS__: context.format === 'cjs' ? 'true' : 'false' };
  },
};

/** Writes the core file's real path, relative to each output file, over the placeholder. */
const corePath: NonNullable<Options['plugins']>[number] = {
  name: 'oauth-kv-core-path',
  renderChunk(code, chunk) {
    if (!code.includes(CORE_PLACEHOLDER)) return undefined;
    const core = join(this.options.outDir, this.format === 'cjs' ? 'core.cjs' : 'core.js');
    let path = relative(dirname(chunk.path), core).split('\\').join('/');
    if (!path.startsWith('.')) path = `./${path}`;
    return { code: code.replaceAll(`"${CORE_PLACEHOLDER}"`, JSON.stringify(path)) };
  },
};

export default defineConfig(() => {
  const graph = rootGraph();
  const { index, ...others } = entries;
  return [
    // The core, one file per format, and the root entry, which only re-exports from it (without
    // splitting, so it shares no chunk either).
    {
      ...shared,
      entry: { core: CORE, index: index as string },
      splitting: false,
      // `import('oauth-kv')` parses the whole core: without comments and whitespace (and with syntax
      // shortened) it costs V8's scanner and pre-parser less (docs/benchmarks.md, "Import (cold
      // start)"). Identifiers are NOT minified, so every class and function keeps its name in stack
      // traces and `.name`; a trace's positions point into long lines instead of the source's.
      minifyWhitespace: true,
      minifySyntax: true,
      dts: false,
      clean: false,
      esbuildPlugins: [lazyOpener, toCore(graph, resolve('src/index.ts'))],
      plugins: [corePath],
    },
    {
      ...shared,
      entry: { ...others, ...cliEntries, ...internalEntries },
      // Inline the Standard Schema types so the published .d.ts needs no extra package.
      dts: { entry: { ...entries, ...cliEntries }, resolve: ['@standard-schema/spec'] },
      // Both builds run at once: this one's cleaning must spare the other's output.
      clean: ['!core.js', '!core.cjs', '!index.js', '!index.cjs'],
      // Shared chunks keep one copy of what the non-root entries share (the root graph is the core).
      splitting: true,
      esbuildPlugins: [toCore(graph)],
      plugins: [corePath],
    },
  ];
});
