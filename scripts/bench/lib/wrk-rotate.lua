-- wrk script for Pug's single-event benchmark: POSTs pre-encoded SDK requests (binary Connect, application/proto,
-- x-api-key), rotating over a file of distinct bodies; on every pass after the first it rewrites the last 12 hex
-- digits of each body's event id with (thread, pass), so no two requests carry the same event and JetStream
-- deduplicates nothing. Written by scripts/bench/lib/wrk-load.ts, which sets:
--   PUG_WRK_BODIES   file of bodies, each "<offset of the id's last group> <length>\n<bytes>"
--   PUG_WRK_API_KEY  the project's public key
--   PUG_WRK_THREADS  wrk's -t, so the threads split the bodies between them

local path = "/sdk.events.v1.EventsService/BatchCreate"
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
end

local requests = {}
local tag_at = {}
local i = 0
local pass = 0

function init(args)
  local file = assert(io.open(os.getenv("PUG_WRK_BODIES"), "rb"))
  local data = file:read("*a")
  file:close()
  local threads = tonumber(os.getenv("PUG_WRK_THREADS"))
  local headers = {
    ["Content-Type"] = "application/proto",
    ["Connect-Protocol-Version"] = "1",
    ["X-Api-Key"] = os.getenv("PUG_WRK_API_KEY"),
    ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  }
  local at, n = 1, 0
  while at <= #data do
    local line_end = string.find(data, "\n", at, true)
    local offset, length = string.match(string.sub(data, at, line_end - 1), "^(%d+) (%d+)$")
    local body = string.sub(data, line_end + 1, line_end + tonumber(length))
    at = line_end + tonumber(length) + 1
    if n % threads == id - 1 then
      local request = wrk.format("POST", path, headers, body)
      table.insert(requests, request)
      table.insert(tag_at, #request - #body + tonumber(offset))
    end
    n = n + 1
  end
  assert(#requests > 0, "no bodies for thread " .. id)
end

function request()
  i = i + 1
  if i > #requests then
    i = 1
    pass = pass + 1
  end
  local r = requests[i]
  if pass == 0 then return r end
  local at = tag_at[i]
  return string.sub(r, 1, at) .. string.format("%04x%08x", id, pass) .. string.sub(r, at + 13)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'PUG_WRK {"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
