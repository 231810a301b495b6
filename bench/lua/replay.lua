-- Replays prepared requests for wrk. BENCH_REQUESTS names a Lua file returning a list of
-- {method, path, headers, body, unique}; each thread starts at its own offset and walks the
-- list in a cycle. In a body marked `unique`, "{n}" becomes a number no other request of this
-- run (BENCH_RUN) uses, so every update really changes something.
-- done() prints one line, "BENCH_JSON {...}", with counts, errors and latency percentiles.

local requests = dofile(os.getenv("BENCH_REQUESTS"))
local run = tonumber(os.getenv("BENCH_RUN") or "0")
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  index = ((tid - 1) * 7919) % #requests
  sent = 0
end

function request()
  index = index % #requests + 1
  sent = sent + 1
  local r = requests[index]
  local body = r.body
  if body ~= nil and r.unique then
    local n = string.format("%d", run * 1000000000 + tid * 10000000 + sent)
    body = (body:gsub("{n}", n))
  end
  return wrk.format(r.method, r.path, r.headers, body)
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,'
      .. '"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9)))
end
