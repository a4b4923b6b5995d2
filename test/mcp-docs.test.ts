/**
 * docs/mcp.md shows how a test approves an authorization without a browser: that block runs here
 * as written (only its package imports are pointed at this checkout's sources).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'oauth-kv-mcp-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function block(heading: string): string {
  const doc = readFileSync(join(ROOT, 'docs/mcp.md'), 'utf8');
  const section = doc.slice(doc.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error(`no ts block under ${heading}`);
  return match[1];
}

test('docs/mcp.md: the browser-less approval runs and prints the verified client and subject', () => {
  const code = block('## Approving an authorization in tests, without a browser')
    .replace("from 'oauth-kv/mcp'", `from '${join(ROOT, 'src/integrations/mcp.ts')}'`)
    .replace("from 'oauth-kv'", `from '${join(ROOT, 'src/index.ts')}'`);
  expect(code).not.toContain("from 'oauth-kv");
  const file = join(dir, 'snippet.mts');
  writeFileSync(file, code);
  const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  expect(out.trim()).toBe('true test-user');
}, 60_000);
