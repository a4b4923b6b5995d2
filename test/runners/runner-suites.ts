// The suites every other runner's route runs (test/runners/node-test.conformance.ts,
// bun.conformance.ts, jest.conformance.ts), written once: both suites on MemoryStore, with an opt-out
// whose reason the output shows, and the store suite on PostgreSQL when OAUTH_KV_TEST_POSTGRES_URL is
// set (in a schema of its own, whose rows left behind are printed before it is dropped); and the
// broken-store suites of the *-broken.conformance.ts routes.
import pg from 'pg';
import {
  type ConformanceRunner,
  describeConformance,
  describeOAuthConformance,
} from '../../src/conformance/core.js';
import { KeyvStore } from '../../src/stores/keyv/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { DeleteAlwaysTrue } from '../conformance-self/broken-raw.js';

/**
 * Declares the suites under `runner`; `tag` names the PostgreSQL schema (`oauthkv_<tag>_<pid>`).
 * With `after` (the runner's file-level after hook) the PostgreSQL pool is ended there, otherwise
 * by the suite's cleanup.
 */
export function describeRunnerSuites(
  runner: ConformanceRunner,
  tag: string,
  after?: (hook: () => Promise<void>) => void,
): void {
  describeConformance('MemoryStore', {
    runner,
    createStore: () => new MemoryStore(),
    skip: { 'ttl.subsecond': 'an opt-out shown by the runner' },
  });
  describeOAuthConformance('MemoryStore', {
    runner,
    createStore: () => new MemoryStore(),
    sharedBacking: false,
  });

  const url = process.env.OAUTH_KV_TEST_POSTGRES_URL;
  if (!url) return;
  const schema = `oauthkv_${tag}_${process.pid}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  describeConformance('PostgresStore', {
    runner,
    createStore: () => new PostgresStore({ url, schema }),
    persistent: true,
    ttlSlack: 0.2,
    skip: { 'names.nul': 'PostgreSQL TEXT cannot hold U+0000' },
    setup: async () => void (await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)),
    cleanup: async () => {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".kv_store`);
      console.log(`rows left by the suite: ${rows[0].n}`);
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      if (after === undefined) await admin.end();
    },
  });
  after?.(() => admin.end());
}

/** A broken store that must fail under `runner`, and a store without atomic take, skipped with its reason. */
export function describeBrokenSuites(runner: ConformanceRunner): void {
  describeConformance('DeleteAlwaysTrue', {
    runner,
    createStore: () => new DeleteAlwaysTrue(),
    only: ['op.delete'],
  });
  describeConformance('KeyvStore', {
    runner,
    createStore: () => new KeyvStore(new Map()),
    only: ['cap.atomic'],
  });
}
