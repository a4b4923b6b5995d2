/**
 * Real backings for the FastMCP replica tests: each `open()` creates a NEW store object on the
 * same backing (a Redis key prefix or a PostgreSQL schema unique to this run).
 */
import type { AsyncKeyValue } from '../../src/contract.js';

export interface ReplicaBacking {
  name: string;
  available: boolean;
  /** `true` when a new store object on the same backing sees what an earlier one wrote. */
  persistent: boolean;
  setup(): Promise<{ open(): Promise<AsyncKeyValue>; teardown(): Promise<void> }>;
}

/** The real backends this machine offers (none until their stores exist). */
export async function fastmcpBackends(): Promise<ReplicaBacking[]> {
  return [];
}
