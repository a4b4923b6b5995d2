/**
 * Everything an error shows, for checking that no secret reaches it: message, stack, every own
 * property (enumerable or not, symbols too) of the error and of each object it holds, the cause
 * chain, `util.inspect` at any depth with hidden properties, and `JSON.stringify`.
 */
import { inspect } from 'node:util';

/** All the text an error exposes, as one string. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 20) return;
    if (typeof value === 'string') {
      parts.push(value);
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) {
      if (value !== undefined && typeof value !== 'object') parts.push(String(value));
      return;
    }
    seen.add(value);
    if (value instanceof Error) parts.push(value.message, String(value.stack));
    for (const key of Reflect.ownKeys(value)) {
      parts.push(String(key));
      let member: unknown;
      try {
        member = (value as Record<PropertyKey, unknown>)[key];
      } catch {
        continue;
      }
      walk(member, depth + 1);
    }
    if (value instanceof Error && value.cause !== undefined) walk(value.cause, depth + 1);
  };
  walk(err, 0);
  parts.push(inspect(err, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
  try {
    parts.push(JSON.stringify(err) ?? '');
  } catch {
    // a cycle: the walk above covered it
  }
  return parts.join('\n');
}

/** The error a call throws or rejects with (`undefined` when it does not fail). */
export async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  return undefined;
}
