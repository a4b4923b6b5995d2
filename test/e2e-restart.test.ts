/**
 * End to end: the demo's scenario (examples/demo.ts) as a test, on every backend available. A real
 * MCP server process (SDK McpServer + mcpAuthRouter + requireBearerAuth) and a real MCP client
 * process go through discovery, Dynamic Client Registration, PKCE authorization, token exchange and
 * a tool call; the server is killed with SIGKILL and started again; a new client process must call
 * the tool with the same client_id and the same access token, without registering or logging in.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findBackend, uniqueName } from './harness/backends.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_MS = 180_000;

interface Summary {
  ok: boolean;
  store: string;
  clientId: string;
  sameClientId: boolean;
  registrations: number;
  authorizations: number;
  tokenExchanges: number;
  toolCalls: number;
  sameToken: boolean;
  failures: string[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function runDemo(
  extra: string[],
): Promise<{ code: number; summary: Summary | undefined; output: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-e2e-'));
  dirs.push(dir);
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'examples/demo.ts'), '--dir', dir, '--json', ...extra],
      { cwd: ROOT, timeout: TIMEOUT_MS },
      (err, stdout, stderr) => {
        const last = stdout.trim().split('\n').pop() ?? '';
        let summary: Summary | undefined;
        try {
          summary = JSON.parse(last) as Summary;
        } catch {
          summary = undefined;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, summary, output: `${stdout}\n${stderr}`, dir });
      },
    );
  });
}

function expectRestartSurvived(result: Awaited<ReturnType<typeof runDemo>>, store: string): void {
  expect(result.summary, result.output).toBeDefined();
  const s = result.summary as Summary;
  expect(s.failures, result.output).toEqual([]);
  expect(result.code).toBe(0);
  expect(s).toMatchObject({
    ok: true,
    store,
    sameClientId: true,
    registrations: 1,
    authorizations: 1,
    tokenExchanges: 1,
    toolCalls: 2,
    sameToken: true,
  });
  expect(s.clientId).toMatch(/^[0-9a-f-]{36}$/);
}

describe('restart end to end: embedded encrypted FileStore', () => {
  it(
    'keeps the client registration and token across a SIGKILL of the server',
    async () => {
      const result = await runDemo([]);
      expectRestartSurvived(result, 'file');
      // Encrypted at rest: the approving user's name and the client's name appear in no file.
      const files = readdirSync(result.dir, { recursive: true, withFileTypes: true }).filter(
        (f) => f.isFile() && f.name.endsWith('.json'),
      );
      expect(files.length).toBeGreaterThan(5);
      for (const file of files) {
        const text = readFileSync(join(file.parentPath, file.name), 'utf8');
        expect(text).not.toContain('local-user');
        expect(text).not.toContain('oauth-kv demo client');
      }
    },
    TIMEOUT_MS,
  );
});

const redis = await findBackend('redis');
const postgres = await findBackend('postgres');
afterAll(async () => {
  await redis.stop();
  await postgres.stop();
});

describe.skipIf(!redis.available)(`restart end to end: RedisStore ${redis.description}`, () => {
  it(
    'keeps the client registration and token across a SIGKILL of the server',
    async () => {
      const namespace = uniqueName('e2e');
      expectRestartSurvived(
        await runDemo(['--store', redis.url, '--namespace', namespace, '--cleanup']),
        'redis',
      );
    },
    TIMEOUT_MS,
  );
});

describe.skipIf(!postgres.available)(`restart end to end: PostgresStore ${postgres.description}`, () => {
  const namespace = uniqueName('e2e');
  afterAll(async () => {
    if (!postgres.available) return;
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS "${namespace}_server", "${namespace}_client"`);
    } finally {
      await client.end();
    }
  });
  it(
    'keeps the client registration and token across a SIGKILL of the server',
    async () => {
      expectRestartSurvived(
        await runDemo(['--store', postgres.url, '--namespace', namespace, '--cleanup']),
        'postgres',
      );
    },
    TIMEOUT_MS,
  );
});
