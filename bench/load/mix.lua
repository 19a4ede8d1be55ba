-- wrk script for bench/load.py: one connection per thread, each request drawn by weight from the
-- clinic-network day's mix; every response's type, status and latency written to a per-thread
-- file (wrk's own histogram is global, not per type). Data (cookies, ids, tokens, weights, the
-- mean delay) comes from the Lua file named by LOADTEST_DATA, written by bench/load.py.
-- The board poll behaves as htmx's polling element: each connection keeps, per clinic, the
-- version (data-board-version) of the last board rows it received and sends it as
-- X-Board-Version; a 204 (unchanged) keeps the old one, as htmx keeps the element.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } kc_timespec;
  int clock_gettime(int clk_id, kc_timespec *tp);
]]
local ts = ffi.new("kc_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local D = dofile(os.getenv("LOADTEST_DATA"))
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local out, kind, started, n, pending, link_next, clinic_at
local versions = {}
function init(args)
  math.randomseed(1000 + id)
  out = io.open(D.out_prefix .. id .. ".log", "w")
  out:setvbuf("line")
  n = 0
  pending = nil
  link_next = id -- links are shared out: thread t takes t, t + threads, t + 2 threads, ...
end

local function pick()
  local r = math.random() * D.total_weight
  for _, w in ipairs(D.weights) do
    r = r - w[2]
    if r <= 0 then return w[1] end
  end
  return D.weights[#D.weights][1]
end

local function staff(headers, clinic, who)
  headers["Cookie"] = D.session_cookie .. "=" .. clinic[who] .. "; " .. D.csrf_cookie
  headers["Host"] = "127.0.0.1"
  return headers
end

local function form(headers)
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return headers
end

function request()
  n = n + 1
  if pending then
    local p = pending
    pending = nil
    kind = p[1]
    started = now_us()
    return wrk.format("POST", p[2], form({["Cookie"] = D.csrf_cookie, ["Host"] = "127.0.0.1",
      ["X-Forwarded-For"] = p[3], ["Referer"] = "http://127.0.0.1" .. p[2]}), p[4])
  end
  kind = pick()
  clinic_at = math.random(#D.clinics)
  local c = D.clinics[clinic_at]
  local req
  if kind == "board" then
    local headers = {["HX-Request"] = "true"}
    if versions[clinic_at] then headers["X-Board-Version"] = versions[clinic_at] end
    req = wrk.format("GET", "/treatment/board/rows/", staff(headers, c, "nurse"))
  elseif kind == "vitals" then
    local s = c.sessions[math.random(#c.sessions)]
    local path = "/treatment/sessions/" .. s .. "/observation/"
    local codes = {"heart_rate", "spo2", "respiratory_rate"}
    local code = codes[(n % 3) + 1]
    local value = ({heart_rate = 70 + n % 10, spo2 = 96 + n % 3, respiratory_rate = 14 + n % 3})[code]
    local body = "csrfmiddlewaretoken=" .. D.csrf_token .. "&code=" .. code .. "&value=" .. value
      .. "&form_token=" .. string.format("%sx%03dx%012d", D.run, id, n)
    req = wrk.format("POST", path, form(staff({["HX-Request"] = "true",
      ["Referer"] = "http://127.0.0.1" .. path}, c, "nurse")), body)
  elseif kind == "chart" then
    if n % 2 == 0 then
      local p = c.patients[math.random(#c.patients)]
      req = wrk.format("GET", "/patients/" .. p .. "/", staff({}, c, "prescriber"))
    else
      local s = c.sessions[math.random(#c.sessions)]
      req = wrk.format("GET", "/treatment/sessions/" .. s .. "/", staff({}, c, "prescriber"))
    end
  else -- "scale": the patient opens the link, then (next request) submits the answers
    local link = D.links[(link_next % #D.links) + 1]
    link_next = link_next + D.threads
    local path = "/scales/r/" .. link[1] .. "/"
    local body = "csrfmiddlewaretoken=" .. D.csrf_token
    for i = 1, 9 do body = body .. "&phq9-item_" .. i .. "=" .. ((i + n) % 3) end
    pending = {"scale_submit", path, link[2], body}
    kind = "scale_page"
    req = wrk.format("GET", path, {["Cookie"] = D.csrf_cookie, ["Host"] = "127.0.0.1",
      ["X-Forwarded-For"] = link[2]})
  end
  started = now_us()
  return req
end

function delay()
  if D.mean_delay_ms <= 0 or pending then return 0 end
  -- exponential gaps (arrivals of independent users), mean from the target rate
  return math.floor(-math.log(1 - math.random()) * D.mean_delay_ms)
end

function response(status, headers, body)
  out:write(kind, " ", status, " ", math.floor(now_us() - started), "\n")
  if kind == "board" and status == 200 and body then
    local v = string.match(body, 'data%-board%-version="([^"]+)"')
    if v then versions[clinic_at] = v end
  end
end
