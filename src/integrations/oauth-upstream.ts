/**
 * The OAuth-proxy records of `OAuthStateStore`: upstream provider tokens (sealed, bound to their
 * id) and JWT id mappings.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../contract.js';
import { ValidationError } from '../errors.js';
import { isPlainObject } from '../validation.js';
import { dropUndefined } from './mcp-json.js';
import type { RecordIO } from './oauth-record-io.js';
import { RECORDS } from './oauth-records.js';
import { type Protection, refusing, secretHandling, unprotected } from './protection.js';
import { openSealed, parseObject } from './sealing.js';

/** Upstream tokens and JWT id mappings. */
export class ProxyRecords {
  readonly #io: RecordIO;
  readonly #protection: Protection;
  readonly #upstream: string;
  readonly #jti: string;
  readonly #clock: () => number;

  constructor(options: {
    io: RecordIO;
    protection: Protection;
    upstreamCollection: string;
    jtiCollection: string;
    clock: () => number;
  }) {
    this.#io = options.io;
    this.#protection = options.protection;
    this.#upstream = options.upstreamCollection;
    this.#jti = options.jtiCollection;
    this.#clock = options.clock;
  }

  /** How upstream tokens are kept. */
  get handling(): 'sealed' | 'plaintext' | 'refused' {
    return secretHandling(this.#protection.upstreamTokens, this.#protection.allowUnprotected);
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
    const { upstreamTokens: sealer, allowUnprotected } = this.#protection;
    let record: { sealed?: string; tokens?: JsonObject };
    if (sealer !== undefined) record = { sealed: sealer.seal(JSON.stringify(plain), this.#upstream, id) };
    else if (allowUnprotected) record = { tokens: plain };
    else throw unprotected('upstream tokens', 'anyone reading the database could use them', 'sealSecret');
    await this.#io.put(RECORDS.upstream, this.#upstream, id, record, options.ttl);
    return id;
  }

  async getUpstreamTokens(id: string): Promise<JsonObject | undefined> {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    const record = (await this.#io.first(RECORDS.upstream, this.#upstream, [id]))?.record;
    if (record === undefined) return undefined;
    const { upstreamTokens: sealer, allowUnprotected } = this.#protection;
    if (record.sealed === undefined) {
      // Unsealed tokens are accepted only where they could have been written that way.
      return sealer === undefined || allowUnprotected ? record.tokens : undefined;
    }
    const sealed = record.sealed;
    return refusing(this.#protection, this.#upstream, async () =>
      parseObject(openSealed(sealer, sealed, this.#upstream, id)),
    );
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
}
