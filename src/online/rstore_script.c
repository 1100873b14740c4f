/*
 * rstore_script.c - the Lua script that writes rows into a Redis store
 * (rstore.h), newer wins, atomically on the server.
 *
 * KEYS are the buckets of one call (one slot's, on a cluster); ARGV[1]
 * is the number of rows, ARGV[2] "1" when a row with the stored row's
 * very times replaces it (lr__writer_replace_ties), then per row: the
 * index of its bucket in KEYS, its field (the encoded entity key), the
 * packed row, and when the bucket may expire: a time in ms, or 0 for
 * never (a view without ttl).
 *
 * The order is the LMDB store's (codec/row.c, lr__row_newer_wins): the
 * later event time, then the later created time (none is earliest), then
 * the longer row, then the greater bytes. Times are read from the rows
 * themselves, as (seconds, microseconds, has created, created - event):
 * compared field by field, so no time needs more than a double's 53 bits
 * (the one exception, a created time 285 years from its event time, is
 * compared rounded). Bytes are compared with string.byte: Lua's `<` on
 * strings follows the server's locale. A stored row whose times cannot
 * be read (damaged) is replaced.
 *
 * The reply has one character per row: '1' stored, '0' kept the stored
 * row (newer), '=' the very row was stored already.
 */
#include "rstore.h"

static const char script[] =
    "local function varint(s, i)\n"
    "  local n, mul = 0, 1\n"
    "  while true do\n"
    "    local b = string.byte(s, i)\n"
    "    if not b then return nil, i end\n"
    "    i = i + 1\n"
    "    n = n + (b % 128) * mul\n"
    "    if b < 128 then return n, i end\n"
    "    mul = mul * 128\n"
    "  end\n"
    "end\n"
    "local function unzig(n)\n"
    "  if n % 2 == 0 then return n / 2 end\n"
    "  return -(n + 1) / 2\n"
    "end\n"
    "local function times(row)\n"
    "  local flags = string.byte(row, 1)\n"
    "  if not flags then return nil end\n"
    "  local s, i = varint(row, 2)\n"
    "  if not s then return nil end\n"
    "  local us\n"
    "  us, i = varint(row, i)\n"
    "  if not us then return nil end\n"
    "  local hasc, d = math.floor(flags / 2) % 2, 0\n"
    "  if hasc == 1 then\n"
    "    d, i = varint(row, i)\n"
    "    if not d then return nil end\n"
    "    d = unzig(d)\n"
    "  end\n"
    "  return {unzig(s), us, hasc, d}\n"
    "end\n"
    "local function same_times(ta, tb)\n"
    "  for k = 1, 4 do\n"
    "    if ta[k] ~= tb[k] then return false end\n"
    "  end\n"
    "  return true\n"
    "end\n"
    "local function order(a, ta, b, tb)\n"
    "  for k = 1, 4 do\n"
    "    if ta[k] ~= tb[k] then\n"
    "      if ta[k] < tb[k] then return -1 end\n"
    "      return 1\n"
    "    end\n"
    "  end\n"
    "  if #a ~= #b then\n"
    "    if #a < #b then return -1 end\n"
    "    return 1\n"
    "  end\n"
    "  for k = 1, #a do\n"
    "    local x, y = string.byte(a, k), string.byte(b, k)\n"
    "    if x ~= y then\n"
    "      if x < y then return -1 end\n"
    "      return 1\n"
    "    end\n"
    "  end\n"
    "  return 0\n"
    "end\n"
    "local n, ties = tonumber(ARGV[1]), ARGV[2] == '1'\n"
    "local out, expire, persist = {}, {}, {}\n"
    "local a = 3\n"
    "for r = 1, n do\n"
    "  local ki, field, row = tonumber(ARGV[a]), ARGV[a + 1], ARGV[a + 2]\n"
    "  local exp = tonumber(ARGV[a + 3])\n"
    "  a = a + 4\n"
    "  local key = KEYS[ki]\n"
    "  local old = redis.call('HGET', key, field)\n"
    "  local verdict = '1'\n"
    "  if old then\n"
    "    local to, tn = times(old), times(row)\n"
    "    if to and tn then\n"
    "      local c = order(row, tn, old, to)\n"
    "      if c == 0 then\n"
    "        verdict = '='\n"
    "      elseif c < 0 and not (ties and same_times(tn, to)) then\n"
    "        verdict = '0'\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if verdict == '1' then\n"
    "    redis.call('HSET', key, field, row)\n"
    "    if exp == 0 then\n"
    "      persist[ki] = true\n"
    "    elseif not expire[ki] or expire[ki] < exp then\n"
    "      expire[ki] = exp\n"
    "    end\n"
    "  end\n"
    "  out[r] = verdict\n"
    "end\n"
    "for ki in pairs(persist) do\n"
    "  redis.call('PERSIST', KEYS[ki])\n"
    "  expire[ki] = nil\n"
    "end\n"
    "for ki, exp in pairs(expire) do\n"
    "  local cur = redis.call('PEXPIRETIME', KEYS[ki])\n"
    "  if cur == -1 or cur < exp then\n"
    "    redis.call('PEXPIREAT', KEYS[ki], exp)\n"
    "  end\n"
    "end\n"
    "return table.concat(out)\n";

const char *lr__rstore_script_text(void) { return script; }
