/**
 * `npm run mutation:raw`: the mutation run without the `// Stryker disable` marks, to measure the raw
 * score and list every mutant the suite does not kill. Copies the tracked files to a temporary
 * directory, deletes the marks from the mutated files there, runs Stryker with the same test set
 * (no break threshold) and prints the counts and each mutant not killed, with the line of the
 * code. Arguments, if any, replace the `mutate` list (`npm run mutation:raw -- src/base-store.ts:54-60`:
 * line numbers of the copy, which shift by the deleted marks). `--with-unit-tests` adds the unit tests of
 * the mutated files to the test set (test/mutation/vitest.unit.config.ts): what survives that run is what
 * no test of the project kills.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-mutation-raw-'));
try {
  const archive = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
  });
  execFileSync('tar', ['-c', '--null', '-T', '-', '-f', join(dir, 'tree.tar')], { cwd: repo, input: archive });
  execFileSync('tar', ['-x', '-f', 'tree.tar'], { cwd: dir });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const config = JSON.parse(readFileSync(join(repo, 'stryker.config.json'), 'utf8'));
  for (const file of config.mutate as string[]) {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace(/^[ \t]*\/\/ Stryker (disable|restore)[^\n]*\n/gm, ''));
  }
  const args = process.argv.slice(2);
  const only = args.filter((a) => a !== '--with-unit-tests');
  if (only.length > 0) config.mutate = only;
  if (only.length < args.length) config.vitest = { configFile: 'test/mutation/vitest.unit.config.ts' };
  config.thresholds = { ...config.thresholds, break: null };
  config.reporters = ['json', 'clear-text'];
  config.jsonReporter = { fileName: 'raw.json' };
  writeFileSync(join(dir, 'stryker.raw.json'), JSON.stringify(config));
  const run = spawnSync(join(repo, 'node_modules/.bin/stryker'), ['run', 'stryker.raw.json'], {
    cwd: dir,
    stdio: 'inherit',
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const report = JSON.parse(readFileSync(join(dir, 'raw.json'), 'utf8')) as {
    files: Record<string, { source: string; mutants: Array<{ status: string; mutatorName: string; replacement?: string; location: { start: { line: number } } }> }>;
  };
  const counts: Record<string, number> = {};
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    for (const m of mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1;
      if (m.status === 'Killed' || m.status === 'Timeout') continue;
      const line = m.location.start.line;
      console.log(`${m.status}\t${file}\t${m.mutatorName}\t${lines[line - 1]?.trim()}\t-> ${m.replacement ?? ''}`);
    }
  }
  const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(`raw score: ${((100 * killed) / total).toFixed(1)}% (${killed} of ${total} killed; ${JSON.stringify(counts)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
