/**
 * What every test of the OAuth certification shares.
 * @module
 */
import type { AsyncKeyValue } from '../contract.js';
import type { OAuthKVError } from '../errors.js';
import type { OAuthStateStore } from '../integrations/mcp-state.js';
import type { OAuthStateStoreOptions } from '../integrations/mcp-state-options.js';
import type { OAuthClauseId } from './clauses.js';
import type { SuiteContext } from './context.js';

/** What every OAuth test shares. */
export interface OAuthContext extends SuiteContext<OAuthClauseId> {
  /** Concurrent callers in each race. */
  racers: number;
  /** An `OAuthStateStore` over a new store; refusals go to `refused`. */
  state: (store: AsyncKeyValue, options?: OAuthStateStoreOptions) => OAuthStateStore;
  /** The refusals reported by every `state()` of the test, newest last. */
  refused: Array<{ error: OAuthKVError; collection: string }>;
  /** A store wrapped in encryption under a key made for this run. */
  encrypted: (store: AsyncKeyValue) => AsyncKeyValue;
}

const CLIENT = { client_id: 'conformance-client', redirect_uri: 'https://client.example/cb' };

/** A new authorization code request for `subject`. */
export function codeRequest(subject: string) {
  return { ...CLIENT, code_challenge: 'c'.repeat(43), scopes: ['mcp'], subject };
}

/** The client id of the codes {@link codeRequest} makes. */
export const CLIENT_ID = CLIENT.client_id;
