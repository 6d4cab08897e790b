-- wrk script for every run of the benchmark: requests come from a file named by BENCH_REQUESTS,
-- one a line, tab-separated: METHOD, path, cookie (may be empty), JSON body (may be empty).
-- Each thread walks the list from its own random start; done() prints one machine-readable
-- line: BENCH requests req/s p50 p95 p99 (ms) errors non2xx.

local requests = {}
local position = 1
local csrf = os.getenv("BENCH_CSRF") or ""

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
  for line in file:lines() do
    if line ~= "" then
      local fields = split(line)
      local method, path, cookie, body = fields[1], fields[2], fields[3] or "", fields[4] or ""
      local headers = { ["Accept"] = "application/json" }
      if method ~= "GET" then
        headers["Content-Type"] = "application/json"
        headers["X-CSRFToken"] = csrf
        cookie = (cookie ~= "" and cookie .. "; " or "") .. "csrftoken=" .. csrf
      end
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body ~= "" and body or nil)
    end
  end
  file:close()
  math.randomseed(os.time() * 100 + (id or 0))
  position = math.random(#requests)
end

function request()
  local chosen = requests[position]
  position = position % #requests + 1
  return chosen
end

function done(summary, latency, requests_)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("BENCH %d %.1f %.2f %.2f %.2f %d %d\n", summary.requests,
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
