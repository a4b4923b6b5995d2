#!/usr/bin/env node
// Runs the MCP conformance suite's client auth scenarios (@modelcontextprotocol/conformance, pinned
// in devDependencies) twice: with oauth-kv's PersistentOAuthClientProvider, and with the SDK's own
// in-memory example provider as the baseline. Exits 1 when oauth-kv fails a scenario the baseline
// passes, or when the suite did not run. On Node 20 the package's `fs.globSync` import (used only by
// its tier-check command) is shimmed by ./register.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';

function runSuite(provider) {
  const out = spawnSync(
    process.execPath,
    ['--import', './scripts/conformance/register.mjs', cli, 'client', '--command', 'npx tsx scripts/conformance/client.ts', '--suite', 'auth'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, OAUTH_KV_CONFORMANCE_PROVIDER: provider }, timeout: 600_000 },
  );
  const text = `${out.stdout}\n${out.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const results = new Map();
  for (const m of text.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gm)) {
    results.set(m[2], { ok: m[1] === '✓', passed: Number(m[3]), failed: Number(m[4]) });
  }
  return results;
}

const baseline = runSuite('sdk');
const ours = runSuite('oauth-kv');
if (ours.size === 0 || baseline.size === 0) {
  console.error('conformance: the suite did not run');
  process.exit(1);
}
let regressions = 0;
for (const [scenario, base] of baseline) {
  const mine = ours.get(scenario);
  const line = `${scenario}: oauth-kv ${mine ? `${mine.passed} passed, ${mine.failed} failed` : 'missing'}; SDK baseline ${base.passed} passed, ${base.failed} failed`;
  if (base.ok && !mine?.ok) {
    regressions++;
    console.log(`REGRESSION ${line}`);
  } else {
    console.log(`${mine?.ok ? 'ok' : 'fails in both'} ${line}`);
  }
}
console.log(`conformance (client auth suite): ${ours.size} scenarios, ${regressions} failing only with oauth-kv`);
process.exit(regressions === 0 ? 0 : 1);
