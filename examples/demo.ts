/**
 * `npm run demo`: an MCP server and an MCP client that keep their OAuth state across a restart.
 *
 *   npm run demo                                  # embedded encrypted FileStore in .oauth-kv-demo/
 *   npm run demo -- --store redis://127.0.0.1:6379
 *   npm run demo -- --store postgres://postgres@127.0.0.1:5432/test
 *
 * Options: --dir <path> (default .oauth-kv-demo), --namespace <name> (Redis key prefix / table
 * prefix, default oauth_kv_demo), --keep (do not clear earlier demo state first), --cleanup (remove
 * the demo's state at the end), --json (print a machine-readable summary as the last line).
 * Exit code 0 when every check passed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OAUTH_CLIENT_COLLECTIONS, OAUTH_STATE_COLLECTIONS } from '../src/integrations/mcp.js';
import {
  configToEnv,
  type DemoConfig,
  type DemoEvent,
  loadOrCreateKey,
  openDemoStore,
  redact,
  storeKind,
} from './demo-store.js';

type ClientResult = Extract<DemoEvent, { type: 'client-result' }>;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STEP_TIMEOUT_MS = 60_000;

const { values: args } = parseArgs({
  options: {
    store: { type: 'string' },
    dir: { type: 'string', default: '.oauth-kv-demo' },
    namespace: { type: 'string', default: 'oauth_kv_demo' },
    keep: { type: 'boolean', default: false },
    cleanup: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

const config: DemoConfig = {
  store: args.store,
  directory: resolve(args.dir ?? '.oauth-kv-demo'),
  namespace: args.namespace ?? 'oauth_kv_demo',
};
const children = new Set<ChildProcess>();
const log = (line = '') => console.log(line);
const short = (id: string) => (id.length > 13 ? `${id.slice(0, 8)}…` : id);

/** A free TCP port on 127.0.0.1 (the server comes back on the same one: the client's URL). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (typeof address === 'object' && address) resolvePort(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Starts one of the demo's processes with tsx, collecting the events it sends. */
function start(script: string, env: Record<string, string>, events: DemoEvent[], tag: string): ChildProcess {
  const child = fork(resolve(ROOT, 'examples', script), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...configToEnv(config), ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('message', (message) => events.push(message as DemoEvent));
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line.trim()) console.error(`     [${tag}] ${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return child;
}

/** Waits until the child sent an event of `type` (or failed, or exited). */
function waitFor<T extends DemoEvent['type']>(
  child: ChildProcess,
  events: DemoEvent[],
  type: T,
): Promise<Extract<DemoEvent, { type: T }>> {
  return new Promise((resolveEvent, reject) => {
    const check = () => {
      const failed = events.find((e) => e.type === 'failed');
      if (failed && failed.type === 'failed') return finish(new Error(failed.message));
      const found = events.find((e) => e.type === type);
      if (found) return finish(undefined, found as Extract<DemoEvent, { type: T }>);
    };
    const onExit = (code: number | null) => {
      setImmediate(() => {
        check();
        finish(new Error(`the process exited (code ${code}) before "${type}"`));
      });
    };
    const timer = setTimeout(
      () => finish(new Error(`no "${type}" within ${STEP_TIMEOUT_MS / 1000} s`)),
      STEP_TIMEOUT_MS,
    );
    let done = false;
    function finish(err?: Error, value?: Extract<DemoEvent, { type: T }>) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolveEvent(value as Extract<DemoEvent, { type: T }>);
    }
    const onMessage = () => setImmediate(check);
    child.on('message', onMessage);
    child.once('exit', onExit);
    check();
  });
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

/** Clears the state earlier demo runs left (only the demo's own collections, files or prefix). */
async function clearDemoState(): Promise<void> {
  if (storeKind(config.store) === 'file') {
    rmSync(resolve(config.directory, 'server'), { recursive: true, force: true });
    rmSync(resolve(config.directory, 'client'), { recursive: true, force: true });
    return;
  }
  for (const role of ['server', 'client'] as const) {
    const { store } = await openDemoStore(config, role);
    try {
      const names = role === 'server' ? OAUTH_STATE_COLLECTIONS : OAUTH_CLIENT_COLLECTIONS;
      for (const collection of Object.values(names)) await store.destroyCollection(collection);
    } finally {
      await store.close();
    }
  }
}

function check(condition: boolean, message: string, failures: string[]): void {
  log(`     ${condition ? 'ok  ' : 'FAIL'} ${message}`);
  if (!condition) failures.push(message);
}

const count = (events: DemoEvent[], type: DemoEvent['type']) => events.filter((e) => e.type === type).length;

async function main(): Promise<number> {
  const failures: string[] = [];
  log('oauth-kv demo: an MCP server and client keep their OAuth state across a server restart');
  log();
  const kind = storeKind(config.store);
  const { path: keyPath, created } = loadOrCreateKey(config.directory);
  log(
    kind === 'file'
      ? 'Storage: embedded FileStore, encrypted with Fernet (no database needed)'
      : `Storage: ${kind === 'redis' ? 'RedisStore' : 'PostgresStore'} at ${redact(config.store as string)}, encrypted with Fernet`,
  );
  log(`  encryption key: ${keyPath} (${created ? 'generated now' : 'kept from an earlier run'}, mode 0600)`);
  log('  (in production the key comes from a secret manager, never from a file next to the data)');
  if (!args.keep) {
    await clearDemoState();
    log('  earlier demo state cleared (use --keep to keep it)');
  }

  const port = await freePort();
  const serverEnv = { OAUTH_KV_DEMO_PORT: String(port) };

  log();
  log('1. Starting the MCP server in a child process (McpServer + streamable HTTP + mcpAuthRouter)');
  const events1: DemoEvent[] = [];
  const server1 = start('demo-server.ts', serverEnv, events1, 'server');
  const ready1 = await waitFor(server1, events1, 'listening');
  log(`   pid ${server1.pid}, listening on ${ready1.url}`);
  log(`   the server keeps clients, codes, tokens and grants in ${ready1.where}`);

  log();
  log('2. Running the MCP client (a separate process): discovery, Dynamic Client Registration,');
  log('   authorization with PKCE (the redirect is followed programmatically), token exchange, tool call');
  const clientEvents1: DemoEvent[] = [];
  const client1 = start('demo-client.ts', { OAUTH_KV_DEMO_SERVER_URL: ready1.url }, clientEvents1, 'client');
  const run1: ClientResult = await waitFor(client1, clientEvents1, 'client-result');
  await stopped(client1);
  log(`   the client keeps its registration and tokens in ${run1.where}`);
  log(`   registered as client ${short(run1.clientId)}; the tool answered: "${run1.toolText}"`);
  check(
    run1.registeredNow && count(events1, 'registered') === 1,
    'the client registered once (DCR)',
    failures,
  );
  check(run1.loggedInNow && count(events1, 'authorized') === 1, 'the user authorized once (PKCE)', failures);
  check(
    run1.tokensSavedNow && count(events1, 'tokens-issued') === 1,
    'the server issued tokens once',
    failures,
  );
  check(
    count(events1, 'tool-call') === 1 && run1.toolText.includes(run1.clientId),
    'the tool call went through',
    failures,
  );

  log();
  log(`3. Killing the server process (SIGKILL, pid ${server1.pid}): it gets no chance to save anything`);
  server1.kill('SIGKILL');
  await stopped(server1);

  log();
  log('4. Starting the server again (a new process, same address, same storage)');
  const events2: DemoEvent[] = [];
  const server2 = start('demo-server.ts', serverEnv, events2, 'server');
  const ready2 = await waitFor(server2, events2, 'listening');
  log(`   pid ${server2.pid}, listening on ${ready2.url}`);

  log();
  log('5. Running the client again (a new process, new store instances)');
  const clientEvents2: DemoEvent[] = [];
  const client2 = start('demo-client.ts', { OAUTH_KV_DEMO_SERVER_URL: ready2.url }, clientEvents2, 'client');
  const run2: ClientResult = await waitFor(client2, clientEvents2, 'client-result');
  await stopped(client2);
  log(`   the tool answered: "${run2.toolText}"`);
  check(run2.clientId === run1.clientId, `same client_id (${short(run2.clientId)})`, failures);
  check(!run2.registeredNow && count(events2, 'registered') === 0, 'no second registration', failures);
  check(!run2.loggedInNow && count(events2, 'authorized') === 0, 'no second login', failures);
  check(
    !run2.tokensSavedNow &&
      count(events2, 'tokens-issued') === 0 &&
      run2.tokenFingerprint === run1.tokenFingerprint,
    `the same access token still works (sha256 ${run2.tokenFingerprint}…)`,
    failures,
  );
  check(count(events2, 'tool-call') === 1, 'the tool call went through', failures);

  server2.kill('SIGTERM');
  await stopped(server2);
  if (args.cleanup) {
    await clearDemoState();
    log();
    log('Demo state removed (--cleanup).');
  }

  log();
  if (failures.length === 0) {
    log('Done: the server restart lost nothing. The client kept its registration and its token, and the');
    log(
      `server still knew both. Run it again, or inspect ${kind === 'file' ? config.directory : 'the store'}:`,
    );
    log(
      'the values are Fernet tokens; codes and tokens are stored only as HMAC-SHA-256 hashes, client secrets sealed.',
    );
  } else {
    log(`FAILED: ${failures.join('; ')}`);
  }
  if (args.json) {
    console.log(
      JSON.stringify({
        ok: failures.length === 0,
        store: kind,
        clientId: run1.clientId,
        sameClientId: run2.clientId === run1.clientId,
        registrations: count(events1, 'registered') + count(events2, 'registered'),
        authorizations: count(events1, 'authorized') + count(events2, 'authorized'),
        tokenExchanges: count(events1, 'tokens-issued') + count(events2, 'tokens-issued'),
        toolCalls: count(events1, 'tool-call') + count(events2, 'tool-call'),
        sameToken: run2.tokenFingerprint === run1.tokenFingerprint,
        failures,
      }),
    );
  }
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`Demo failed: ${err instanceof Error ? err.message : String(err)}`);
    for (const child of children) child.kill('SIGKILL');
    process.exitCode = 1;
  },
);
