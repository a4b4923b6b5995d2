/**
 * The package as a user gets it: the repository's files copied as a fresh clone would have them
 * (tracked and unignored files only, no dist/), `npm pack` run there (so the `prepack` build is what
 * produces dist/), and the tarball installed with `npm install <tarball> --ignore-scripts` into an
 * empty project. The peers it needs are linked from this repository's node_modules, never fetched.
 * A second project gets the same tarball and every peer but `@types/pg`, to show what a user
 * without it gets.
 *
 * Built once per content of the shipped files and shared by the test files that need it
 * (tarball.test.ts, docs-snippets.test.ts, runtimes.test.ts), even when they run in parallel: the
 * first one to create the directory builds, the others wait for its `ready` file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Packed {
  /** The packed tarball (`npm pack` output). */
  tarball: string;
  /** The project the tarball is installed in (`node_modules/oauth-kv` is the installed copy). */
  consumer: string;
  /** The same, without `@types/pg`. */
  noPgTypes: string;
  /** Files in the tarball, relative to its `package/` root. */
  files: string[];
}

/** What decides the tarball: everything but the tests, examples, benchmarks and scripts. */
function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: repo,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(repo, f)));
}

function contentKey(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    if (/^(test|examples|bench|scripts)\//.test(file)) continue;
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(repo, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Links every package of this repository's node_modules that `target` does not have yet. */
function linkPackages(target: string, skip: (name: string) => boolean): void {
  const from = join(repo, 'node_modules');
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('.') || skip(entry)) continue;
    if (entry.startsWith('@')) {
      mkdirSync(join(target, entry), { recursive: true });
      for (const inner of readdirSync(join(from, entry))) {
        const name = `${entry}/${inner}`;
        if (!skip(name) && !existsSync(join(target, name))) symlinkSync(join(from, name), join(target, name));
      }
    } else if (!existsSync(join(target, entry))) {
      symlinkSync(join(from, entry), join(target, entry));
    }
  }
}

function build(base: string, files: readonly string[]): Packed {
  const clone = join(base, 'clone');
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(repo, file), join(clone, file));
  }
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', base], {
    cwd: clone,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The prepack build's own output comes first on stdout; npm's JSON report is the array at the end.
  const start = out.search(/^\[\s*\{/m);
  const [report] = JSON.parse(out.slice(start)) as Array<{
    filename: string;
    files: { path: string }[];
  }>;
  const tarball = join(base, report!.filename);

  const install = (name: string, skip: (pkg: string) => boolean): string => {
    const dir = join(base, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), `{ "name": "${name}", "version": "1.0.0", "private": true }\n`);
    execFileSync(
      'npm',
      ['install', tarball, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    linkPackages(join(dir, 'node_modules'), (pkg) => pkg === 'oauth-kv' || skip(pkg));
    return dir;
  };
  const consumer = install('consumer', () => false);
  const noPgTypes = install('consumer-no-pg-types', (pkg) => pkg === '@types/pg');
  rmSync(clone, { recursive: true, force: true });
  return { tarball, consumer, noPgTypes, files: report!.files.map((f) => f.path) };
}

/** The packed and installed package for the current source, built at most once. */
export async function packed(): Promise<Packed> {
  const files = sourceFiles();
  const base = join(tmpdir(), `oauth-kv-packed-${contentKey(files)}`);
  const result = join(base, 'result.json');
  for (let waited = 0; ; waited += 250) {
    if (existsSync(result)) {
      const parsed = JSON.parse(readFileSync(result, 'utf8')) as Packed | { error: string; pid: number };
      if (!('error' in parsed)) return parsed;
      // A failure is shared with the files of the same run, and retried by the next run.
      if (alive(parsed.pid)) throw new Error(`packing failed: ${parsed.error}`);
      rmSync(base, { recursive: true, force: true });
      continue;
    }
    try {
      mkdirSync(base);
    } catch {
      const pidFile = join(base, 'pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      const age = Date.now() - statSync(base).mtimeMs;
      if ((pid > 0 && !alive(pid)) || (pid === 0 && age > 10_000))
        rmSync(base, { recursive: true, force: true });
      else if (waited > 300_000) throw new Error(`timed out waiting for ${base}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    writeFileSync(join(base, 'pid'), String(process.pid));
    try {
      const built = build(base, files);
      writeFileSync(result, JSON.stringify(built));
      cleanOld(base);
      return built;
    } catch (err) {
      const detail = err as { message?: string; stderr?: Buffer | string };
      writeFileSync(
        result,
        JSON.stringify({ error: `${detail.message ?? err}\n${detail.stderr ?? ''}`, pid: process.pid }),
      );
      throw err;
    }
  }
}

/** Removes packed copies of older sources (a day old or more). */
function cleanOld(keep: string): void {
  for (const entry of readdirSync(tmpdir())) {
    const dir = join(tmpdir(), entry);
    if (!entry.startsWith('oauth-kv-packed-') || dir === keep) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs > 86_400_000) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run removed it
    }
  }
}

/** Runs the TypeScript compiler of this repository on a project; returns its output and exit code. */
export function tsc(project: string): { code: number; output: string } {
  try {
    const output = execFileSync(
      process.execPath,
      [join(repo, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', project],
      {
        cwd: project,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return { code: 0, output };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
