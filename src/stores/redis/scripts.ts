/**
 * The Lua scripts of the Redis store. None of them reads a document's expiry: they move documents
 * and the base store decides, from what they return, whether an entry was live.
 * @module
 */
import { createHash } from 'node:crypto';

/** A script's source and the SHA-1 `EVALSHA` names it by. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Deletes the keys in KEYS and returns, per key, `0` when nothing was stored, the removed document
 * when it was a string, and `''` when it held another Redis type (removed too: deleting is how an
 * unreadable entry is cleared).
 */
const DELETE = `local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.pcall('GET', k)
  if v == false then
    out[i] = 0
  else
    if type(v) ~= 'string' then v = '' end
    redis.call('DEL', k)
    out[i] = v
  end
end
return out`;

/** SET of every KEYS[i] to ARGV[i] with the native expiry ARGV[#KEYS + 1] (ms): atomic, one reply. */
const PUT_MANY = `local px = ARGV[#KEYS + 1]
for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[i], 'PX', px) end
return #KEYS`;

/** GET + DEL in one step, for servers older than 6.2 (no `GETDEL`). */
const TAKE = `local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`;

/** Replaces KEYS[1] only while it still holds ARGV[1] (an expired document); ARGV[3] = PX or ''. */
const REPLACE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

/**
 * Adds ARGV[3] to `value.count` of the document at KEYS[1], keeping the document's other members
 * and its native expiry; writes ARGV[1] (with PX ARGV[2], or none when '') when nothing is stored.
 * Returns the new count, or nil when the stored document is not a counter (left as it is).
 */
const INCREMENT = `local v = redis.call('GET', KEYS[1])
if not v then
  if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1])
  else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
  return tonumber(ARGV[3])
end
local ok, d = pcall(cjson.decode, v)
if not ok or type(d) ~= 'table' or type(d.value) ~= 'table' or type(d.value.count) ~= 'number' then
  return false
end
local n = d.value.count + tonumber(ARGV[3])
d.value.count = n
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 then redis.call('SET', KEYS[1], cjson.encode(d), 'PX', pttl)
else redis.call('SET', KEYS[1], cjson.encode(d)) end
return n`;

/**
 * Drops from the key index KEYS[1] each member ARGV[i] whose entry KEYS[i + 1] is (still) absent:
 * the check and the removal in one step, so a key written meanwhile stays indexed.
 */
const PRUNE = `local n = 0
for i, m in ipairs(ARGV) do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then n = n + redis.call('ZREM', KEYS[1], m) end
end
return n`;

/** Every script of the store. */
export const SCRIPTS = {
  delete: script(DELETE),
  putMany: script(PUT_MANY),
  take: script(TAKE),
  replace: script(REPLACE),
  increment: script(INCREMENT),
  prune: script(PRUNE),
} as const;
