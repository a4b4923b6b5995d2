/**
 * OpenTelemetry for any store (`oauth-kv/telemetry`, optional peer `@opentelemetry/api`): a span
 * and duration and error metrics per operation, with the store kind, the operation, the collection
 * and the outcome. Never a key, a value or an error message.
 * @module
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { AsyncKeyValue } from '../contract.js';
import { OAuthKVError, StoreSetupError } from '../errors.js';
import { InterceptingWrapper, type StoreCall, type StoreOperation, WrapperStore } from './base.js';

/** Instrumentation scope name of the tracer and meter the wrapper gets by default. */
const SCOPE = 'oauth-kv';

/**
 * Names of what the telemetry wrapper records.
 *
 * @example
 * ```ts
 * import { TELEMETRY_NAMES } from 'oauth-kv/telemetry';
 * console.log(TELEMETRY_NAMES.duration); // "oauth_kv.operation.duration"
 * ```
 */
export const TELEMETRY_NAMES = Object.freeze({
  /** Histogram of operation durations, in seconds. */
  duration: 'oauth_kv.operation.duration',
  /** Counter of failed operations. */
  errors: 'oauth_kv.operation.errors',
  /** Attribute: the backend (`redis`, `postgres`, `file`, `memory`, `firestore`, `keyv`, ...). */
  store: 'oauth_kv.store.kind',
  /** Attribute: the operation (`get`, `putIfAbsent`, `ping`, ...). */
  operation: 'db.operation.name',
  /** Attribute: the collection, when the operation addresses one. */
  collection: 'db.collection.name',
  /** Attribute: `ok` or `error`. */
  outcome: 'oauth_kv.outcome',
  /** Attribute on failures: the error's stable code (`STORE_CONNECTION`, ...) or class name. */
  errorType: 'error.type',
});

/**
 * Options of {@link withTelemetry}.
 *
 * @example
 * ```ts
 * import { trace, metrics } from '@opentelemetry/api';
 * const options: TelemetryOptions = {
 *   tracer: trace.getTracer('my-service'),
 *   meter: metrics.getMeter('my-service'),
 *   storeKind: 'redis',
 * };
 * ```
 */
export interface TelemetryOptions {
  /** Tracer for the spans (default: the global provider's tracer `"oauth-kv"`). */
  tracer?: Tracer | undefined;
  /** Meter for the metrics (default: the global provider's meter `"oauth-kv"`). */
  meter?: Meter | undefined;
  /**
   * The `oauth_kv.store.kind` attribute (default: from the store under the wrappers, `RedisStore` →
   * `redis`).
   */
  storeKind?: string | undefined;
  /** Record spans (default `true`). */
  spans?: boolean | undefined;
  /** Record metrics (default `true`). */
  metrics?: boolean | undefined;
}

/**
 * Records every operation of the wrapped store (and `ping()`) with OpenTelemetry: a client span
 * `oauth-kv <operation>` (a child of the active span) and the `oauth_kv.operation.duration`
 * histogram (seconds) and `oauth_kv.operation.errors` counter, all with the attributes of
 * {@link TELEMETRY_NAMES}. Failed spans get status `ERROR` and `error.type`; the error's message is
 * not recorded. Keys and values are never recorded.
 *
 * @example
 * ```ts
 * import { withTelemetry, type TelemetryWrapper } from 'oauth-kv/telemetry';
 * const store: TelemetryWrapper = withTelemetry(redisStore);
 * ```
 */
export class TelemetryWrapper extends InterceptingWrapper {
  readonly #tracer: Tracer | undefined;
  readonly #duration: Histogram | undefined;
  readonly #errors: Counter | undefined;
  readonly #kind: string;

  constructor(inner: AsyncKeyValue, options: TelemetryOptions = {}) {
    super(inner);
    if (typeof options !== 'object' || options === null) {
      throw new StoreSetupError('withTelemetry options must be an object');
    }
    if (
      options.storeKind !== undefined &&
      (typeof options.storeKind !== 'string' || options.storeKind === '')
    ) {
      throw new StoreSetupError('withTelemetry storeKind must be a non-empty string');
    }
    this.#kind = options.storeKind ?? kindOf(inner);
    this.#tracer = options.spans === false ? undefined : (options.tracer ?? trace.getTracer(SCOPE));
    if (options.metrics !== false) {
      const meter = options.meter ?? metrics.getMeter(SCOPE);
      this.#duration = meter.createHistogram(TELEMETRY_NAMES.duration, {
        description: 'Duration of oauth-kv store operations',
        unit: 's',
      });
      this.#errors = meter.createCounter(TELEMETRY_NAMES.errors, {
        description: 'Failed oauth-kv store operations',
        unit: '{operation}',
      });
    }
  }

  protected intercept<T>(call: StoreCall<T>): Promise<T> {
    return this.#record(call.operation, call.collection, () => call.run());
  }

  /** The health check, recorded as operation `ping`. */
  override ping(): Promise<void> {
    return this.#record('ping', undefined, () => this.inner.ping());
  }

  #record<T>(
    operation: StoreOperation | 'ping',
    collection: string | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    const attributes: Attributes = {
      [TELEMETRY_NAMES.store]: this.#kind,
      [TELEMETRY_NAMES.operation]: operation,
    };
    if (collection !== undefined) attributes[TELEMETRY_NAMES.collection] = collection;
    const measure = async (span: Span | undefined): Promise<T> => {
      const started = performance.now();
      let errorType: string | undefined;
      try {
        return await run();
      } catch (err) {
        errorType = err instanceof OAuthKVError ? err.code : err instanceof Error ? err.name : 'unknown';
        span?.setAttribute(TELEMETRY_NAMES.errorType, errorType);
        span?.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        const outcome: Attributes = { ...attributes, [TELEMETRY_NAMES.outcome]: errorType ? 'error' : 'ok' };
        if (errorType !== undefined) {
          outcome[TELEMETRY_NAMES.errorType] = errorType;
          this.#errors?.add(1, outcome);
        }
        this.#duration?.record((performance.now() - started) / 1000, outcome);
        span?.setAttribute(TELEMETRY_NAMES.outcome, errorType ? 'error' : 'ok');
        span?.end();
      }
    };
    if (this.#tracer === undefined) return measure(undefined);
    return this.#tracer.startActiveSpan(
      `oauth-kv ${operation}`,
      { kind: SpanKind.CLIENT, attributes },
      measure,
    );
  }
}

/**
 * Wraps a store so every operation is traced and measured with OpenTelemetry (see
 * {@link TelemetryWrapper}). Without options it uses the globally registered providers.
 *
 * @example
 * ```ts
 * import { compose, withEncryption } from 'oauth-kv';
 * import { withTelemetry } from 'oauth-kv/telemetry';
 *
 * const stack = compose((s) => withTelemetry(s), (s) => withEncryption(s, { keys: [key] }), redisStore);
 * ```
 */
export function withTelemetry(store: AsyncKeyValue, options: TelemetryOptions = {}): TelemetryWrapper {
  return new TelemetryWrapper(store, options);
}

/** `redis` for a RedisStore under any number of wrappers; the class name otherwise. */
function kindOf(store: AsyncKeyValue): string {
  let current: unknown = store;
  for (let depth = 0; depth < 64 && current instanceof WrapperStore; depth++) {
    current = (current as unknown as { inner: unknown }).inner;
  }
  const name = (current as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'custom';
  return name.endsWith('Store') && name.length > 5 ? name.slice(0, -5).toLowerCase() : name;
}
