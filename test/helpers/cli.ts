/**
 * Runs the real `oauth-kv` command (src/cli/main.ts through tsx's loader) as a child process, the
 * way a user's shell does: arguments, environment, a working directory, exit code and both streams.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line that runs the CLI (for tmux). */
export function cliCommand(args: readonly string[]): string[] {
  return [process.execPath, '--import', TSX, CLI, ...args];
}

/** Runs `oauth-kv args…` to completion. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, CLI, ...args],
      {
        cwd: options.cwd,
        env: { ...cleanEnv(), ...options.env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts `oauth-kv args…` and hands back the process (to interrupt it). */
export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): { child: ChildProcess; stderr: () => string; stdout: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: options.cwd,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, stdout: () => out, exited };
}

/** Waits until `check()` holds (polling), or fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The environment without the test's own store settings (each test passes what it means). */
function cleanEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  delete env.OAUTH_KV_URL;
  delete env.OAUTH_KV_KEY;
  return env;
}
