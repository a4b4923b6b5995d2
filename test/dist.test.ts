/**
 * The built package: every entry loads as ESM and as CommonJS, and the error classes are one
 * shared copy across subpaths in both formats (so `instanceof` works between `oauth-kv` and
 * `oauth-kv/file`). Builds into a temporary directory so it never disturbs dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { entries } from '../tsup.config.js';

const out = mkdtempSync(join(tmpdir(), 'oauth-kv-dist-'));
const require = createRequire(import.meta.url);

beforeAll(() => {
  execFileSync(
    process.execPath,
    ['node_modules/tsup/dist/cli-default.js', '--silent', '--no-dts', '--out-dir', out],
    {
      stdio: 'inherit',
    },
  );
  // As installed: dependencies and peers (the CLI's, @opentelemetry/api) resolve from a node_modules
  // beside the build.
  if (!existsSync(join(out, 'node_modules'))) symlinkSync(resolve('node_modules'), join(out, 'node_modules'));
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the build', () => {
  for (const name of Object.keys(entries)) {
    const esmOnly = name.startsWith('conformance');
    test(`${name}: the ESM build loads${esmOnly ? '' : ' and so does the CommonJS build'}`, async () => {
      const esm = (await import(pathToFileURL(join(out, `${name}.js`)).href)) as Record<string, unknown>;
      expect(Object.keys(esm).length).toBeGreaterThan(0);
      if (esmOnly) return; // ESM only: vitest cannot be require()d, and core goes with it
      const cjs = require(join(out, `${name}.cjs`)) as Record<string, unknown>;
      expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    });
  }

  test('CommonJS: an error from oauth-kv/file is an instance of the class exported by oauth-kv', async () => {
    const core = require(join(out, 'index.cjs')) as typeof import('../src/index.js');
    const file = require(join(out, 'file.cjs')) as typeof import('../src/stores/file/index.js');
    const store = new file.FileStore({ directory: join(out, 'store') });
    const err = await store.get('').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(core.InvalidKeyError);
    expect(err).toBeInstanceOf(core.OAuthKVError);
    await store.close();
  });

  test('the root entry is two files: index re-exports from core, which loads no other file of the build (but createStore, on its first call)', () => {
    // Relative module specifiers of a built file (import/export ... from, require, import()).
    const files = (name: string) =>
      [
        ...readFileSync(join(out, name), 'utf8').matchAll(
          /(?:from\s*|require\(|import\()['"](\.[^'"]+)['"]/g,
        ),
      ].map((m) => m[1] as string);
    expect(files('index.js')).toEqual(['./core.js']);
    expect(files('index.cjs')).toEqual(['./core.cjs']);
    expect(files('core.js')).toEqual(['./open-store.js']);
    expect(files('core.cjs')).toEqual(['./open-store.cjs']);
    // The other subpaths share the root's classes through the same core file.
    expect(files('file.js')).toContain('./core.js');
    expect(files('file.cjs')).toContain('./core.cjs');
    expect(files('conformance/core.js').some((f) => f.startsWith('../'))).toBe(true);
  });

  test('importing the root entry loads no node:crypto: it is looked up on the first encryption', () => {
    // A fresh process runs a script file (`node -e` in CommonJS preloads node:crypto itself) and
    // reads Node's own list of the built-in modules it has loaded.
    const script = (load: string) => `
      const before = process.moduleLoadList.length;
      const lib = ${load};
      const loaded = () => process.moduleLoadList.slice(before).filter((m) => /crypto/.test(m));
      const atImport = loaded();
      const fernet = new lib.Fernet(lib.generateFernetKey());
      const roundTrip = fernet.decryptText(fernet.encrypt('x'));
      process.stdout.write(JSON.stringify({ atImport, roundTrip, sync: lib.Fernet.supportsSync, after: loaded().includes('NativeModule crypto') }));`;
    const run = (file: string, code: string) => {
      writeFileSync(join(out, file), code);
      return JSON.parse(execFileSync(process.execPath, [join(out, file)], { encoding: 'utf8' })) as unknown;
    };
    const expected = { atImport: [], roundTrip: 'x', sync: true, after: true };
    expect(run('crypto-check.mjs', script("await import('./index.js')"))).toEqual(expected);
    expect(run('crypto-check.cjs', script("require('./index.cjs')"))).toEqual(expected);
  });

  test("createStore's URL parsing and backend table are not in the root files; the first call loads them, in both formats", async () => {
    for (const name of ['index.js', 'core.js', 'index.cjs', 'core.cjs']) {
      expect(readFileSync(join(out, name), 'utf8')).not.toContain('parseStoreUrl');
    }
    const esm = (await import(pathToFileURL(join(out, 'index.js')).href)) as typeof import('../src/index.js');
    const cjs = require(join(out, 'index.cjs')) as typeof import('../src/index.js');
    const esmFile = (await import(
      pathToFileURL(join(out, 'file.js')).href
    )) as typeof import('../src/stores/file/index.js');
    const cjsFile = require(join(out, 'file.cjs')) as typeof import('../src/stores/file/index.js');
    for (const [lib, file, dir] of [
      [esm, esmFile, 'create-esm'],
      [cjs, cjsFile, 'create-cjs'],
    ] as const) {
      const memory = await lib.createStore('memory:', { keys: false });
      expect(memory).toBeInstanceOf(lib.MemoryStore);
      const store = await lib.createStore(`file:${join(out, dir)}`, { keys: false });
      expect(store).toBeInstanceOf(file.FileStore);
      await store.put('k', { v: 1 });
      expect(await store.get('k')).toEqual({ v: 1 });
      await store.close();
      await memory.close();
      const err = await lib.createStore('mysql://h/x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(lib.StoreSetupError);
    }
  });

  test("an application's bundler follows createStore's import: createStore('memory:') works from a one-file bundle", async () => {
    const bundled = join(out, 'app-bundle', 'app.mjs');
    await build({
      stdin: { contents: "export { createStore, MemoryStore } from './index.js';", resolveDir: out },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      outfile: bundled,
      logLevel: 'silent',
    });
    expect(readFileSync(bundled, 'utf8')).toContain('parseStoreUrl');
    const app = (await import(pathToFileURL(bundled).href)) as typeof import('../src/index.js');
    const store = await app.createStore('memory:', { keys: false, env: {} });
    expect(store).toBeInstanceOf(app.MemoryStore);
    await store.close();
  });

  test('ESM: the same holds', async () => {
    const core = (await import(
      pathToFileURL(join(out, 'index.js')).href
    )) as typeof import('../src/index.js');
    const file = (await import(
      pathToFileURL(join(out, 'file.js')).href
    )) as typeof import('../src/stores/file/index.js');
    const store = new file.FileStore({ directory: join(out, 'store-esm') });
    expect(await store.get('').catch((e: unknown) => e)).toBeInstanceOf(core.InvalidKeyError);
    await store.close();
  });

  test('the built oauth-kv command (package bin) runs: keygen, and a bad URL is one line', () => {
    // As installed: its dependencies resolve from a node_modules beside it.
    if (!existsSync(join(out, 'node_modules')))
      symlinkSync(resolve('node_modules'), join(out, 'node_modules'));
    const key = execFileSync(process.execPath, [join(out, 'cli.js'), 'keygen'], { encoding: 'utf8' }).trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(out, 'cli.js'), 'collections', 'mysql://u:pw@h/x'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      stderr = String((err as { stderr?: unknown }).stderr);
    }
    expect(stderr.trim()).toMatch(/^oauth-kv: Unknown store URL scheme "mysql:"[^\n]*$/);
  });
});
