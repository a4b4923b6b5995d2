/**
 * oidc-provider replicas on one backing, for the tests that run a real provider
 * (test/oidc-provider.test.ts, test/oidc-provider-at-rest.test.ts): sets the backing up before the
 * suite, and afterwards closes every server and store and checks that no request ended in a server
 * error. Call it inside the suite's `describe`.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { AsyncKeyValue } from '../../src/contract.js';
import { createOidcAdapter, type OidcAdapterOptions } from '../../src/integrations/oidc-provider.js';
import type { BackingEnv, ReplicaBacking } from './fastmcp-backings.js';
import { type OidcServer, startOidcServer } from './oidc-server.js';

export interface OidcReplicas {
  /** The backing's environment (set up in `beforeAll`). */
  readonly env: BackingEnv;
  /** A provider on a new store of the backing; `store` is the raw store below `wrap`. */
  replica(
    wrap?: (store: AsyncKeyValue) => AsyncKeyValue,
    options?: OidcAdapterOptions,
  ): Promise<{ server: OidcServer; store: AsyncKeyValue }>;
}

export function oidcReplicas(backing: ReplicaBacking): OidcReplicas {
  let env: BackingEnv | undefined;
  const servers: OidcServer[] = [];
  const stores: AsyncKeyValue[] = [];
  beforeAll(async () => {
    env = await backing.setup();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    if (backing.persistent) for (const store of stores) await store.close();
    await env?.teardown();
    // No request in the suite ended in a server error.
    for (const server of servers) expect(server.errors).toEqual([]);
  });
  return {
    get env() {
      if (env === undefined) throw new Error('the backing is set up in beforeAll');
      return env;
    },
    async replica(wrap = (store) => store, options = {}) {
      const store = await this.env.open();
      stores.push(store);
      const server = await startOidcServer(createOidcAdapter(wrap(store), options));
      servers.push(server);
      return { server, store };
    },
  };
}
