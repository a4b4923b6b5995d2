/**
 * SQL identifiers of the PostgreSQL store: the checked table and schema names, their quoted forms,
 * and the names of its prepared statements.
 * @module
 */
import { StoreSetupError } from '../../errors.js';

/** Default table name, the same as py-key-value's. */
export const DEFAULT_TABLE = 'kv_store';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A table or schema name the store accepts: a plain identifier of at most 63 characters. */
export function checkIdentifier(name: unknown, what: 'table' | 'schema'): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new StoreSetupError(
      `PostgresStore ${what} must match [A-Za-z_][A-Za-z0-9_]* and be at most 63 characters`,
    );
  }
  return name;
}

/** A quoted identifier. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** The quoted, possibly schema-qualified table name. */
export function qualify(table: string, schema: string | undefined): string {
  return schema === undefined ? quote(table) : `${quote(schema)}.${quote(table)}`;
}

/** A quoted string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The prepared-statement name prefix of a table: unique per table, so stores on one pool never collide. */
export function statementPrefix(qualified: string): string {
  // FNV-1a, 32 bits: short and stable.
  let hash = 0x811c9dc5;
  for (let i = 0; i < qualified.length; i++) {
    hash ^= qualified.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `okv_${(hash >>> 0).toString(16).padStart(8, '0')}_`;
}

/** `true` when text holds U+0000, which PostgreSQL TEXT and JSONB cannot store. */
export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}
