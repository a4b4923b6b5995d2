/**
 * The packed package on other runtimes, from their npm packages (exact versions in package.json and
 * docs/runtimes.md): Bun and Deno run the core checks (test/runtimes/checks.ts: the Fernet spec
 * vectors, what Python's py-key-value and FastMCP wrote, key derivation, the wrappers over
 * MemoryStore, `Symbol.asyncDispose`) and FileStore, PostgreSQL and Redis against the real servers;
 * workerd runs the core checks in a Worker bundled as wrangler bundles one (esbuild, conditions
 * workerd/worker/browser), once without nodejs_compat (an older compatibility date, no `process`,
 * no `Buffer`, no `node:crypto`: the WebCrypto path) and once with it.
 *
 * The binaries come from the platform packages npm installs next to `bun`, `deno` and `workerd`
 * (test/helpers/runtime-binaries.ts; their install scripts do not run under
 * `npm ci --ignore-scripts`, and are not needed).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findBackend, uniqueName } from './harness/backends.js';
import { type Packed, packed, repo } from './helpers/packed.js';
import { bunPath, denoPath } from './helpers/runtime-binaries.js';
import type { CheckResult } from './runtimes/checks.js';

const require = createRequire(import.meta.url);
const postgres = await findBackend('postgres');
const redis = await findBackend('redis');

let pack: Packed;
const scratch = mkdtempSync(join(tmpdir(), 'oauth-kv-runtimes-'));
beforeAll(async () => {
  pack = await packed();
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const workerdPath = () => (require('workerd') as { default: string }).default;

const checksModule = join(repo, 'test', 'runtimes', 'checks.ts');
const backendsModule = join(repo, 'test', 'runtimes', 'backends.ts');

/** The program Bun and Deno run, in the consumer project so `oauth-kv` is the installed tarball. */
function nodeLikeEntry(name: string): string {
  const file = join(pack.consumer, `${name}-entry.ts`);
  writeFileSync(
    file,
    `import pg from 'pg';
import * as lib from 'oauth-kv';
import * as file from 'oauth-kv/file';
import * as postgres from 'oauth-kv/postgres';
import * as redis from 'oauth-kv/redis';
import { coreChecks, runChecks } from ${JSON.stringify(checksModule)};
import { backendChecks } from ${JSON.stringify(backendsModule)};

const env = process.env;
const backends = backendChecks({ lib, file, postgres, redis, pg }, {
  directory: env.RUNTIME_DIRECTORY!,
  postgresUrl: env.RUNTIME_POSTGRES_URL || undefined,
  redisUrl: env.RUNTIME_REDIS_URL || undefined,
  suffix: env.RUNTIME_SUFFIX!,
});
const results = await runChecks([...coreChecks(lib, { slow: true }), ...backends]);
console.log('RESULTS ' + JSON.stringify(results));
`,
  );
  return file;
}

function parseResults(out: string): CheckResult[] {
  const line = out.split('\n').find((l) => l.startsWith('RESULTS '));
  if (!line) throw new Error(`no results in:\n${out}`);
  return JSON.parse(line.slice('RESULTS '.length)) as CheckResult[];
}

function run(command: string, args: string[], env: Record<string, string>): string {
  try {
    return execFileSync(command, args, {
      cwd: pack.consumer,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function backendEnv(name: string): Record<string, string> {
  const directory = join(scratch, name);
  return {
    RUNTIME_DIRECTORY: directory,
    RUNTIME_POSTGRES_URL: postgres.available ? postgres.url : '',
    RUNTIME_REDIS_URL: redis.available ? redis.url : '',
    RUNTIME_SUFFIX: uniqueName(name).replace(/[^a-z0-9_]/gi, '_'),
  };
}

function expectAllPassed(results: CheckResult[], expected: number): void {
  const failed = results.filter((r) => !r.ok).map((r) => `${r.name}:\n${r.error}`);
  expect(failed).toEqual([]);
  expect(results.length).toBe(expected);
}

const coreCount = 11;
const backendCount = 1 + (postgres.available ? 1 : 0) + (redis.available ? 1 : 0);

describe('Bun', () => {
  test('version under test', () => {
    expect(run(bunPath(), ['--version'], {}).trim()).toBe(require('bun/package.json').version);
  });
  test('the core, FileStore, PostgreSQL and Redis', () => {
    const out = run(bunPath(), ['run', nodeLikeEntry('bun')], backendEnv('bun'));
    expectAllPassed(parseResults(out), coreCount + backendCount);
  }, 120_000);
});

describe('Deno', () => {
  const denoEnv = (): Record<string, string> => ({
    DENO_DIR: join(scratch, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
  });
  test('version under test', () => {
    expect(run(denoPath(), ['--version'], denoEnv())).toContain(
      `deno ${require('deno/package.json').version}`,
    );
  });
  test('the core, FileStore, PostgreSQL and Redis', () => {
    const out = run(
      denoPath(),
      ['run', '--allow-all', '--no-config', '--node-modules-dir=manual', nodeLikeEntry('deno')],
      {
        ...denoEnv(),
        ...backendEnv('deno'),
      },
    );
    expectAllPassed(parseResults(out), coreCount + backendCount);
  }, 120_000);
});

describe('docs/runtimes.md', () => {
  test('names the exact versions under test', () => {
    const doc = readFileSync(join(repo, 'docs/runtimes.md'), 'utf8');
    expect(doc).toContain(`Bun ${require('bun/package.json').version}`);
    expect(doc).toContain(`Deno ${require('deno/package.json').version}`);
    expect(doc).toContain(`workerd ${require('workerd/package.json').version}`);
  });
});

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('workerd (Cloudflare Workers)', () => {
  beforeAll(async () => {
    const entry = join(pack.consumer, 'worker-entry.ts');
    writeFileSync(
      entry,
      `import * as lib from 'oauth-kv';
import { coreChecks, runChecks } from ${JSON.stringify(checksModule)};
export default {
  async fetch(): Promise<Response> {
    const runtime = { process: typeof (globalThis as { process?: unknown }).process, Buffer: typeof (globalThis as { Buffer?: unknown }).Buffer, supportsSync: lib.Fernet.supportsSync };
    const results = await runChecks(coreChecks(lib, { slow: true }));
    return new Response(JSON.stringify({ runtime, results }), { headers: { 'content-type': 'application/json' } });
  },
};
`,
    );
    await bundleWorker(entry, 'worker.js'); // runWorker() serves worker.js by default
  }, 60_000);

  /** Bundles a Worker the way wrangler does: esbuild, workerd/worker/browser conditions, ESM. */
  async function bundleWorker(entry: string, name: string): Promise<string> {
    const outfile = join(scratch, name);
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: pack.consumer,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      outfile,
      logLevel: 'error',
    });
    return outfile;
  }

  async function runWorker(
    compatibilityDate: string,
    flags: string[],
    options: { module?: string; bindings?: Record<string, string> } = {},
  ): Promise<{ runtime: Record<string, unknown>; results: CheckResult[] }> {
    const module = options.module ?? 'worker.js';
    const bindings = Object.entries(options.bindings ?? {})
      .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
      .join(', ');
    const port = await freePort();
    const config = join(scratch, `workerd-${port}.capnp`);
    writeFileSync(
      config,
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "${module}", esModule = embed "${module}") ],
  bindings = [ ${bindings} ],
  compatibilityDate = "${compatibilityDate}",
  compatibilityFlags = [${flags.map((f) => JSON.stringify(f)).join(', ')}],
);
`,
    );
    const child: ChildProcess = spawn(workerdPath(), ['serve', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout?.on('data', (d) => (log += d));
    child.stderr?.on('data', (d) => (log += d));
    try {
      for (let i = 0; ; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          return (await res.json()) as { runtime: Record<string, unknown>; results: CheckResult[] };
        } catch (err) {
          if (i > 200 || child.exitCode !== null) throw new Error(`workerd did not answer: ${err}\n${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      child.kill();
    }
  }

  test('version under test', () => {
    expect(require('workerd/package.json').version).toBe((require('workerd') as { version: string }).version);
    expect(existsSync(workerdPath())).toBe(true);
  });

  test('without nodejs_compat: no process, no Buffer, no node:crypto; the core runs on WebCrypto', async () => {
    const { runtime, results } = await runWorker('2025-06-01', []);
    expect(runtime).toEqual({ process: 'undefined', Buffer: 'undefined', supportsSync: false });
    expectAllPassed(results, coreCount);
  }, 120_000);

  test('with nodejs_compat: node:crypto is there and the synchronous path runs', async () => {
    const { runtime, results } = await runWorker('2025-06-01', ['nodejs_compat']);
    expect(runtime).toEqual({ process: 'object', Buffer: 'function', supportsSync: true });
    expectAllPassed(results, coreCount);
  }, 120_000);

  test("docs/runtimes.md's Worker runs as written, without nodejs_compat", async () => {
    const doc = readFileSync(join(repo, 'docs/runtimes.md'), 'utf8');
    const code = /## A Worker, without nodejs_compat\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    const entry = join(pack.consumer, 'worker-doc.ts');
    writeFileSync(entry, code!);
    await bundleWorker(entry, 'worker-doc.js');
    const key = (await import('../src/index.js')).generateFernetKey();
    const answer = (await runWorker('2025-06-01', [], {
      module: 'worker-doc.js',
      bindings: { OAUTH_KV_KEY: key },
    })) as unknown;
    expect(answer).toEqual({ first: { client_id: 'c1' } }); // the second take is undefined: not in the JSON
  }, 60_000);
});
