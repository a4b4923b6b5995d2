/**
 * A private, throwaway PostgreSQL server for fault tests: initdb into a temp dir, start on a spare
 * loopback port, kill it (`pg_ctl stop -m immediate`), start it again on the same port and data.
 * Runs the server binaries as the `postgres` user when the tests run as root (initdb refuses root).
 * Never touches the shared server on 5432.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];

/** Where `initdb` and `pg_ctl` live, or `undefined` when PostgreSQL is not installed here. */
export function findPgBin(): string | undefined {
  for (const dir of BIN_DIRS) if (existsSync(join(dir, 'pg_ctl'))) return dir;
  return undefined;
}

/** A free TCP port on 127.0.0.1 (free at the time of the call). */
export async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PgServer {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  start(): Promise<void>;
  /** Immediate shutdown: every backend dies at once, like a crash; WAL replays on the next start. */
  kill(): Promise<void>;
  /** Stops the server (if running) and deletes its data directory. */
  destroy(): Promise<void>;
}

/** Creates (initdb) and starts a private server. Throws when PostgreSQL binaries are missing. */
export async function startPgServer(): Promise<PgServer> {
  const bin = findPgBin();
  if (bin === undefined) throw new Error('PostgreSQL server binaries not found');
  const root = await mkdtemp(join(tmpdir(), 'oauthkv-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(root, 0o700);
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);

  await exec('initdb', [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await sparePort();
  const serverOptions = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${root}'`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=40',
    '-c shared_buffers=16MB',
  ].join(' ');
  let running = false;
  const server: PgServer = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await exec('pg_ctl', [
        '-D',
        data,
        '-o',
        serverOptions,
        '-l',
        join(root, 'log'),
        '-w',
        '-t',
        '60',
        'start',
      ]);
      running = true;
    },
    async kill() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      running = false;
    },
    async destroy() {
      if (running)
        await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']).catch(() => {});
      running = false;
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}
