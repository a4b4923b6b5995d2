/**
 * What the login tests of both SDK lines (test/mcp-login.test.ts: 1.x, test/mcp-login-v2.test.ts:
 * 2.x) share: temporary directories, the express app of an authorization server listening on
 * loopback, the registrations it counts, the scripted browser, the at-rest check, a busy port.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

/** Makes temporary directories (named `prefix…`), all removed after the file's tests. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** An express app listening on 127.0.0.1:`port` (0: any free port). */
export async function listenOnLoopback(
  app: { listen(port: number, host: string, ready: () => void): unknown },
  port = 0,
): Promise<{ base: URL; port: number; close(): Promise<void> }> {
  const listener = await new Promise<Server>((resolve) => {
    const l = app.listen(port, '127.0.0.1', () => resolve(l as Server));
  });
  const address = listener.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return {
    base: new URL(`http://127.0.0.1:${actual}/`),
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}

/** Calls `counted` on every Dynamic Client Registration the clients store receives. */
export function countRegistrations<C>(
  clientsStore: { registerClient?: ((client: C) => unknown) | undefined },
  counted: () => void,
): void {
  const register = clientsStore.registerClient?.bind(clientsStore);
  if (register) {
    clientsStore.registerClient = (client) => {
      counted();
      return register(client);
    };
  }
}

/** The router options that switch the rate limits off (the tests send many requests). */
export const NO_RATE_LIMITS = {
  authorizationOptions: { rateLimit: false as const },
  clientRegistrationOptions: { rateLimit: false as const },
  tokenOptions: { rateLimit: false as const },
  revocationOptions: { rateLimit: false as const },
};

/** The scripted user: opens the authorization URL, the server approves, the redirect goes to the callback. */
export function scriptedBrowser() {
  const visits: URL[] = [];
  const browse = async (url: URL) => {
    visits.push(url);
    const approved = await fetch(url, { redirect: 'manual' });
    const location = approved.headers.get('location');
    if (approved.status !== 302 || location === null) throw new Error(`no redirect: ${approved.status}`);
    const back = await fetch(location);
    if (back.status !== 200) throw new Error(`the callback answered ${back.status}`);
  };
  return { visits, browse };
}

/** Encrypted at rest: the login's files hold none of `secrets` (tokens, the client name). */
export function expectEncryptedAtRest(directory: string, secrets: string[]): void {
  const files = readdirSync(directory, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  expect(files.length).toBeGreaterThan(2);
  for (const file of files) {
    const text = readFileSync(join(file.parentPath, file.name), 'utf8');
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

/** Runs `body` while another listener holds 127.0.0.1:`port`. */
export async function whilePortBusy(port: number, body: () => Promise<void>): Promise<void> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', () => resolve()));
  try {
    await body();
  } finally {
    blocker.close();
  }
}
