/** The README quickstart runs as written (examples/quickstart.ts is the same code). */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

test('examples/quickstart.ts: the encrypted FileStore keeps a client and hands out a code once', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
    encoding: 'utf8',
  });
  expect(out).toContain("client: { client_id: 'client-1', client_secret: 's3cret' }");
  expect(out).toContain("code taken once: { client_id: 'client-1' } → second take: undefined");
});
