/**
 * The Firestore client of {@link FirestoreStore} (given, or created once on first use), the time
 * limit of every call, the retry loop of conditional writes under contention, and the error policy
 * that maps gRPC status codes onto the oauth-kv errors.
 * @module
 */
import type { Firestore, Settings } from '@google-cloud/firestore';
import { Lazy, loadPeer, sleep } from '../../backend/kit.js';
import {
  OAuthKVError,
  StoreConnectionError,
  StoreOperationError,
  StoreSetupError,
  StoreTimeoutError,
} from '../../errors.js';

export type FirestoreModule = typeof import('@google-cloud/firestore');

/** The client and the driver module it came from. */
export interface Client {
  db: Firestore;
  mod: FirestoreModule;
}

/** An attempt's outcome when the document changed since it was read: read it again. */
export const CHANGED: unique symbol = Symbol('changed');

/**
 * gRPC codes of a conditional write that lost a race: FAILED_PRECONDITION (the document is not the
 * version read), ALREADY_EXISTS (`create` of an existing document), NOT_FOUND (it is gone).
 */
const CONFLICT_CODES = new Set([5, 6, 9]);

const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
  409: 'ABORTED (HTTP 409)',
};
/** Transient: the Firestore client itself retries these (reads, deletes, transactions). */
const RETRYABLE = new Set([1, 8, 10, 13, 14, 409]);
/** The project, database or credentials are not usable: no retry will fix it. */
const SETUP = new Set([5, 7, 16]);

/**
 * Maps what a Firestore call threw onto the error policy (see docs/firestore.md). The message names
 * the operation and the status only: Firestore's own messages can quote document paths, and keys
 * may be secrets (authorization codes).
 */
export function firestoreError(operation: string, err: unknown): OAuthKVError {
  if (err instanceof OAuthKVError) return err;
  const code = grpcCode(err);
  const what = `Firestore ${operation} failed`;
  const status = code === undefined ? undefined : (STATUS_NAMES[code] ?? `status ${code}`);
  if (code === 4) return new StoreTimeoutError(`${what}: DEADLINE_EXCEEDED`, { cause: err });
  if (code !== undefined && RETRYABLE.has(code)) {
    return new StoreConnectionError(`${what}: ${status}; the operation may be retried`, { cause: err });
  }
  if (code !== undefined && SETUP.has(code)) {
    const hint = code === 5 ? 'does the database exist?' : 'check the project, database and credentials';
    return new StoreSetupError(`${what}: ${status}; ${hint}`, { cause: err });
  }
  const hint = code === 9 ? ' (a query needs an index that is missing?)' : '';
  return new StoreOperationError(`${what}: ${status ?? 'client error'}${hint}`, { cause: err });
}

/** `true` when a conditional write was applied, `false` when it lost a race; other errors throw. */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    const code = grpcCode(err);
    if (code !== undefined && CONFLICT_CODES.has(code)) return false;
    throw err;
  }
}

export function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The store's Firestore client and its limits: every call runs through {@link call} (time limit and
 * error policy) and every conditional write through {@link contended} (bounded retries).
 */
export class FirestoreConnection {
  readonly #given: Firestore | undefined;
  readonly #client: Lazy<Client>;
  readonly #attempts: number;
  readonly #timeoutMs: number;

  constructor(given: Firestore | undefined, settings: Settings, attempts: number, timeoutMs: number) {
    this.#given = given;
    this.#attempts = attempts;
    this.#timeoutMs = timeoutMs;
    this.#client = new Lazy(async () => {
      const mod = await loadPeer(
        'FirestoreStore',
        '@google-cloud/firestore',
        () => import('@google-cloud/firestore'),
      );
      if (given !== undefined) return { db: given, mod };
      try {
        return { db: new mod.Firestore(settings), mod };
      } catch (err) {
        // The client validates its settings when it is constructed.
        throw new StoreSetupError('FirestoreStore could not create a client from its settings', {
          cause: err,
        });
      }
    });
  }

  /** The client, created on first use. */
  client(): Promise<Client> {
    return this.#client.get();
  }

  /** Runs a Firestore call within the operation time limit; failures follow {@link firestoreError}. */
  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#bounded(operation, fn);
    } catch (err) {
      throw firestoreError(operation, err);
    }
  }

  /**
   * Runs `attempt` until it returns something other than {@link CHANGED}, at most `attempts`
   * (default `maxAttempts`) times, with a small random pause from the second retry on. Gives up early once the operation
   * time limit has passed (the caller has already been answered with a timeout). Running out of
   * attempts is contention, which may pass: a {@link StoreConnectionError}.
   */
  async contended<T>(
    operation: string,
    attempt: () => Promise<T | typeof CHANGED>,
    attempts: number = this.#attempts,
  ): Promise<T> {
    const started = performance.now();
    for (let n = 0; n < attempts; n++) {
      if (n > 1) await sleep(Math.random() * Math.min(2 ** n, 50));
      if (performance.now() - started > this.#timeoutMs) break;
      const outcome = await attempt();
      if (outcome !== CHANGED) return outcome;
    }
    throw new StoreConnectionError(
      `Firestore ${operation} failed: the document kept changing under other writers (${Number.isFinite(attempts) ? `${attempts} attempts` : `${this.#timeoutMs} ms`}); the operation may be retried`,
    );
  }

  /** Terminates a client the store created (never one passed in). */
  async close(): Promise<void> {
    const pending = this.#client.reset();
    if (pending === undefined || this.#given !== undefined) return;
    const client = await pending.catch(() => undefined);
    // terminate() waits for pending calls, which never settle while the server is unreachable.
    await this.#bounded('terminate', async () => client?.db.terminate()).catch(() => undefined);
  }

  async #bounded<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StoreTimeoutError(`Firestore ${operation} did not complete within ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}
