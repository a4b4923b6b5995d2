/**
 * The OAuth-proxy records of `OAuthStateStore`: upstream provider tokens (sealed, bound to their
 * id) and JWT id mappings.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../contract.js';
import { StoreSetupError, ValidationError } from '../errors.js';
import { isPlainObject } from '../validation.js';
import type { BearerSecret } from './bearer-hash.js';
import { dropUndefined } from './mcp-json.js';
import { isRefusal, type RecordIO, type RefusalHandler } from './oauth-record-io.js';
import { RECORDS } from './oauth-records.js';
import { SecretSealer } from './oauth-sealer.js';

/** The purpose label of the key upstream tokens are sealed under (derived from the encryption keys). */
const UPSTREAM_PURPOSE = 'oauth-kv upstream tokens v1';

/** Upstream tokens and JWT id mappings. */
export class ProxyRecords {
  readonly #io: RecordIO;
  readonly #sealer: SecretSealer | undefined;
  readonly #plaintext: boolean;
  readonly #upstream: string;
  readonly #jti: string;
  readonly #clock: () => number;
  readonly #onRefused: RefusalHandler | undefined;

  constructor(options: {
    io: RecordIO;
    store: unknown;
    sealSecret: BearerSecret | readonly BearerSecret[] | undefined;
    plaintext: boolean;
    upstreamCollection: string;
    jtiCollection: string;
    clock: () => number;
    onRefused: RefusalHandler | undefined;
  }) {
    this.#io = options.io;
    this.#sealer = SecretSealer.forStore(options.store, UPSTREAM_PURPOSE, options.sealSecret);
    this.#plaintext = options.plaintext;
    this.#upstream = options.upstreamCollection;
    this.#jti = options.jtiCollection;
    this.#clock = options.clock;
    this.#onRefused = options.onRefused;
  }

  /** How upstream tokens are kept. */
  get handling(): 'sealed' | 'plaintext' | 'refused' {
    if (this.#sealer !== undefined) return 'sealed';
    return this.#plaintext ? 'plaintext' : 'refused';
  }

  async saveUpstreamTokens(
    tokens: JsonObject,
    options: { id?: string | undefined; ttl?: number | undefined },
  ): Promise<string> {
    if (!isPlainObject(tokens)) {
      throw new ValidationError('Upstream tokens must be a JSON object', [
        { message: 'must be an object', path: '$' },
      ]);
    }
    const id = options.id ?? randomUUID();
    const plain = dropUndefined(tokens);
    let record: { sealed?: string; tokens?: JsonObject };
    if (this.#sealer !== undefined)
      record = { sealed: this.#sealer.seal(JSON.stringify(plain), this.#context(id)) };
    else if (this.#plaintext) record = { tokens: plain };
    else {
      throw new StoreSetupError(
        'Refusing to store upstream tokens without key material: anyone reading the database could use ' +
          'them. Wrap the store with withEncryption, give sealSecret, or set plaintextUpstreamTokens: true',
      );
    }
    await this.#io.put(RECORDS.upstream, this.#upstream, id, record, options.ttl);
    return id;
  }

  async getUpstreamTokens(id: string): Promise<JsonObject | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const record = (await this.#io.first(RECORDS.upstream, this.#upstream, [id]))?.record;
    if (record === undefined) return undefined;
    if (record.sealed === undefined) {
      // Unsealed tokens are accepted only where they could have been written that way.
      return this.#sealer === undefined || this.#plaintext ? record.tokens : undefined;
    }
    if (this.#sealer === undefined) return undefined;
    try {
      const opened: unknown = JSON.parse(this.#sealer.open(record.sealed, this.#context(id)));
      return isPlainObject(opened) ? (opened as JsonObject) : undefined;
    } catch (err) {
      if (!isRefusal(err) && !(err instanceof SyntaxError)) throw err;
      if (isRefusal(err)) this.#report(err);
      return undefined;
    }
  }

  async deleteUpstreamTokens(id: string): Promise<boolean> {
    return (await this.#io.delete(this.#upstream, [id])) > 0;
  }

  async saveJtiMapping(jti: string, upstreamTokenId: string, ttl: number | undefined): Promise<void> {
    const record = { jti, upstream_token_id: upstreamTokenId, created_at: Math.floor(this.#clock() / 1000) };
    await this.#io.put(RECORDS.jti, this.#jti, jti, record, ttl);
  }

  async getJtiMapping(jti: string): Promise<string | undefined> {
    if (typeof jti !== 'string' || jti.length === 0) return undefined;
    const found = await this.#io.first(RECORDS.jti, this.#jti, [jti]);
    return found?.record.jti === jti ? found.record.upstream_token_id : undefined;
  }

  async deleteJtiMapping(jti: string): Promise<boolean> {
    return (await this.#io.delete(this.#jti, [jti])) > 0;
  }

  #context(id: string): string {
    return `${this.#upstream}\0${id}`;
  }

  #report(error: Parameters<RefusalHandler>[0]): void {
    try {
      this.#onRefused?.(error, { collection: this.#upstream });
    } catch {
      // a failing hook must not turn a refusal into a server error
    }
  }
}
