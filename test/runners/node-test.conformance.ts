// Run by test/conformance-runners.test.ts with `node --test` (not by vitest): both suites under
// Node's own runner, through oauth-kv/conformance/core, on MemoryStore and (when
// OAUTH_KV_TEST_POSTGRES_URL is set) PostgreSQL, with an opt-out whose reason the output shows.
import * as nodeTest from 'node:test';
import pg from 'pg';
import { describeConformance, describeOAuthConformance, nodeTestRunner } from '../../src/conformance/core.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';

const runner = nodeTestRunner(nodeTest);

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
  const schema = `oauthkv_nodetest_${process.pid}`;
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  const hooks = {
    setup: async () => void (await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)),
    cleanup: async () => {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".kv_store`);
      console.log(`rows left by the suite: ${rows[0].n}`);
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
    },
  };
  describeConformance('PostgresStore', {
    runner,
    createStore: () => new PostgresStore({ url, schema }),
    persistent: true,
    ttlSlack: 0.2,
    skip: { 'names.nul': 'PostgreSQL TEXT cannot hold U+0000' },
    ...hooks,
  });
  nodeTest.after(() => admin.end());
}
