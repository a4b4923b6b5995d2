/**
 * CommonJS parity of `oauth-kv/mcp`, through real HTTP: the built package (dist, built here) behind
 * the MCP SDK's own router, once in a CommonJS app (require of `mcp.cjs` and of the SDK's CommonJS
 * build) and once in an ES module app, each in its own process. Both must give the same answers:
 * 400 invalid_grant for an unknown code, 401 with WWW-Authenticate for an unknown bearer, 200 for
 * good ones. (The SDK's handlers check errors with instanceof: errors built from the SDK's ES
 * modules in a CommonJS app used to come out as 500s.)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowClient, type HttpAnswer } from './helpers/mcp-flow.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-cjs-'));
const children: ChildProcess[] = [];

/** The same server in both formats: only the module syntax differs. */
function appSource(format: 'cjs' | 'esm'): string {
  const load =
    format === 'cjs'
      ? `const { createMcpExpressApp } = require('@modelcontextprotocol/sdk/server/express.js');
const { mcpAuthRouter } = require('@modelcontextprotocol/sdk/server/auth/router.js');
const { requireBearerAuth } = require('@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js');
const { MemoryStore, withEncryption, generateFernetKey } = require('./index.cjs');
const { OAuthStateStore, PersistentOAuthServerProvider } = require('./mcp.cjs');`
      : `import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { MemoryStore, withEncryption, generateFernetKey } from './index.js';
import { OAuthStateStore, PersistentOAuthServerProvider } from './mcp.js';`;
  return `${load}
const store = withEncryption(new MemoryStore(), { keys: [generateFernetKey()] });
const provider = new PersistentOAuthServerProvider({ state: new OAuthStateStore(store), approve: () => ({ subject: 'alice' }) });
const app = createMcpExpressApp({ host: '127.0.0.1' });
const server = app.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const off = { rateLimit: false };
  app.use(mcpAuthRouter({ provider, issuerUrl: new URL('http://127.0.0.1:' + port + '/'),
    authorizationOptions: off, clientRegistrationOptions: off, revocationOptions: off, tokenOptions: off }));
  app.get('/protected', requireBearerAuth({ verifier: provider }), (req, res) => res.json({ ok: true, clientId: req.auth.clientId }));
  process.stdout.write(JSON.stringify({ port, format: typeof require === 'function' ? 'cjs' : 'esm' }) + '\\n');
});
`;
}

async function startApp(file: string): Promise<{ base: URL; format: string }> {
  const child = spawn(process.execPath, [join(out, file)], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line !== undefined) {
        const { port, format } = JSON.parse(line) as { port: number; format: string };
        resolve({ base: new URL(`http://127.0.0.1:${port}/`), format });
      }
    });
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
}

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/tsup/dist/cli-default.js'), '--silent', '--no-dts', '--out-dir', out],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  // Let the built files and the apps resolve the SDK and express from this checkout.
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(join(out, 'app.cjs'), appSource('cjs'));
  writeFileSync(join(out, 'app.mjs'), appSource('esm'));
}, 180_000);
afterAll(() => {
  for (const child of children) child.kill();
  rmSync(out, { recursive: true, force: true });
});

/** What a client sees, reduced to what must be identical across formats. */
function shape(answer: HttpAnswer) {
  return {
    status: answer.status,
    error: answer.body?.error,
    wwwAuthenticate: answer.wwwAuthenticate?.replace(/resource_metadata="[^"]*"/, '').trim() ?? null,
  };
}

async function scenario(base: URL) {
  const http = new FlowClient(base);
  const client = await http.register('public');
  const unknownCode = await http.exchange(client, 'no-such-code', 'v'.repeat(43));
  const unknownBearer = await http.call('no-such-token');
  const { code, verifier } = await http.authorize(client);
  const issued = await http.exchange(client, code, verifier);
  const replay = await http.exchange(client, code, verifier);
  const tokens = issued.body as Record<string, string>;
  const good = await http.call(tokens.access_token!);
  const widened = await http.send('/token', {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token!,
    client_id: client.client_id,
    scope: 'admin',
  });
  const refreshed = await http.refresh(client, tokens.refresh_token!);
  const reused = await http.refresh(client, tokens.refresh_token!);
  const revoked = await http.revoke(client, (refreshed.body as Record<string, string>).refresh_token!);
  const afterRevocation = await http.call((refreshed.body as Record<string, string>).access_token!);
  return Object.fromEntries(
    Object.entries({
      unknownCode,
      unknownBearer,
      issued,
      replay,
      good,
      widened,
      refreshed,
      reused,
      revoked,
      afterRevocation,
    }).map(([step, answer]) => [step, shape(answer)]),
  );
}

describe('oauth-kv/mcp behind the SDK router, CommonJS and ES module apps', () => {
  it('give identical HTTP answers: 400 invalid_grant, 401 with WWW-Authenticate, 200 for good ones', async () => {
    const [cjs, esm] = await Promise.all([startApp('app.cjs'), startApp('app.mjs')]);
    expect([cjs.format, esm.format]).toEqual(['cjs', 'esm']);
    const fromCjs = await scenario(cjs.base);
    const fromEsm = await scenario(esm.base);
    expect(fromCjs).toEqual(fromEsm);
    expect(fromCjs).toEqual({
      unknownCode: { status: 400, error: 'invalid_grant', wwwAuthenticate: null },
      unknownBearer: {
        status: 401,
        error: 'invalid_token',
        wwwAuthenticate:
          'Bearer error="invalid_token", error_description="Invalid, expired or revoked token"',
      },
      issued: { status: 200, error: undefined, wwwAuthenticate: null },
      replay: { status: 400, error: 'invalid_grant', wwwAuthenticate: null },
      good: { status: 200, error: undefined, wwwAuthenticate: null },
      widened: { status: 400, error: 'invalid_scope', wwwAuthenticate: null },
      refreshed: { status: 200, error: undefined, wwwAuthenticate: null },
      reused: { status: 400, error: 'invalid_grant', wwwAuthenticate: null },
      revoked: { status: 200, error: undefined, wwwAuthenticate: null },
      afterRevocation: {
        status: 401,
        error: 'invalid_token',
        wwwAuthenticate:
          'Bearer error="invalid_token", error_description="Invalid, expired or revoked token"',
      },
    });
  }, 60_000);
});
