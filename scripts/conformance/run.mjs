#!/usr/bin/env node
// Runs the MCP project's conformance suite (@modelcontextprotocol/conformance, two pinned versions in
// devDependencies: 0.1.16 and the 0.2 pre-release as @modelcontextprotocol/conformance-next) over a
// table of suites. Each suite runs twice: with oauth-kv (PersistentOAuthClientProvider,
// McpOAuthClientProvider, PersistentOAuthServerProvider) and with the SDK's own in-memory example
// provider as the baseline. Exits 1 when oauth-kv fails a scenario the baseline passes, or when a
// suite did not run. Prints one line per scenario and one summary line per suite.
//
// `node scripts/conformance/run.mjs [suite-id...]` runs only the named suites (ids in SUITES).
// On Node 20 the packages' `fs.globSync` import (used only by their tier-check command) is shimmed
// by ./register.mjs.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = {
  '0.1.16': 'node_modules/@modelcontextprotocol/conformance/dist/index.js',
  '0.2.0-alpha.12': 'node_modules/@modelcontextprotocol/conformance-next/dist/index.js',
};
const TSX = 'node_modules/.bin/tsx';

/** The suites: `run(side)` resolves to a Map scenario -> { ok, passed, failed }. */
const SUITES = [
  {
    id: 'client-auth-0.1',
    title: 'client auth scenarios, conformance 0.1.16, SDK 1.x client',
    run: (side) => clientSuite('0.1.16', 'scripts/conformance/client.ts', side),
  },
  {
    id: 'client-auth-0.2',
    title: 'client auth scenarios, conformance 0.2.0-alpha.12, SDK 1.x client',
    run: (side) => clientSuite('0.2.0-alpha.12', 'scripts/conformance/client.ts', side),
  },
  {
    id: 'client-v2-auth-0.2',
    title: 'client auth scenarios, conformance 0.2.0-alpha.12, SDK 2.x client (@modelcontextprotocol/client)',
    run: (side) => clientSuite('0.2.0-alpha.12', 'scripts/conformance/client-v2.ts', side),
  },
  {
    id: 'authorization-server-v1',
    title: 'authorization-server scenarios, conformance 0.2.0-alpha.12, SDK 1.x mcpAuthRouter',
    run: (side) => authorizationSuite('0.2.0-alpha.12', side, 'v1'),
  },
  {
    id: 'authorization-server-legacy',
    title: 'authorization-server scenarios, conformance 0.2.0-alpha.12, server-legacy 2.x mcpAuthRouter',
    run: (side) => authorizationSuite('0.2.0-alpha.12', side, 'legacy'),
  },
];

/** Runs a child process to its end; `onLine` sees each stdout line as it arrives. */
function exec(command, args, { env = {}, timeout = 600_000, onLine } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let text = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      text += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      text += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, text: text.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

/** The suite's per-scenario summary lines: `✓ name: 3 passed, 0 failed[, 1 warnings]`. */
function parseSummary(text) {
  const results = new Map();
  for (const m of text.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gm)) {
    const passed = Number(m[3]);
    // A scenario with no passed check was skipped (e.g. a prerequisite missing): not a pass.
    results.set(m[2], { ok: m[1] === '✓' && passed > 0, passed, failed: Number(m[4]) });
  }
  return results;
}

const conformance = (version) => [process.execPath, ['--import', './scripts/conformance/register.mjs', CLI[version]]];

async function clientSuite(version, script, side) {
  const [node, args] = conformance(version);
  const out = await exec(node, [...args, 'client', '--command', `${TSX} ${script}`, '--suite', 'auth'], {
    env: { OAUTH_KV_CONFORMANCE_PROVIDER: side },
  });
  return parseSummary(out.text);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts scripts/conformance/auth-server.ts, then `conformance authorization` against it. The suite's
 * authorization-code-grant scenario prints an authorization URL for a person to open in a browser;
 * this plays the browser: it follows the URL (the server auto-approves) to the suite's callback.
 */
async function authorizationSuite(version, side, line) {
  const callbackPort = await freePort();
  const server = spawn(process.execPath, [TSX, 'scripts/conformance/auth-server.ts', side, line, String(callbackPort)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const info = await new Promise((resolve, reject) => {
      let buffered = '';
      server.stdout.setEncoding('utf8').on('data', (chunk) => {
        buffered += chunk;
        const newline = buffered.indexOf('\n');
        if (newline >= 0) resolve(JSON.parse(buffered.slice(0, newline)));
      });
      server.on('exit', (code) => reject(new Error(`auth-server.ts exited with ${code}`)));
    });
    const authorizationEndpoint = new URL('authorize', info.issuer).href;
    const browsing = [];
    const [node, args] = conformance(version);
    const out = await exec(
      node,
      [
        ...args,
        'authorization',
        '--url',
        info.issuer,
        '--client-id',
        info.clientId,
        '--resource',
        info.resource,
        '--port',
        String(callbackPort),
      ],
      {
        timeout: 120_000,
        onLine: (text) => {
          if (text.startsWith(authorizationEndpoint)) {
            browsing.push(fetch(text.trim()).catch((err) => console.error(`authorization request failed: ${err}`)));
          }
        },
      },
    );
    await Promise.all(browsing);
    const results = parseSummary(out.text);
    if (results.size === 0) console.error(out.text);
    return results;
  } finally {
    server.kill('SIGTERM');
  }
}

const only = process.argv.slice(2);
const unknown = only.filter((id) => !SUITES.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`conformance: unknown suite ${unknown.join(', ')}; known: ${SUITES.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
const summaries = [];
let status = 0;
for (const suite of SUITES.filter((s) => only.length === 0 || only.includes(s.id))) {
  const started = performance.now();
  const baseline = await suite.run('sdk');
  const ours = await suite.run('oauth-kv');
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\n== ${suite.title}`);
  if (ours.size === 0 || baseline.size === 0) {
    status = 1;
    summaries.push(`conformance ${suite.id}: DID NOT RUN (oauth-kv ${ours.size}, baseline ${baseline.size} scenarios) in ${seconds}s`);
    continue;
  }
  let regressions = 0;
  const count = (results) => [...results.values()].filter((r) => r.ok).length;
  for (const [scenario, base] of baseline) {
    const mine = ours.get(scenario);
    const line = `${scenario}: oauth-kv ${mine ? `${mine.passed} passed, ${mine.failed} failed` : 'missing'}; SDK baseline ${base.passed} passed, ${base.failed} failed`;
    if (base.ok && !mine?.ok) {
      regressions++;
      console.log(`REGRESSION ${line}`);
    } else {
      console.log(`${mine?.ok ? 'ok' : base.ok ? 'fails' : 'fails in both'} ${line}`);
    }
  }
  if (regressions > 0) status = 1;
  summaries.push(
    `conformance ${suite.id}: ${ours.size} scenarios, oauth-kv passes ${count(ours)}, SDK baseline passes ${count(baseline)}, ${regressions} failing only with oauth-kv (${seconds}s)`,
  );
}
console.log('');
for (const line of summaries) console.log(line);
process.exit(status);
