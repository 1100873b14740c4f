-- lookup.lua - wrk script: POST /get-online-features for BATCH random
-- entities (keys uniform over [0, N)) x the 20 float32 features of
-- user_stats, as a Feast client sends them (feature refs, not a service).
--
--   wrk -t2 -c32 -d10s --latency -s bench/http/lookup.lua URL -- BATCH N SEED
--
-- Prints one line at the end (see done()): requests/s and latency
-- percentiles in microseconds, with the count of non-2xx answers and socket
-- errors, so the caller can check nothing failed.

local batch, n, seed = 1, 1000000, 1
local refs = {}
for f = 0, 19 do refs[#refs + 1] = string.format('"user_stats:f%02d"', f) end
local head = '{"features": [' .. table.concat(refs, ", ") ..
             '], "entities": {"user_id": ['
local tail = ']}}'
local headers = {["Content-Type"] = "application/json"}

-- Each thread gets its own seed: setup() runs in the main Lua state and
-- sets the global `thread_id` in each thread's state.
local threads_made = 0
function setup(thread)
  thread:set("thread_id", threads_made)
  threads_made = threads_made + 1
end

function init(args)
  batch = tonumber(args[1]) or 1
  n = tonumber(args[2]) or 1000000
  seed = tonumber(args[3]) or 1
  math.randomseed(seed * 7919 + (thread_id or 0))
end

-- Keys are drawn afresh for every request, over all N entities (as the
-- Redis load does); making the body costs the client little next to its
-- system calls.
function request()
  local keys = {}
  for i = 1, batch do keys[i] = math.random(0, n - 1) end
  return wrk.format("POST", "/get-online-features", headers,
                    head .. table.concat(keys, ",") .. tail)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d seconds=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d " ..
    "p999_us=%d " ..
    "max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
