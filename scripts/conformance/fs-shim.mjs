// fs for @modelcontextprotocol/conformance on Node 20: everything of node:fs, plus a globSync that
// only its `tier-check` command calls (Node 22 has it; the scenarios never do).
import fs from 'node:fs';
export * from 'node:fs';
export default fs;
export function globSync() {
  throw new Error('fs.globSync needs Node 22 (only the conformance tier-check command uses it)');
}
