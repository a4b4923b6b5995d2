/**
 * The Redis store's client: created lazily (or adopted), waited for with a bound, every command
 * bounded by one watchdog timer and its errors mapped by `./errors.ts`; bulk commands grouped by
 * hash slot on a Cluster, and scans that visit every master.
 * @module
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { Lazy, loadPeer } from '../../backend/kit.js';
import { type OAuthKVError, StoreConnectionError, StoreSetupError, StoreTimeoutError } from '../../errors.js';
import { describeConnectionError, mapRedisError, replyCode, scrub } from './errors.js';
import { hashSlot } from './names.js';
import type { RedisSettings } from './options.js';
import { evalScript, type Script } from './scripts.js';

/** What the store needs from a client: the `Redis` command surface (a `Cluster` has the same). */
export type Client = Redis;

/**
 * Most keys in one command of a bulk operation: bigger batches are split into several commands sent
 * together, so a huge `getMany`/`putMany`/`deleteMany` never blocks Redis for long.
 */
export const MAX_BATCH = 1_000;

/** A command in flight, for the timeout watchdog. */
interface Pending {
  readonly since: number;
  readonly reject: (err: Error) => void;
}

/** How {@link RedisConnection.run} treats a `WRONGTYPE` reply. */
export interface RunOptions {
  /** Map `WRONGTYPE` to this error instead of `StoreOperationError` (a read of an unreadable entry). */
  readonly wrongType?: (() => OAuthKVError) | undefined;
}

/** The client of one store and everything about talking to it. */
export class RedisConnection {
  readonly #settings: RedisSettings;
  readonly #owned: boolean;
  readonly #client: Lazy<Client>;
  readonly #pending = new Set<Pending>();
  #current: Client | undefined;
  #readyWait: Promise<void> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #lastError: string | undefined;
  #isCluster = false;
  /** The prefix ioredis itself adds to keys (a `keyPrefix` option on a client passed in). */
  #driverPrefix = '';

  constructor(settings: RedisSettings) {
    this.#settings = settings;
    const given = settings.options.client;
    this.#owned = given === undefined;
    if (given !== undefined) this.#adopt(given);
    this.#client = new Lazy(async () => (given as Client | undefined) ?? this.#create());
  }

  /** `true` on a Redis Cluster. */
  get isCluster(): boolean {
    return this.#isCluster;
  }

  /** The `COUNT` hint of each `SCAN` call. */
  get scanCount(): number {
    return this.#settings.scanCount;
  }

  /** The prefix the client itself puts before every key (what `SCAN` returns includes it). */
  get driverPrefix(): string {
    return this.#driverPrefix;
  }

  /** The client, connected: waits at most `connectTimeoutMs` for a (re)connection. */
  async ready(): Promise<Client> {
    const client = await this.#client.get();
    if (client.status === 'ready') return client;
    this.#readyWait ??= this.#waitReady(client).finally(() => {
      this.#readyWait = undefined;
    });
    await this.#readyWait;
    return client;
  }

  /**
   * Awaits a command, maps driver errors to oauth-kv errors, and gives up after `commandTimeoutMs`
   * with a `StoreTimeoutError`. One watchdog timer per store checks the commands in flight, which
   * costs far less than a timer per command.
   */
  run<T>(command: Promise<T>, options?: RunOptions): Promise<T> {
    if (this.#settings.commandTimeoutMs === 0) {
      return command.catch((err: unknown) => {
        throw this.#mapError(err, options);
      });
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { since: Date.now(), reject };
      this.#pending.add(pending);
      this.#watchdog ??= this.#startWatchdog();
      command.then(
        (value) => {
          if (this.#pending.delete(pending)) resolve(value);
        },
        (err: unknown) => {
          if (this.#pending.delete(pending)) reject(this.#mapError(err, options));
        },
      );
    });
  }

  /** A script by `EVALSHA` (loaded again with `EVAL` after `NOSCRIPT`), bounded and mapped. */
  eval(
    client: Client,
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.run(evalScript(client, script, keys, args));
  }

  /**
   * Indexes of `redisKeys` in the groups one command may carry: at most {@link MAX_BATCH} keys, and
   * on a Cluster all in one hash slot. The groups' commands are sent together (one round trip).
   */
  groups(redisKeys: readonly string[]): number[][] {
    let groups: number[][];
    if (!this.#isCluster) {
      groups = [redisKeys.map((_, i) => i)];
    } else {
      const bySlot = new Map<number, number[]>();
      redisKeys.forEach((redisKey, i) => {
        const slot = hashSlot(this.#driverPrefix + redisKey);
        const group = bySlot.get(slot);
        if (group) group.push(i);
        else bySlot.set(slot, [i]);
      });
      groups = [...bySlot.values()];
    }
    if (groups.every((g) => g.length <= MAX_BATCH)) return groups;
    return groups.flatMap((g) =>
      Array.from({ length: Math.ceil(g.length / MAX_BATCH) }, (_, j) =>
        g.slice(j * MAX_BATCH, (j + 1) * MAX_BATCH),
      ),
    );
  }

  /** The nodes a scan must visit (every master of a Cluster), in a stable order. */
  scanNodes(client: Client): { id: string; client: Client }[] {
    if (!this.#isCluster) return [{ id: '', client }];
    const masters = (client as unknown as Cluster).nodes('master');
    if (masters.length === 0) {
      throw new StoreConnectionError(`The Redis Cluster at ${this.address()} has no reachable master`);
    }
    return masters
      .map((node) => ({ id: `${node.options.host}:${node.options.port}`, client: node }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Every key matching `match` on every node, batch by batch. */
  async scanAll(
    client: Client,
    match: string,
    onBatch: (batch: string[]) => void | Promise<void>,
  ): Promise<void> {
    for (const node of this.scanNodes(client)) {
      let cursor = '0';
      do {
        const [next, batch] = await this.run(
          node.client.scan(cursor, 'MATCH', match, 'COUNT', this.#settings.scanCount),
        );
        await onBatch(batch);
        cursor = next;
      } while (cursor !== '0');
    }
  }

  /** `host:port` of the server (every start node of a Cluster); never a password. */
  address(): string {
    const { url, cluster, options } = this.#settings;
    if (url !== undefined) return url.path ?? `${url.host ?? '127.0.0.1'}:${url.port ?? 6379}`;
    if (cluster !== undefined) return cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    const client = (this.#current as Redis | Cluster | undefined) ?? options.client;
    if (client?.isCluster) {
      const nodes = (client as Cluster).nodes();
      return nodes.map((n) => `${n.options.host}:${n.options.port}`).join(',') || 'Redis Cluster';
    }
    const ro = (client as Redis | undefined)?.options ?? options.redisOptions ?? {};
    if (ro.path) return ro.path;
    return `${ro.host ?? '127.0.0.1'}:${ro.port ?? 6379}`;
  }

  /** Stops the watchdog and closes a client the store created; a client passed in stays open. */
  async close(): Promise<void> {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    const client = await this.#client.reset()?.catch(() => undefined);
    if (client === undefined || !this.#owned) return;
    try {
      if (client.status === 'ready') {
        await Promise.race([
          client.quit(),
          new Promise((resolve) => setTimeout(resolve, this.#settings.connectTimeoutMs).unref?.()),
        ]);
      }
    } catch {
      // closing anyway
    } finally {
      client.disconnect();
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  #mapError(err: unknown, options: RunOptions | undefined): OAuthKVError {
    if (options?.wrongType !== undefined && err instanceof Error && replyCode(err) === 'WRONGTYPE') {
      return options.wrongType();
    }
    return mapRedisError(err, this.address(), this.#settings.secrets);
  }

  #startWatchdog(): ReturnType<typeof setInterval> {
    const limit = this.#settings.commandTimeoutMs;
    const timer = setInterval(
      () => {
        const since = Date.now() - limit;
        for (const pending of this.#pending) {
          if (pending.since > since) continue;
          this.#pending.delete(pending);
          pending.reject(
            new StoreTimeoutError(
              `Redis at ${this.address()} did not answer within ${limit} ms; the outcome is unknown`,
            ),
          );
        }
      },
      Math.max(10, Math.min(1_000, limit / 4)),
    );
    timer.unref?.();
    return timer;
  }

  #waitReady(client: Client): Promise<void> {
    if (client.status === 'end' && !this.#owned) {
      return Promise.reject(
        new StoreConnectionError(`The Redis client for ${this.address()} was closed by its owner`),
      );
    }
    if (client.status === 'wait' || client.status === 'end') client.connect().catch(() => {});
    const limit = this.#settings.connectTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
      };
      const onReady = (): void => {
        done();
        resolve();
      };
      // Wrong credentials or a failed TLS handshake will not pass by waiting: fail at once.
      const onError = (err: unknown): void => {
        const mapped = mapRedisError(err, this.address(), this.#settings.secrets);
        if (!(mapped instanceof StoreSetupError)) return;
        done();
        reject(mapped);
      };
      const timer = setTimeout(() => {
        done();
        const why = this.#lastError === undefined ? '' : ` (${this.#lastError})`;
        reject(
          new StoreConnectionError(
            `Could not connect to Redis at ${this.address()} within ${limit} ms${why}`,
          ),
        );
      }, limit);
      client.on('ready', onReady);
      client.on('error', onError);
      if (client.status === 'ready') onReady();
    });
  }

  async #create(): Promise<Client> {
    const mod = await loadPeer('RedisStore', 'ioredis', () => import('ioredis'));
    const { options, url, cluster, connectTimeoutMs } = this.#settings;
    const defaults: RedisOptions = {
      connectTimeout: connectTimeoutMs,
      // An operation in flight when the connection drops fails at once instead of being sent
      // again after a reconnect (a repeated GETDEL or SET NX could lose a value or win twice).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000),
      lazyConnect: true,
    };
    let client: Redis | Cluster;
    try {
      if (cluster !== undefined) {
        client = new mod.Cluster(cluster.nodes, {
          clusterRetryStrategy: (times: number) => Math.min(times * 100, 2_000),
          slotsRefreshTimeout: connectTimeoutMs,
          lazyConnect: true,
          ...options.clusterOptions,
          redisOptions: {
            ...defaults,
            ...cluster.shared,
            ...options.clusterOptions?.redisOptions,
            ...options.redisOptions,
          },
        });
      } else {
        // What the URL says wins over redisOptions (as when ioredis reads the URL itself); a TLS
        // configuration in redisOptions wins over the bare TLS of rediss:.
        const tls = options.redisOptions?.tls ?? url?.tls;
        client = new mod.Redis({ ...defaults, ...options.redisOptions, ...url, ...(tls ? { tls } : {}) });
      }
    } catch (err) {
      // Options ioredis refuses (no URL reaches it): the error's text only, scrubbed.
      throw new StoreSetupError(
        `RedisStore could not create its ioredis client: ${describeConnectionError(err, this.#settings.secrets)}`,
      );
    }
    client.on('error', (err: unknown) => {
      this.#lastError = scrub(describeConnectionError(err, this.#settings.secrets), this.#settings.secrets);
    });
    this.#adopt(client);
    return client as Client;
  }

  #adopt(client: Redis | Cluster): void {
    this.#current = client as Client;
    this.#isCluster = client.isCluster === true;
    const prefix = (client.options as { keyPrefix?: unknown }).keyPrefix;
    this.#driverPrefix = typeof prefix === 'string' ? prefix : '';
  }
}
