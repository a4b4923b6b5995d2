/**
 * The Redis store's client: created lazily (or adopted), waited for with a bound; every command sent
 * as an ioredis `Command` the store builds itself, the commands of one tick written together (the
 * socket is corked until the next tick), bounded by one periodic watchdog sweep over the commands in
 * flight (no timer and no closure per command) and its errors mapped by `./errors.ts`; bulk commands
 * grouped by hash slot on a Cluster, and scans that visit every master.
 * @module
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { Lazy, loadPeer } from '../../backend/kit.js';
import {
  DeserializationError,
  StoreConnectionError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';
import { describeConnectionError, mapRedisError, replyCode, scrub } from './errors.js';
import { hashSlot } from './names.js';
import type { RedisSettings } from './options.js';
import type { Script } from './scripts.js';

/** What the store needs from a client: the `Redis` command surface (a `Cluster` has the same). */
export type Client = Redis;

/**
 * Most keys in one command of a bulk operation: bigger batches are split into several commands sent
 * together, so a huge `getMany`/`putMany`/`deleteMany` never blocks Redis for long.
 */
export const MAX_BATCH = 1_000;

/** The ioredis `Command` class (the module is a lazily loaded peer). */
type CommandClass = typeof import('ioredis').Command;
type Command = InstanceType<CommandClass>;

/** Loads the driver (an optional peer). */
const loadIoredis = () => import('ioredis');
type IoredisModule = Awaited<ReturnType<typeof loadIoredis>>;

/** An argument of a command. */
export type Arg = string | number | Buffer;

/**
 * Most commands the watchdog keeps between two sweeps before it compacts its queue at once (the
 * queue normally stays about as long as the number of commands in flight).
 */
const COMPACT_AT = 4_096;

/** The message of a read that finds a Redis key of another type where an entry belongs. */
const WRONG_TYPE_READ = 'A Redis key of another type is where the entry belongs';

/** The client of one store and everything about talking to it. */
export class RedisConnection {
  readonly #settings: RedisSettings;
  readonly #owned: boolean;
  readonly #client: Lazy<Client>;
  #Command: CommandClass | undefined;
  /** Options of every command the store builds (the reply as text, the client's own key prefix). */
  #commandOptions: { replyEncoding: 'utf8'; keyPrefix?: string } = { replyEncoding: 'utf8' };
  /** Commands sent and maybe not answered, oldest first from `#head`, with the sweep they followed. */
  readonly #queue: Command[] = [];
  readonly #sweeps: number[] = [];
  #head = 0;
  /** Watchdog sweeps so far. */
  #sweep = 0;
  /** Sweeps that span `commandTimeoutMs`. */
  readonly #sweepsPerLimit: number;
  /** Milliseconds between two sweeps. */
  readonly #every: number;
  /** The socket corked for the commands of the current tick (uncorked on the next tick). */
  #corked: { uncork(): void } | undefined;
  #current: Client | undefined;
  /** The client once created (or adopted) and the driver loaded; forgotten by `close()`. */
  #known: Client | undefined;
  #readyWait: Promise<void> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #lastError: string | undefined;
  #isCluster = false;
  /** The prefix ioredis itself adds to keys (a `keyPrefix` option on a client passed in). */
  #driverPrefix = '';

  constructor(settings: RedisSettings) {
    this.#settings = settings;
    const limit = settings.commandTimeoutMs;
    this.#every = Math.max(10, Math.min(1_000, limit / 4));
    this.#sweepsPerLimit = limit === 0 ? 0 : Math.ceil(limit / this.#every);
    const given = settings.options.client;
    this.#owned = given === undefined;
    if (given !== undefined) this.#adopt(given);
    this.#client = new Lazy(async () => {
      const mod = await loadPeer('RedisStore', 'ioredis', loadIoredis);
      this.#Command = mod.Command;
      return (given as Client | undefined) ?? this.#create(mod);
    });
  }

  /** `true` on a Redis Cluster. */
  get isCluster(): boolean {
    return this.#isCluster;
  }

  /** The prefix the client itself puts before every key (what `SCAN` returns includes it). */
  get driverPrefix(): string {
    return this.#driverPrefix;
  }

  /**
   * The client, connected: waits at most `connectTimeoutMs` for a (re)connection. A client known
   * and connected is returned as it is (no promise), the common case of every operation.
   */
  ready(): Client | Promise<Client> {
    const known = this.#known;
    if (known !== undefined && known.status === 'ready') return known;
    return this.#connect();
  }

  async #connect(): Promise<Client> {
    const client = await this.#client.get();
    if (client.status !== 'ready') {
      this.#readyWait ??= this.#waitReady(client).finally(() => {
        this.#readyWait = undefined;
      });
      await this.#readyWait;
    }
    if (this.#client.started) this.#known = client;
    return client;
  }

  /**
   * Sends a command (keys under the client's own prefix, reply as text), maps driver errors to
   * oauth-kv errors, and gives up after `commandTimeoutMs` with a `StoreTimeoutError`.
   */
  send<T>(client: Client, name: string, args: Arg[]): Promise<T> {
    return this.call<T>(client, name, args).catch(this.#fail);
  }

  /** {@link send} for a read of an entry: a key of another type is a `DeserializationError`. */
  read<T>(client: Client, name: string, args: Arg[]): Promise<T> {
    return this.call<T>(client, name, args).catch(this.#failRead);
  }

  /** Maps a driver error of a promise built from {@link call}s. */
  run<T>(promise: Promise<T>): Promise<T> {
    return promise.catch(this.#fail);
  }

  /**
   * Sends a command with the watchdog on it, its error not mapped yet (for a caller that looks at
   * the reply code first; pass the result to {@link run}). The commands sent in one tick go out in
   * one write: the socket is corked at the first and uncorked on the next tick, so many operations
   * in flight travel as a pipeline while one alone costs no more than a `nextTick`. The watchdog
   * keeps the command in a queue (no timer, no closure): one sweep per `commandTimeoutMs / 4`
   * rejects those sent at least `commandTimeoutMs` ago and still unanswered.
   */
  call<T>(client: Client, name: string, args: Arg[]): Promise<T> {
    const command = new this.#Command!(name, args, this.#commandOptions);
    if (this.#corked === undefined) this.#cork(client);
    const promise = client.sendCommand(command) as Promise<T>;
    if (this.#sweepsPerLimit !== 0) this.#track(command);
    return promise;
  }

  /** A script by `EVALSHA` (loaded again with `EVAL` after `NOSCRIPT`), bounded and mapped. */
  eval(client: Client, script: Script, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    const n = keys.length;
    return this.call(client, 'evalsha', [script.sha, n, ...keys, ...args])
      .catch((err: unknown) => {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return this.call(client, 'eval', [script.source, n, ...keys, ...args]);
      })
      .catch(this.#fail);
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

  /** The nodes a scan must visit: the server, or every master of a Cluster. */
  #scanNodes(client: Client): Client[] {
    if (!this.#isCluster) return [client];
    const masters = (client as unknown as Cluster).nodes('master');
    if (masters.length === 0) {
      throw new StoreConnectionError(`The Redis Cluster at ${this.address()} has no reachable master`);
    }
    return masters;
  }

  /** Every key matching `match` on every node, batch by batch. */
  async scanAll(
    client: Client,
    match: string,
    onBatch: (batch: string[]) => void | Promise<void>,
  ): Promise<void> {
    for (const node of this.#scanNodes(client)) {
      let cursor = '0';
      do {
        const [next, batch] = await this.send<[string, string[]]>(node, 'scan', [
          cursor,
          'MATCH',
          match,
          'COUNT',
          this.#settings.scanCount,
        ]);
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
    this.#known = undefined;
    this.#queue.length = 0;
    this.#sweeps.length = 0;
    this.#head = 0;
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

  readonly #fail = (err: unknown): never => {
    throw mapRedisError(err, this.address(), this.#settings.secrets);
  };

  readonly #failRead = (err: unknown): never => {
    if (err instanceof Error && replyCode(err) === 'WRONGTYPE')
      throw new DeserializationError(WRONG_TYPE_READ);
    throw mapRedisError(err, this.address(), this.#settings.secrets);
  };

  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork();
  };

  /** Corks a standalone client's socket until the next tick (a Cluster routes commands itself). */
  #cork(client: Client): void {
    const stream = (client as Partial<Redis>).stream;
    if (stream === undefined || client.status !== 'ready' || !stream.writable) return;
    stream.cork();
    this.#corked = stream;
    process.nextTick(this.#uncork);
  }

  /** Queues a command for the watchdog, first dropping the answered ones at the head. */
  #track(command: Command): void {
    const queue = this.#queue;
    let head = this.#head;
    while (head < queue.length && queue[head]!.isResolved) head++;
    if (head === queue.length) {
      queue.length = 0;
      this.#sweeps.length = 0;
      head = 0;
    } else if (head >= COMPACT_AT) {
      queue.splice(0, head);
      this.#sweeps.splice(0, head);
      head = 0;
    }
    this.#head = head;
    queue.push(command);
    this.#sweeps.push(this.#sweep);
    this.#watchdog ??= this.#startWatchdog();
  }

  #startWatchdog(): ReturnType<typeof setInterval> {
    const limit = this.#settings.commandTimeoutMs;
    const timer = setInterval(() => {
      this.#sweep++;
      // Sent after sweep s: at least (now - 1 - s) intervals ago, i.e. at least `limit` ms once
      // s <= sweep - 1 - sweepsPerLimit.
      const due = this.#sweep - 1 - this.#sweepsPerLimit;
      const queue = this.#queue;
      const sweeps = this.#sweeps;
      let kept = 0;
      for (let i = this.#head; i < queue.length; i++) {
        const command = queue[i]!;
        if (command.isResolved) continue;
        if (sweeps[i]! <= due) {
          // A no-op when ioredis already rejected it (a dropped connection).
          command.reject(
            new StoreTimeoutError(
              `Redis at ${this.address()} did not answer within ${limit} ms; the outcome is unknown`,
            ),
          );
          continue;
        }
        queue[kept] = command;
        sweeps[kept] = sweeps[i]!;
        kept++;
      }
      queue.length = kept;
      sweeps.length = kept;
      this.#head = 0;
    }, this.#every);
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

  async #create(mod: IoredisModule): Promise<Client> {
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
    // The client's own prefix, as ioredis applies it to the commands it builds.
    this.#commandOptions = prefix
      ? { replyEncoding: 'utf8', keyPrefix: prefix as string }
      : { replyEncoding: 'utf8' };
  }
}
