/**
 * Finds a real backend for the tests, in this order:
 *   1. an explicit address from the environment (OAUTH_KV_TEST_POSTGRES_URL, OAUTH_KV_TEST_REDIS_URL,
 *      FIRESTORE_EMULATOR_HOST);
 *   2. testcontainers, where a Docker engine is reachable (how contributors run it on laptops);
 *   3. otherwise a skip with a visible reason; under CI=true a missing backend is a failure.
 *
 * Usage in a test file:
 *   const pg = await findBackend('postgres');
 *   describe.skipIf(!pg.available)(`PostgreSQL ${pg.description}`, () => { ... pg.url ... });
 *   afterAll(() => pg.stop());
 */

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

export type BackendKind = 'postgres' | 'redis' | 'firestore';

export interface Backend {
  readonly kind: BackendKind;
  readonly available: boolean;
  /** Connection URL (postgres://, redis://) or emulator host:port (firestore); '' when unavailable. */
  readonly url: string;
  /** Where it came from, or why it was skipped: printed in the describe() name. */
  readonly description: string;
  /** Stops a container this harness started; no-op otherwise. */
  stop(): Promise<void>;
}

const ENV: Record<BackendKind, string> = {
  postgres: 'OAUTH_KV_TEST_POSTGRES_URL',
  redis: 'OAUTH_KV_TEST_REDIS_URL',
  firestore: 'FIRESTORE_EMULATOR_HOST',
};

const cache = new Map<BackendKind, Promise<Backend>>();

/** Resolves a backend once per test file (module instance). */
export function findBackend(kind: BackendKind): Promise<Backend> {
  let found = cache.get(kind);
  if (!found) {
    found = resolve(kind);
    cache.set(kind, found);
  }
  return found;
}

async function resolve(kind: BackendKind): Promise<Backend> {
  const fromEnv = process.env[ENV[kind]];
  if (fromEnv) {
    return { kind, available: true, url: fromEnv, description: `(${ENV[kind]})`, stop: async () => {} };
  }
  if (dockerAvailable()) {
    try {
      return await startContainer(kind);
    } catch (err) {
      return missing(kind, `testcontainers could not start ${kind}: ${(err as Error).message}`);
    }
  }
  return missing(kind, `set ${ENV[kind]} or run a Docker engine for testcontainers`);
}

function missing(kind: BackendKind, reason: string): Backend {
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI=true but no ${kind} backend is available: ${reason}`);
  }
  return {
    kind,
    available: false,
    url: '',
    description: `(skipped: no ${kind} backend; ${reason})`,
    stop: async () => {},
  };
}

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainer(kind: BackendKind): Promise<Backend> {
  if (kind === 'postgres') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const c = await new PostgreSqlContainer('postgres:16-alpine').start();
    return container(kind, c.getConnectionUri(), () => c.stop());
  }
  if (kind === 'redis') {
    const { RedisContainer } = await import('@testcontainers/redis');
    const c = await new RedisContainer('redis:7-alpine').start();
    return container(kind, c.getConnectionUrl(), () => c.stop());
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const c = await new GenericContainer('gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators')
    .withCommand(['gcloud', 'emulators', 'firestore', 'start', '--host-port=0.0.0.0:8080'])
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forLogMessage(/Dev App Server is now running/))
    .start();
  return container(kind, `${c.getHost()}:${c.getMappedPort(8080)}`, () => c.stop());
}

function container(kind: BackendKind, url: string, stop: () => Promise<unknown>): Backend {
  return {
    kind,
    available: true,
    url,
    description: '(testcontainers)',
    stop: async () => {
      await stop();
    },
  };
}

/** A name unique to this test run, for schemas, key prefixes and Firestore project ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}
