/**
 * The OpenTelemetry wrapper, checked with the OpenTelemetry SDK's in-memory span and metric
 * exporters around a real Redis store: one span per operation (a child of the active span) with the
 * store kind, operation, collection and outcome; duration and error metrics with the same
 * attributes; failures marked with the error's code; and no key, value or error message anywhere
 * in what is exported.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { generateFernetKey } from '../src/crypto/keys.js';
import { InvalidTTLError, StoreConnectionError, StoreSetupError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { RedisStore } from '../src/stores/redis/index.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { TELEMETRY_NAMES, withTelemetry } from '../src/wrappers/telemetry.js';
import { findBackend, uniqueName } from './harness/backends.js';
import { failure } from './helpers/secret-scan.js';

const redis = await findBackend('redis');
const ready = redis.available;

// What a Node service registers (the SDK does it for you): context follows async calls.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });

const KEY = 'authorization-code-KEY-never-recorded';
const VALUE = 'refresh-token-VALUE-never-recorded';

afterAll(async () => {
  context.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
beforeEach(() => spans.reset());

/** Every metric data point exported so far: name, attributes and value. */
async function points() {
  await reader.forceFlush();
  const out: { name: string; attributes: Record<string, unknown>; value: unknown }[] = [];
  for (const rm of metricExporter.getMetrics()) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const dp of m.dataPoints)
          out.push({ name: m.descriptor.name, attributes: dp.attributes, value: dp.value });
      }
    }
  }
  metricExporter.reset();
  return out;
}

describe.skipIf(!ready)('telemetry (needs Redis)', () => {
  describe('withTelemetry on Redis (in-memory exporters)', () => {
    test('a span per operation with kind, operation, collection and outcome; metrics with the same attributes', async () => {
      const prefix = `${uniqueName('otel')}:`;
      const redisStore = new RedisStore({ url: redis.url, keyPrefix: prefix });
      const store = withTelemetry(withEncryption(redisStore, { keys: [generateFernetKey()] }), {
        tracer: tracerProvider.getTracer('test'),
        meter: meterProvider.getMeter('test'),
      });
      const parent = tracerProvider.getTracer('test').startSpan('request');
      await context.with(trace.setSpan(context.active(), parent), async () => {
        await store.put(KEY, { refresh_token: VALUE }, { collection: 'tokens', ttl: 60 });
        expect(await store.get(KEY, { collection: 'tokens' })).toEqual({ refresh_token: VALUE });
        expect(await store.take(KEY, { collection: 'tokens' })).toEqual({ refresh_token: VALUE });
        await store.ping();
        expect(
          await failure(() => store.put(KEY, { v: VALUE }, { collection: 'tokens', ttl: -1 })),
        ).toBeInstanceOf(InvalidTTLError);
      });
      parent.end();

      const finished = spans.getFinishedSpans().filter((s) => s.name !== 'request');
      expect(finished.map((s) => s.name)).toEqual([
        'oauth-kv put',
        'oauth-kv get',
        'oauth-kv take',
        'oauth-kv ping',
        'oauth-kv put',
      ]);
      for (const span of finished) {
        expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
        expect(span.kind).toBe(2); // CLIENT
        expect(span.attributes[TELEMETRY_NAMES.store]).toBe('redis');
      }
      expect(finished[0]?.attributes).toEqual({
        'oauth_kv.store.kind': 'redis',
        'db.operation.name': 'put',
        'db.collection.name': 'tokens',
        'oauth_kv.outcome': 'ok',
      });
      expect(finished[3]?.attributes).toEqual({
        'oauth_kv.store.kind': 'redis',
        'db.operation.name': 'ping',
        'oauth_kv.outcome': 'ok',
      });
      const failed = finished[4];
      expect(failed?.status).toEqual({ code: 2 }); // ERROR, without the message
      expect(failed?.attributes['error.type']).toBe('INVALID_TTL');
      expect(failed?.attributes['oauth_kv.outcome']).toBe('error');
      expect(failed?.events).toEqual([]);

      const data = await points();
      const durations = data.filter((p) => p.name === TELEMETRY_NAMES.duration);
      const ops = durations.map(
        (p) => `${p.attributes['db.operation.name']}:${p.attributes['oauth_kv.outcome']}`,
      );
      expect(ops.sort()).toEqual(['get:ok', 'ping:ok', 'put:error', 'put:ok', 'take:ok']);
      for (const p of durations) expect((p.value as { count: number }).count).toBe(1);
      expect(data.filter((p) => p.name === TELEMETRY_NAMES.errors)).toEqual([
        {
          name: TELEMETRY_NAMES.errors,
          attributes: {
            'oauth_kv.store.kind': 'redis',
            'db.operation.name': 'put',
            'db.collection.name': 'tokens',
            'oauth_kv.outcome': 'error',
            'error.type': 'INVALID_TTL',
          },
          value: 1,
        },
      ]);

      // Nothing exported holds the key or the value.
      const exported = JSON.stringify({
        spans: spans.getFinishedSpans().map((s) => [s.name, s.attributes, s.events, s.status]),
        data,
      });
      expect(exported).not.toContain(KEY);
      expect(exported).not.toContain(VALUE);
      await store.close();
    });

    test('an unreachable backend: error span and counter with STORE_CONNECTION, no message', async () => {
      const store = withTelemetry(new RedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 }), {
        tracer: tracerProvider.getTracer('test'),
        meter: meterProvider.getMeter('test'),
      });
      expect(await failure(() => store.get(KEY, { collection: 'c' }))).toBeInstanceOf(StoreConnectionError);
      expect(await failure(() => store.ping())).toBeInstanceOf(StoreConnectionError);
      const [get, ping] = spans.getFinishedSpans();
      expect(get?.attributes['error.type']).toBe('STORE_CONNECTION');
      expect(ping?.attributes['error.type']).toBe('STORE_CONNECTION');
      expect(get?.status.message).toBeUndefined();
      const errors = (await points()).filter((p) => p.name === TELEMETRY_NAMES.errors);
      expect(errors.map((p) => [p.attributes['db.operation.name'], p.value])).toEqual(
        expect.arrayContaining([
          ['get', 1],
          ['ping', 1],
        ]),
      );
      await store.close();
    });

    test('increment is recorded as operation increment, with its collection and never its key', async () => {
      const store = withTelemetry(new MemoryStore(), {
        tracer: tracerProvider.getTracer('test'),
        meter: meterProvider.getMeter('test'),
      });
      expect(store.capabilities.increment).toBe(true);
      expect(await store.increment(KEY, 2, { collection: 'limits', ttl: 60 })).toBe(2);
      const [span] = spans.getFinishedSpans();
      expect(span?.name).toBe('oauth-kv increment');
      expect(span?.attributes).toEqual({
        'oauth_kv.store.kind': 'memory',
        'db.operation.name': 'increment',
        'db.collection.name': 'limits',
        'oauth_kv.outcome': 'ok',
      });
      expect(JSON.stringify([span?.name, span?.attributes, span?.events])).not.toContain(KEY);
      const ops = (await points()).map((p) => p.attributes['db.operation.name']);
      expect(ops).toContain('increment');
      await store.close();
    });

    test('defaults: the global providers, store kind from the class, spans or metrics can be turned off', async () => {
      trace.setGlobalTracerProvider(tracerProvider);
      metrics.setGlobalMeterProvider(meterProvider);
      try {
        const store = withTelemetry(new MemoryStore());
        await store.put('k', { v: 1 });
        const [span] = spans.getFinishedSpans();
        expect(span?.instrumentationScope.name).toBe('oauth-kv');
        expect(span?.attributes[TELEMETRY_NAMES.store]).toBe('memory');
        expect(span?.attributes[TELEMETRY_NAMES.collection]).toBe('default_collection');
        spans.reset();
        const quiet = withTelemetry(new MemoryStore(), { spans: false, storeKind: 'primary' });
        await quiet.get('k');
        expect(spans.getFinishedSpans()).toEqual([]);
        const kinds = (await points()).map((p) => p.attributes[TELEMETRY_NAMES.store]);
        expect(kinds).toContain('primary');
        const noMetrics = withTelemetry(new MemoryStore(), { metrics: false, storeKind: 'silent' });
        await noMetrics.get('k');
        expect((await points()).map((p) => p.attributes[TELEMETRY_NAMES.store])).not.toContain('silent');
      } finally {
        trace.disable();
        metrics.disable();
      }
      expect(() => withTelemetry(new MemoryStore(), { storeKind: '' })).toThrow(StoreSetupError);
    });
  });
});
