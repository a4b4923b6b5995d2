/**
 * Private, throwaway `redis-server` processes for the Redis fault, legacy and Cluster tests: each
 * runs on a spare loopback port with its data in a temp dir, and is killed and deleted afterwards.
 * They never touch the shared server on 6379.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `true` when `redis-server` and `redis-cli` are on the PATH. */
export async function redisBinariesAvailable(): Promise<boolean> {
  try {
    await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port on 127.0.0.1 whose Cluster bus port (+10000) is free too, outside the ports
 * already `taken`.
 */
export async function spareRedisPort(taken: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error('no spare port found for redis-server');
}

/** Sends `PING` and resolves `true` on `+PONG` (or `-NOAUTH` when a password is required), within 500 ms. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 500);
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly dir: string;
  /** Starts the server (again) on the same port and directory and waits for PING. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no final save; the AOF (fsync always) holds every acknowledged write. */
  kill(): Promise<void>;
  /** Sends a signal to the running server (`SIGSTOP` freezes it, `SIGCONT` resumes it). */
  signal(signal: NodeJS.Signals): void;
  /** Kills the server (if running) and deletes its directory. */
  destroy(): Promise<void>;
}

/**
 * Starts a private `redis-server` with `--appendonly yes --appendfsync always` plus `extraArgs`
 * (for example `['--rename-command', 'GETDEL', '']`).
 */
export async function startRedisServer(
  extraArgs: readonly string[] = [],
  options: { port?: number; dir?: string } = {},
): Promise<RedisServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'oauthkv-redis-')));
  const port = options.port ?? (await spareRedisPort());
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--protected-mode',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
    ...extraArgs,
  ];
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const exited = new Promise<boolean>((resolve) => child?.once('exit', () => resolve(false)));
      try {
        await waitUntil(() => Promise.race([ping(port), exited]), `redis-server on port ${port}`);
      } catch (err) {
        await server.kill();
        throw err;
      }
    },
    async kill() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await gone;
    },
    signal(signal) {
      child?.kill(signal);
    },
    async destroy() {
      child?.kill('SIGCONT');
      await server.kill();
      await rm(dir, { recursive: true, force: true });
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

export interface RedisClusterProcess {
  /** The ports of the three masters. */
  readonly ports: readonly number[];
  /** `[{ host: '127.0.0.1', port }]` for ioredis. */
  readonly nodes: { host: string; port: number }[];
  /** The node servers, in the order of `ports` (to kill one). */
  readonly servers: readonly RedisServer[];
  /** Kills every node and deletes the directory. */
  destroy(): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` nodes on spare ports, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes` and waits for `cluster_state:ok`.
 */
export async function startRedisCluster(options: { password?: string } = {}): Promise<RedisClusterProcess> {
  const auth =
    options.password === undefined
      ? []
      : ['--requirepass', options.password, '--masterauth', options.password];
  const cliAuth = options.password === undefined ? [] : ['--no-auth-warning', '-a', options.password];
  const dir = await mkdtemp(join(tmpdir(), 'oauthkv-redis-cluster-'));
  const servers: RedisServer[] = [];
  const destroy = async () => {
    await Promise.all(servers.map((s) => s.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await spareRedisPort(ports);
      ports.push(port);
      servers.push(
        await startRedisServer(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
            '--appendfsync',
            'everysec',
            ...auth,
          ],
          { port, dir: await mkdtemp(join(dir, `node-${port}-`)) },
        ),
      );
    }
    await run(
      'redis-cli',
      [
        ...cliAuth,
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    for (const port of ports) {
      await waitUntil(async () => {
        const { stdout } = await run('redis-cli', [...cliAuth, '-p', String(port), 'cluster', 'info']);
        return stdout.includes('cluster_state:ok');
      }, `cluster_state:ok on ${port}`);
    }
    return { ports, nodes: ports.map((port) => ({ host: '127.0.0.1', port })), servers, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** Runs `redis-cli -p <port> <args…>` and returns its trimmed output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args]);
  return stdout.trim();
}

export interface RedisSentinelProcess {
  /** The Sentinel's port. */
  readonly port: number;
  /** Kills the Sentinel and deletes its directory (the master is the caller's). */
  destroy(): Promise<void>;
}

/**
 * Starts a `redis-server --sentinel` on a spare port that monitors the master on `masterPort` as
 * `name` (quorum 1; `password`: the master's), and waits until it answers `PING`.
 */
export async function startRedisSentinel(
  masterPort: number,
  options: { name?: string; password?: string } = {},
): Promise<RedisSentinelProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'oauthkv-sentinel-'));
  const port = await spareRedisPort([masterPort]);
  const name = options.name ?? 'mymaster';
  const config = join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      ...(options.password === undefined ? [] : [`sentinel auth-pass ${name} ${options.password}`]),
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const destroy = async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => ping(port), `redis-sentinel on port ${port}`);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { port, destroy };
}
