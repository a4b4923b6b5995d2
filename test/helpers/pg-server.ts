/**
 * A private, throwaway PostgreSQL server for fault tests: initdb into a temp dir, start on a spare
 * loopback port, kill it (`pg_ctl stop -m immediate`), start it again on the same port and data.
 * Runs the server binaries as the `postgres` user when the tests run as root (initdb refuses root).
 * Never touches the shared server on 5432.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where `initdb` and `pg_ctl` live: `$PG_BIN`, Debian/Ubuntu's versioned directories (newest
 * first), then `$PATH`; `undefined` when PostgreSQL's server binaries are not installed here.
 */
export function findPgBin(): string | undefined {
  const versioned = [18, 17, 16, 15, 14, 13].map((v) => `/usr/lib/postgresql/${v}/bin`);
  const candidates = [process.env.PG_BIN, ...versioned, ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir;
  }
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
  /** `postgres://postgres[:password]@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** Runs SQL as the superuser through psql (setup such as roles and grants); returns its output. */
  psql(sql: string): Promise<string>;
  start(): Promise<void>;
  /** Immediate shutdown: every backend dies at once, like a crash; WAL replays on the next start. */
  kill(): Promise<void>;
  /** Stops the server (if running) and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * Creates (initdb) and starts a private server. Throws when PostgreSQL binaries are missing.
 * With `password`, every connection authenticates with SCRAM (the superuser `postgres` has that
 * password); otherwise authentication is `trust`.
 */
export async function startPgServer(options: { password?: string } = {}): Promise<PgServer> {
  const bin = findPgBin();
  if (bin === undefined) throw new Error('PostgreSQL server binaries not found');
  const root = await mkdtemp(join(tmpdir(), 'oauthkv-pg-'));
  const data = join(root, 'data');
  const pwfile = join(root, 'pwfile');
  const password = options.password;
  if (password !== undefined) await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(root, uid, gid);
    if (password !== undefined) await chown(pwfile, uid, gid);
  }
  await chmod(root, 0o700);
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);

  const auth = password === undefined ? ['-A', 'trust'] : ['-A', 'scram-sha-256', `--pwfile=${pwfile}`];
  await exec('initdb', [
    '-D',
    data,
    ...auth,
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  if (password !== undefined) await rm(pwfile);
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
  const credentials = password === undefined ? '' : `:${encodeURIComponent(password)}`;
  let running = false;
  const server: PgServer = {
    port,
    url: `postgres://postgres${credentials}@127.0.0.1:${port}/postgres`,
    async psql(sql: string) {
      const { stdout } = await run(join(bin, 'psql'), ['-v', 'ON_ERROR_STOP=1', '-Atc', sql, server.url]);
      return stdout;
    },
    async start() {
      const log = join(root, 'log');
      await exec('pg_ctl', ['-D', data, '-o', serverOptions, '-l', log, '-w', '-t', '60', 'start']);
      running = true;
    },
    async kill() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) {
        await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']).catch(() => {});
      }
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
