// Run by test/conformance-runners.test.ts with `bun test` (the bun of the `bun` devDependency): both
// suites on MemoryStore through jestLikeRunner and bun's own test API, and the store suite on
// PostgreSQL when OAUTH_KV_TEST_POSTGRES_URL is set (in a schema of its own, dropped at the end).
// @ts-expect-error bun:test exists only under bun
import * as bunTest from 'bun:test';
import pg from 'pg';
import { describeConformance, describeOAuthConformance, jestLikeRunner } from '../../src/conformance/core.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';

const runner = jestLikeRunner(bunTest);
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
if (url) {
  const schema = `oauthkv_buntest_${process.pid}`;
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
      await admin.end();
    },
  });
}
